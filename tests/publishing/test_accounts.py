"""Connected accounts keep their tokens encrypted and never lose a refresh token."""

import pytest
from django.db import connection

from channels.values import Credentials
from publishing.models import ChannelAccount


@pytest.fixture
def account(db):
    return ChannelAccount.objects.create(
        platform="x",
        display_name="@ExampleshireCC",
        remote_id="3000000001",
        access_token="access-plaintext-123",
        refresh_token="refresh-plaintext-456",
    )


def test_tokens_are_not_stored_in_plaintext(account):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM publishing_channelaccount "
            "WHERE id = %s",
            [account.pk],
        )
        raw_access, raw_refresh = cursor.fetchone()
    assert "access-plaintext-123" not in raw_access
    assert "refresh-plaintext-456" not in raw_refresh
    reloaded = ChannelAccount.objects.get(pk=account.pk)
    assert reloaded.access_token == "access-plaintext-123"
    assert reloaded.refresh_token == "refresh-plaintext-456"


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one(account):
    account.store_credentials(
        Credentials(account_id="3000000001", access_token="new-access")
    )
    reloaded = ChannelAccount.objects.get(pk=account.pk)
    assert reloaded.access_token == "new-access"
    assert reloaded.refresh_token == "refresh-plaintext-456"


def test_a_rotated_refresh_token_replaces_the_old_one(account):
    account.store_credentials(
        Credentials(
            account_id="3000000001", access_token="a2", refresh_token="rotated-789"
        )
    )
    assert ChannelAccount.objects.get(pk=account.pk).refresh_token == "rotated-789"


def test_credentials_never_show_tokens_in_their_repr(account):
    text = repr(account.credentials())
    assert "access-plaintext-123" not in text
    assert "refresh-plaintext-456" not in text
