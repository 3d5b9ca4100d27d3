"""Sign-in throttling (django-axes): past the limit a person is told when they
can try again and whom to ask, colleagues on the same address are not locked
out, and the wait ends."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.LOGIN_HELP_CONTACT = "the web team on 01234 567890"


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser(
        "editor", "editor@exampleshire.gov.uk", PASSWORD
    )


def sign_in(client, username, password, **headers):
    return client.post(
        reverse("wagtailadmin_login"),
        {"username": username, "password": password},
        **headers,
    )


def fail(client, times, username="editor", **headers):
    for _ in range(times):
        response = sign_in(client, username, "wrong", **headers)
    return response


def test_failures_below_the_limit_get_the_usual_form_error(client, editor):
    response = fail(client, 2)

    assert response.status_code == 200
    assert b"Signing in is paused" not in response.content
    assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_the_lockout_says_when_to_try_again_and_whom_to_ask(client, editor):
    before = timezone.localtime() + timedelta(minutes=15)
    response = fail(client, 3)
    after = timezone.localtime() + timedelta(minutes=15)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Signing in is paused" in page
    assert "3 unsuccessful attempts to sign in as “editor”" in page
    assert any(
        f"try again at {t:%H:%M}, in 15 minutes" in page for t in (before, after)
    )
    assert "contact the web team on 01234 567890" in page
    assert reverse("wagtailadmin_password_reset") in page


def test_the_right_password_is_refused_until_the_wait_is_over(client, editor):
    fail(client, 3)

    refused = sign_in(client, "editor", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session

    # The wait passes: the last failure is moved back beyond it, not slept out.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "editor", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)


def test_colleagues_on_the_same_address_can_still_sign_in(
    client, editor, django_user_model
):
    django_user_model.objects.create_superuser("colleague", "c@example.org", PASSWORD)
    fail(client, 3)

    assert sign_in(client, "colleague", PASSWORD).status_code == 302


def test_behind_the_proxy_each_client_address_is_counted_apart(
    client, editor, settings
):
    settings.AXES_CLIENT_IP_CALLABLE = (
        "council_site.core.login_throttle.forwarded_client_ip"
    )
    # Every request reaches gunicorn from the proxy's one address.
    proxy = {"REMOTE_ADDR": "172.18.0.5"}
    fail(client, 3, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)

    locked = sign_in(client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    elsewhere = sign_in(
        client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy
    )
    assert elsewhere.status_code == 302
