"""Alerts to comms managers: written when a post fails, is held or waits for its
account, or a token runs out soon; emailed in batches of at most one every 15
minutes a person, through Django's email or GOV.UK Notify."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from publishing import accounts, alerts, lifecycle
from publishing.alert_senders import NotifySender, get_sender
from publishing.models import Alert, CrossPost

from .conftest import make_account, make_row

State = CrossPost.State
Kind = Alert.Kind
T0 = timezone.now().replace(microsecond=0) + timedelta(days=1)
SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
NOTIFY_KEY = f"council_alerts-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = str(uuid.uuid4())


def person(django_user_model, username, *perms, email=None):
    user = django_user_model.objects.create_user(
        username=username,
        password="x",
        email=f"{username}@exampleshire.gov.uk" if email is None else email,
    )
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="publishing").filter(
            codename__in=perms
        ),
    )
    return user


@pytest.fixture
def comms(django_user_model):
    return person(django_user_model, "chris", "approve_crosspost")


def fail(account, error="Status is a duplicate."):
    """A row whose send the platform refused, reported as delivery does."""
    row = make_row(
        account,
        State.SENDING,
        lease_owner="worker-1",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
        attempts=1,
    )
    return lifecycle.advance(row, "refused", owned=True, message=error, kind="rejected")


# Written when it happens -----------------------------------------------------------


def test_a_failed_row_writes_one_alert_for_each_comms_manager(django_user_model, comms):
    channels = person(django_user_model, "cam", "manage_channels")
    person(django_user_model, "erin", "view_crosspost")  # an editor: not told
    person(django_user_model, "mo", "approve_crosspost", email="")  # no address
    row = fail(make_account())

    found = Alert.objects.filter(crosspost=row)
    assert sorted(found.values_list("recipient__username", flat=True)) == [
        channels.username,
        comms.username,
    ]
    alert = found.get(recipient=comms)
    assert (alert.kind, alert.message, alert.sent_at) == (
        Kind.FAILED,
        "Status is a duplicate.",
        None,
    )


def test_a_transition_people_need_not_hear_of_writes_no_alert(comms):
    row = make_row(make_account(), State.FAILED)
    lifecycle.advance(row, "retry_requested")
    assert Alert.objects.count() == 0


def test_a_held_row_alerts_with_the_guards_rules_but_not_the_text_found(comms):
    row = make_row(
        make_account(),
        State.FAILED,
        guard_findings=[
            {"rule": "email", "message": "An email address", "match": "jo@x.org"}
        ],
    )
    lifecycle.advance(row, "page_changed", content={}, problems=[])

    alert = Alert.objects.get()
    assert alert.kind == Kind.HELD
    assert alert.message == "An email address"
    assert "jo@x.org" not in alert.message


def test_an_account_needing_reconnection_alerts_once(comms):
    account = make_account()
    accounts.mark_needs_reconnect(account.pk, "The token was refused.")
    accounts.mark_needs_reconnect(account.pk, "The token was refused again.")

    alert = Alert.objects.get()
    assert (alert.kind, alert.account_id, alert.crosspost_id) == (
        Kind.NEEDS_RECONNECT,
        account.pk,
        None,
    )
    account.refresh_from_db()
    assert account.status_message == "The token was refused again."


def test_a_token_expiring_in_six_days_alerts_once_for_that_expiry(comms):
    expiring = make_account("facebook", "200000000001", "Exampleshire CC")
    expiring.token_expires_at = T0 + timedelta(days=6)
    expiring.save()
    later = make_account("facebook", "200000000002", "Libraries")
    later.token_expires_at = T0 + timedelta(days=8)
    later.save()
    renewable = make_account("x", "3000000009", "@Renewed")
    renewable.refresh_token = "refresh-me"
    renewable.token_expires_at = T0 + timedelta(hours=2)
    renewable.save()

    assert alerts.note_expiring_tokens(now=T0) == 1
    assert alerts.note_expiring_tokens(now=T0 + timedelta(hours=12)) == 0

    alert = Alert.objects.get()
    assert (alert.kind, alert.account_id) == (Kind.TOKEN_EXPIRING, expiring.pk)
    assert "Reconnect it" in alert.message

    expiring.token_expires_at = T0 + timedelta(days=10)  # reconnected: a new token
    expiring.save()
    alerts.note_expiring_tokens(now=T0 + timedelta(days=4))
    assert Alert.objects.filter(account=expiring).count() == 2


# Emailed in batches ----------------------------------------------------------------


def test_two_failures_in_fifteen_minutes_make_one_email_then_the_next(comms):
    account = make_account()
    first = fail(account, "First refusal.")

    assert alerts.send_due(now=T0) == 1
    assert alerts.send_due(now=T0 + timedelta(minutes=1)) == 0  # nothing new

    second = fail(account, "Second refusal.")
    for minutes in (5, 10, 14):
        assert alerts.send_due(now=T0 + timedelta(minutes=minutes)) == 0
    assert len(mail.outbox) == 1
    assert "First refusal." in mail.outbox[0].body
    assert "Second refusal." not in mail.outbox[0].body

    assert alerts.send_due(now=T0 + timedelta(minutes=15)) == 1
    assert len(mail.outbox) == 2
    assert "Second refusal." in mail.outbox[1].body
    assert "First refusal." not in mail.outbox[1].body
    assert mail.outbox[1].to == [comms.email]
    assert set(Alert.objects.values_list("crosspost_id", "sent_at")) == {
        (first.pk, T0),
        (second.pk, T0 + timedelta(minutes=15)),
    }


def test_failures_before_an_email_go_in_it_together(comms):
    account = make_account()
    fail(account, "First refusal.")
    fail(make_account("x", "3000000002", "@Libraries"), "Second refusal.")

    assert alerts.send_due(now=T0) == 1

    (email,) = mail.outbox
    assert "First refusal." in email.body and "Second refusal." in email.body
    assert email.subject == "Social media: 2 × post failed"


def test_the_email_links_to_the_dashboard_filtered_to_the_row(client, comms):
    row = fail(make_account())
    make_row(make_account("x", "3000000002", "@Libraries"), State.FAILED)
    alerts.send_due(now=T0)

    (email,) = mail.outbox
    link = f"http://testserver{reverse('publishing_admin:dashboard')}?id={row.pk}"
    assert link in email.body
    html, _type = email.alternatives[0]
    assert f'href="{link}"' in html.replace("&amp;", "&")

    client.force_login(comms)
    response = client.get(link)
    assert response.status_code == 200
    assert [shown.pk for shown in response.context["object_list"]] == [row.pk]


def test_each_person_gets_their_own_email_and_none_twice(django_user_model, comms):
    other = person(django_user_model, "cam", "manage_channels")
    fail(make_account())

    assert alerts.send_due(now=T0) == 2
    assert alerts.send_due(now=T0 + timedelta(minutes=20)) == 0

    assert sorted(email.to[0] for email in mail.outbox) == sorted(
        [comms.email, other.email]
    )


# GOV.UK Notify ---------------------------------------------------------------------


class NotifyServer:
    """A loopback stand-in for GOV.UK Notify's API: records each request and
    answers with ``status``."""

    def __init__(self):
        self.requests = []
        self.status = 201
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers["Authorization"],
                        "json": json.loads(body),
                    }
                )
                answer = (
                    {"id": str(uuid.uuid4())}
                    if server.status == 201
                    else {"errors": [{"error": "Server error"}], "status_code": 500}
                )
                payload = json.dumps(answer).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def notify(settings):
    with NotifyServer() as server:
        settings.ALERT_EMAIL_BACKEND = "notify"
        settings.NOTIFY_API_KEY = NOTIFY_KEY
        settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
        settings.NOTIFY_BASE_URL = server.url
        yield server


def test_notify_is_sent_the_address_template_and_the_email(notify, comms):
    row = fail(make_account())

    assert alerts.send_due(now=T0) == 1

    (sent,) = notify.requests
    assert sent["path"] == "/v2/notifications/email"
    body = sent["json"]
    assert body["email_address"] == comms.email
    assert body["template_id"] == TEMPLATE_ID
    assert body["personalisation"]["subject"] == "Social media: 1 × post failed"
    assert "Status is a duplicate." in body["personalisation"]["body"]
    assert f"?id={row.pk}" in body["personalisation"]["body"]
    assert body["reference"] == f"social-alerts-{T0:%Y%m%d%H%M}"
    token = sent["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["iss"] == SERVICE_ID
    assert mail.outbox == []
    assert Alert.objects.get().sent_to == comms.email


def test_an_email_notify_refuses_stays_queued_and_goes_next_run(notify, comms, caplog):
    fail(make_account())
    notify.status = 500

    with caplog.at_level(logging.DEBUG):
        assert alerts.send_due(now=T0) == 0

    assert Alert.objects.get().sent_at is None
    assert "not sent" in caplog.text
    assert SECRET not in caplog.text and NOTIFY_KEY not in caplog.text

    notify.status = 201
    assert alerts.send_due(now=T0 + timedelta(minutes=1)) == 1
    assert len(notify.requests) == 2
    assert Alert.objects.get().sent_at == T0 + timedelta(minutes=1)


def test_notify_without_its_key_or_template_refuses_to_start(settings):
    settings.ALERT_EMAIL_BACKEND = "notify"
    settings.NOTIFY_API_KEY = ""
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    with pytest.raises(ImproperlyConfigured, match="NOTIFY_API_KEY"):
        get_sender()
    settings.NOTIFY_API_KEY = "not-a-key"
    with pytest.raises(ImproperlyConfigured, match="not a GOV.UK Notify API key"):
        NotifySender()
    settings.ALERT_EMAIL_BACKEND = "pigeon"
    with pytest.raises(ImproperlyConfigured, match="django, notify"):
        get_sender()


# Beat ------------------------------------------------------------------------------


def test_beat_sends_alerts_every_minute_and_checks_tokens_daily(settings):
    from publishing import tasks

    schedules = {
        entry["task"]: entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedules[tasks.send_alerts.name] == 60.0
    assert schedules[tasks.note_expiring_tokens.name] == 24 * 60 * 60.0


# Social > Alerts -------------------------------------------------------------------


def test_the_alerts_page_lists_what_was_sent_and_queued(client, comms):
    fail(make_account(), "Sent already.")
    alerts.send_due(now=T0)
    account = make_account("facebook", "200000000001", "Exampleshire CC")
    accounts.mark_needs_reconnect(account.pk, "Queued still.")

    client.force_login(comms)
    response = client.get(reverse("publishing_admin:alerts"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Sent already." in page and "Queued still." in page
    assert f"Sent to {comms.email}" in page
    assert "Queued for the next email" in page
    assert "Account needs reconnecting" in page and "Post failed" in page


def test_the_alerts_page_needs_a_comms_managers_permission(client, django_user_model):
    editor = person(django_user_model, "erin", "view_crosspost", "retry_crosspost")
    client.force_login(editor)
    response = client.get(reverse("publishing_admin:alerts"))
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("wagtailadmin_home"),
    )


def test_manage_py_check_refuses_notify_without_its_template(settings):
    from publishing.checks import alert_sender

    assert alert_sender() == []
    settings.ALERT_EMAIL_BACKEND = "notify"
    settings.NOTIFY_API_KEY = NOTIFY_KEY
    settings.NOTIFY_TEMPLATE_ID = ""
    assert [error.id for error in alert_sender()] == ["publishing.E002"]


# Through a real worker -------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_post_the_platform_refuses_is_alerted_and_sent_by_the_worker(
    sandbox, accounts, make_policy, celery_worker_process, django_user_model
):
    import requests

    from publishing import content, tasks
    from tests.publishing.conftest import publish, settle
    from tests.worker_fixtures import wait_for

    comms = person(django_user_model, "chris", "approve_crosspost")
    page = make_policy()
    # The same text posted by hand already: X refuses a duplicate.
    text = content.build_post(page, "x", content.social_settings_for(page)).text
    requests.post(
        f"{sandbox.url}/x/2/tweets",
        json={"text": text},
        headers={"Authorization": f"Bearer {accounts['x'].access_token}"},
        timeout=5,
    ).raise_for_status()
    publish(page)
    rows = {row.platform: row for row in settle(page, expected=2)}
    assert rows["x"].state == State.FAILED

    alert = Alert.objects.get()
    assert (alert.kind, alert.crosspost_id, alert.recipient_id) == (
        Kind.FAILED,
        rows["x"].pk,
        comms.pk,
    )

    tasks.send_alerts.delay()
    sent = wait_for(
        lambda: Alert.objects.filter(sent_at__isnull=False).first(), timeout=30
    )
    assert sent.sent_to == comms.email


# Together with the move ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failure_nobody_could_be_told_of_does_not_land(comms, monkeypatch):
    # Outside any transaction of the caller's, as a worker reports: the row's
    # move and its alert commit together, so a reader never sees a failed row
    # without its alert, and a crash between the two loses neither.
    row = make_row(
        make_account(),
        State.SENDING,
        lease_owner="worker-1",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
        attempts=1,
    )

    def broken(*args, **kwargs):
        raise RuntimeError("the alerts table is unreachable")

    monkeypatch.setattr(alerts, "for_row", broken)
    with pytest.raises(RuntimeError):
        lifecycle.advance(row, "refused", owned=True, message="No.", kind="rejected")

    row.refresh_from_db()
    assert row.state == State.SENDING
    assert not Alert.objects.exists()
