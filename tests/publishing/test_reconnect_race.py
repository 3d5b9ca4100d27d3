"""An account reconnected while a delivery is under way is not parked again
for the old token's refusal: the post is retried with the new connection and
goes out once."""

from __future__ import annotations

import pytest

from channels.errors import AuthError
from channels.values import ConnectedAccount, Credentials
from publishing import accounts as accounts_module
from publishing import delivery
from publishing.models import ChannelAccount, CrossPost
from tests.publishing.conftest import live_posts_with_marker, publish

pytestmark = pytest.mark.django_db
State = CrossPost.State


def reconnect(sandbox, account: ChannelAccount) -> None:
    """What the connect screen saves once a comms manager has signed in again."""
    token = sandbox.mint_token(account.platform, account_id=account.remote_id)
    accounts_module.save_connected(
        ConnectedAccount(
            platform=account.platform,
            remote_id=account.remote_id,
            display_name=account.display_name,
            credentials=Credentials(
                account_id=account.remote_id,
                access_token=token["access_token"],
                refresh_token=token["refresh_token"],
            ),
        ),
        user=None,
    )


def test_a_refusal_of_tokens_replaced_meanwhile_does_not_park_the_account(
    sandbox, accounts, make_policy, monkeypatch
):
    sandbox.revoke_tokens("x")
    account = accounts["x"]
    refresher = accounts_module.locked_refresher

    def reconnected_while_renewing(account_id):
        renew = refresher(account_id)

        def refresh(adapter):
            try:
                return renew(adapter)
            except AuthError:
                # The renewal is refused just as the comms manager reconnects.
                reconnect(sandbox, account)
                raise

        return refresh

    monkeypatch.setattr(accounts_module, "locked_refresher", reconnected_while_renewing)
    page = make_policy()
    publish(page)
    row = CrossPost.objects.get(page_id=page.pk, platform="x")

    delivery.deliver(row.pk, "worker-1")

    account.refresh_from_db()
    row.refresh_from_db()
    assert account.status == ChannelAccount.Status.CONNECTED
    assert row.state == State.RETRYING
    assert "connected again" in row.last_error

    monkeypatch.setattr(accounts_module, "locked_refresher", refresher)
    CrossPost.objects.filter(pk=row.pk).update(next_attempt_at=None)
    delivery.deliver(row.pk, "worker-1")

    row.refresh_from_db()
    assert row.state == State.POSTED
    assert len(live_posts_with_marker(sandbox, row.marker, "x")) == 1
