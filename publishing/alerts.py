"""Alerts to comms managers: written when something needs a person, sent by
email in batches.

A post that fails, is held by the guard or waits for its account to be
reconnected (the lifecycle's ``failed``, ``held`` and ``needs_reconnect``
audit actions), an account found to need reconnecting, and a token that runs
out within ``ALERT_TOKEN_EXPIRY_DAYS`` with nothing to renew it each write one
:class:`~publishing.models.Alert` for each comms manager: an active user with
``publishing.approve_crosspost`` or ``publishing.manage_channels`` (superusers
too) and an email address.

:func:`send_due` (beat, every minute) sends each of them one email with
everything queued for them, if their last one went at least
``ALERT_EMAIL_INTERVAL_MINUTES`` ago. The alerts are marked sent in the
transaction that holds them locked, so two runs never send them twice; an email
that is not accepted leaves them queued for the next run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .alert_senders import AlertEmail, AlertSendError, get_sender
from .models import Alert, ChannelAccount, CrossPost

logger = logging.getLogger(__name__)
Kind = Alert.Kind

#: The lifecycle's audit actions that tell people.
ROW_ALERTS = {
    "failed": Kind.FAILED,
    "held": Kind.HELD,
    "needs_reconnect": Kind.NEEDS_RECONNECT,
}


def comms_managers():
    """The people alerts go to."""
    users = get_user_model().objects
    # Permissions live in the database (sign-in throttling is a backend too).
    backend = "django.contrib.auth.backends.ModelBackend"
    approvers = users.with_perm("publishing.approve_crosspost", backend=backend)
    channel_managers = users.with_perm("publishing.manage_channels", backend=backend)
    return users.filter(
        Q(pk__in=approvers.values("pk")) | Q(pk__in=channel_managers.values("pk")),
        is_active=True,
    ).exclude(email="")


def _write(kind: str, *, account_id: int | None, **fields) -> int:
    """One alert of ``kind`` for each comms manager; how many were written."""
    people = list(comms_managers().values_list("pk", flat=True))
    if not people:
        logger.warning("No comms manager has an email address to be told: %s", kind)
        return 0
    written = Alert.objects.bulk_create(
        [
            Alert(kind=kind, recipient_id=person, account_id=account_id, **fields)
            for person in people
        ],
        # The daily token check finds the same expiry again: one alert each.
        ignore_conflicts=kind == Kind.TOKEN_EXPIRING,
    )
    return len(written)


def for_row(row: CrossPost, action: str) -> int:
    """Tell people of a cross-post's transition, if its audit ``action`` is
    one they are told of (:data:`ROW_ALERTS`)."""
    kind = ROW_ALERTS.get(action)
    if kind is None:
        return 0
    if kind == Kind.HELD:
        # The guard's rule names only: the matched text may be personal data.
        found = dict.fromkeys(finding["message"] for finding in row.guard_findings)
        message = "; ".join(found)
    else:
        message = row.last_error
    return _write(kind, crosspost_id=row.pk, account_id=row.account_id, message=message)


def for_account(account_id: int, message: str) -> int:
    """Tell people the account needs reconnecting."""
    return _write(Kind.NEEDS_RECONNECT, account_id=account_id, message=message)


def for_capped_account(account_id: int, message: str) -> int:
    """Tell people the platform paused the account until its usage cap resets."""
    return _write(Kind.ACCOUNT_CAPPED, account_id=account_id, message=message)


def note_expiring_tokens(now: datetime | None = None) -> int:
    """Alert once for each connected account whose token runs out within
    ``ALERT_TOKEN_EXPIRY_DAYS`` and has no refresh token (tokens with one are
    renewed by ``refresh_tokens``). Run daily by beat; returns how many alerts
    were written."""
    now = now or timezone.now()
    soon = now + timedelta(days=settings.ALERT_TOKEN_EXPIRY_DAYS)
    expiring = ChannelAccount.objects.filter(
        status=ChannelAccount.Status.CONNECTED,
        token_expires_at__lte=soon,
        refresh_token="",
    ).only("pk", "token_expires_at")
    written = 0
    for account in expiring:
        already = Alert.objects.filter(
            kind=Kind.TOKEN_EXPIRING,
            account_id=account.pk,
            token_expires_at=account.token_expires_at,
        )
        if already.exists():
            continue
        expires = timezone.localtime(account.token_expires_at)
        written += _write(
            Kind.TOKEN_EXPIRING,
            account_id=account.pk,
            token_expires_at=account.token_expires_at,
            message=f"Its token runs out on {expires:%d %B %Y at %H:%M}. "
            "Reconnect it before then.",
            created_at=now,
        )
    return written


# Sending ----------------------------------------------------------------------------


def send_due(now: datetime | None = None, sender=None) -> int:
    """Send each comms manager with queued alerts one email holding them all,
    unless their last email went less than ``ALERT_EMAIL_INTERVAL_MINUTES``
    ago. Returns how many emails were sent. An email not accepted is logged
    (never with the sender's key) and its alerts wait for the next run."""
    now = now or timezone.now()
    sender = sender or get_sender()
    people = (
        Alert.objects.filter(sent_at__isnull=True, recipient__in=comms_managers())
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for person in list(people):
        try:
            sent += _send_to(person, now, sender)
        except AlertSendError as error:
            logger.warning(
                "Alert email to user %s not sent; it is tried again next minute: %s",
                person,
                error,
            )
    return sent


def _send_to(person: int, now: datetime, sender) -> int:
    interval = timedelta(minutes=settings.ALERT_EMAIL_INTERVAL_MINUTES)
    with transaction.atomic():
        queued = list(
            Alert.objects.select_for_update(of=("self",))
            .filter(recipient_id=person, sent_at__isnull=True)
            .select_related("recipient", "crosspost", "account")
            .defer("account__access_token", "account__refresh_token")
            .order_by("created_at", "id")
        )
        last = Alert.objects.filter(recipient_id=person).aggregate(last=Max("sent_at"))[
            "last"
        ]
        if not queued or (last is not None and now - last < interval):
            return 0
        recipient = queued[0].recipient
        sender.send(compose(recipient.email, queued, now))
        Alert.objects.filter(pk__in=[alert.pk for alert in queued]).update(
            sent_at=now, sent_to=recipient.email
        )
    return 1


def compose(address: str, alerts: list[Alert], now: datetime) -> AlertEmail:
    """The email telling ``address`` of ``alerts``, with a link to each."""
    items = [_item(alert) for alert in alerts]
    counts = {}
    for alert in alerts:
        label = alert.get_kind_display().lower()
        counts[label] = counts.get(label, 0) + 1
    subject = "Social media: " + ", ".join(
        f"{count} × {label}" for label, count in counts.items()
    )
    context = {
        "items": items,
        "council": settings.WAGTAIL_SITE_NAME,
        "dashboard": _admin_url("publishing_admin:dashboard"),
        "interval": settings.ALERT_EMAIL_INTERVAL_MINUTES,
    }
    return AlertEmail(
        to=address,
        subject=subject,
        text=render_to_string("publishing/alerts/email.txt", context),
        html=render_to_string("publishing/alerts/email.html", context),
        reference=f"social-alerts-{now:%Y%m%d%H%M}",
    )


def _item(alert: Alert) -> dict:
    row = alert.crosspost
    if row is not None:
        what = f"“{row.page_title}” on {row.get_platform_display()}"
        link = f"{_admin_url('publishing_admin:dashboard')}?id={row.pk}"
    else:
        what = str(alert.account) if alert.account else "An account"
        link = _admin_url("publishing_admin:accounts")
    return {
        "kind": alert.get_kind_display(),
        "what": what,
        "when": timezone.localtime(alert.created_at),
        "message": alert.message,
        "link": link,
    }


def _admin_url(name: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(name)
