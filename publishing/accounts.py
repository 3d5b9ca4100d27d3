"""Connected accounts: their adapters and tokens, connecting, disconnecting and
reconnecting them, and the posts that wait on them meanwhile."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from wagtail.admin.utils import get_user_display_name

from channels import registry
from channels.base import ChannelAdapter
from channels.errors import AuthError, ChannelError
from channels.oauth import server_address
from channels.values import ConnectedAccount, Credentials

from . import alerts, lifecycle
from .models import ChannelAccount, CrossPost, InstanceApp

logger = logging.getLogger(__name__)
State = CrossPost.State
Operation = CrossPost.Operation
Usage = ChannelAccount.Usage
#: What the council's app is called where a server registers it (a Mastodon
#: instance shows it under each post).
APP_NAME = "Council Publishing"


def adapter_for(account: ChannelAccount) -> ChannelAdapter:
    """The account's platform adapter with its tokens. Tokens a client
    refreshes by itself (google-auth) are saved; a refresh the adapter asks
    for runs one worker at a time (:func:`locked_refresher`)."""

    def save(credentials: Credentials) -> None:
        ChannelAccount.objects.get(pk=account.pk).store_credentials(credentials)

    return registry.build(
        account.platform,
        account.credentials(),
        on_token_refresh=save,
        token_refresher=locked_refresher(account.pk),
    )


def locked_refresher(account_id: int):
    """A token refresher that lets one worker at a time refresh an account.

    X rotates refresh tokens: two workers refreshing with the same one would lock
    the account out. Under the row lock, a worker that finds tokens newer than the
    ones it used takes those instead of refreshing again.
    """

    def refresh(adapter: ChannelAdapter) -> Credentials:
        with transaction.atomic():
            account = ChannelAccount.objects.select_for_update().get(pk=account_id)
            stored = account.credentials()
            if stored.access_token != adapter.credentials.access_token:
                return stored
            fresh = adapter.refresh()
            account.store_credentials(fresh)
            return fresh

    return refresh


def refresh_expiring_tokens(within: timedelta = timedelta(minutes=30)) -> int:
    """Refresh tokens before they expire; failures mark the account."""
    soon = timezone.now() + within
    count = 0
    for account in ChannelAccount.objects.filter(
        status=ChannelAccount.Status.CONNECTED,
        token_expires_at__lte=soon,
    ).exclude(refresh_token=""):
        adapter = adapter_for(account)
        try:
            locked_refresher(account.pk)(adapter)
            count += 1
        except AuthError as error:
            used = {account.access_token, adapter.credentials.access_token}
            with transaction.atomic():
                if not tokens_replaced(account.pk, used):
                    mark_needs_reconnect(
                        account.pk, f"Token refresh failed: {error.message}"
                    )
        except ChannelError as error:
            logger.warning("Token refresh for account %s failed: %s", account.pk, error)
    return count


def waiting_posts(account: ChannelAccount):
    """The account's posts that wait to be sent, updated or taken down."""
    return account.crossposts.filter(
        state__in=[
            State.PENDING,
            State.RETRYING,
            State.UPDATING,
            State.RETRACTING,
            State.NEEDS_RECONNECT,
        ]
    )


def _waiting_rows(account_id: int):
    """The account's rows waiting for a worker (none held by one now)."""
    return CrossPost.objects.filter(
        account_id=account_id,
        state__in=[State.PENDING, State.RETRYING, State.UPDATING, State.RETRACTING],
        lease_owner="",
    )


def mark_needs_reconnect(account_id: int, message: str) -> None:
    """Mark the account as needing reconnection, saying why; comms managers
    are alerted when it starts needing it, not again for each refused post."""
    fields = {
        "status": ChannelAccount.Status.NEEDS_RECONNECT,
        "status_message": message[:500],
        "last_error_at": timezone.now(),
    }
    account = ChannelAccount.objects.filter(pk=account_id)
    if account.exclude(status=ChannelAccount.Status.NEEDS_RECONNECT).update(**fields):
        alerts.for_account(account_id, message)
    else:
        account.update(**fields)


def tokens_replaced(account_id: int, used: set[str]) -> bool:
    """Lock the account's row until the caller's transaction ends and say
    whether its stored access token is none of ``used`` (the tokens an attempt
    sent). A refusal of a token the account no longer holds says nothing about
    the account: a comms manager reconnected it, or another worker renewed it,
    while the attempt was under way. The next attempt starts with the stored
    token, so this can only spare an account once per change of token."""
    account = ChannelAccount.objects.select_for_update().get(pk=account_id)
    return account.credentials().access_token not in used


def needs_reconnect(account_id: int, message: str) -> int:
    """The account's token was refused even after a refresh: mark it, and park
    its waiting posts with ``message`` until it is connected again. The number
    of posts parked."""
    mark_needs_reconnect(account_id, message)
    return len(
        lifecycle.advance_all(
            _waiting_rows(account_id), "account_parked", message=message, kind="auth"
        )
    )


def usage_capped(account_id: int, message: str, until: datetime) -> int:
    """The platform's allowance for a long period is spent (X's monthly usage
    cap): the account is paused until ``until`` and its waiting posts park with
    ``message``; comms managers are alerted once, when the pause starts. The
    number of posts parked; :func:`resume_capped` sends them at that time."""
    fields = {
        "status": ChannelAccount.Status.CAPPED,
        "status_message": message[:500],
        "capped_until": until,
        "last_error_at": timezone.now(),
    }
    account = ChannelAccount.objects.filter(pk=account_id)
    if account.filter(status=ChannelAccount.Status.CONNECTED).update(**fields):
        alerts.for_capped_account(account_id, message)
    return len(
        lifecycle.advance_all(
            _waiting_rows(account_id),
            "account_parked",
            message=message,
            kind="rate_limited",
        )
    )


def resume_capped(now: datetime | None = None) -> int:
    """Connect again every account whose usage cap has reset, and send what
    waited for it. Run by beat; the number of posts resumed."""
    now = now or timezone.now()
    resumed = 0
    due = ChannelAccount.objects.filter(
        status=ChannelAccount.Status.CAPPED, capped_until__lte=now
    ).defer("access_token", "refresh_token")
    for account in due:
        with transaction.atomic():
            if not ChannelAccount.objects.filter(
                pk=account.pk, status=ChannelAccount.Status.CAPPED
            ).update(
                status=ChannelAccount.Status.CONNECTED,
                status_message="",
                capped_until=None,
            ):
                continue
            resumed += resume(account)
    return resumed


def save_connected(found: ConnectedAccount, user) -> tuple[ChannelAccount, int]:
    """Create or update the account (same platform and remote id) as connected,
    then resume the posts that waited for it. Returns the account and how many
    posts resumed."""
    credentials = found.credentials
    with transaction.atomic():
        account = (
            ChannelAccount.objects.select_for_update()
            .filter(platform=found.platform, remote_id=found.remote_id)
            .first()
        ) or ChannelAccount(platform=found.platform, remote_id=found.remote_id)
        account.display_name = found.display_name or account.display_name
        account.access_token = credentials.access_token
        # A reconnect that brings no refresh token keeps the one we had.
        account.refresh_token = credentials.refresh_token or account.refresh_token
        account.token_expires_at = credentials.expires_at
        account.scopes = list(credentials.scopes)
        account.extra = {**account.extra, **dict(credentials.extra)}
        account.status = ChannelAccount.Status.CONNECTED
        account.status_message = ""
        account.capped_until = None
        account.connected_by = user
        account.connected_at = timezone.now()
        account.save()
        resumed = resume(account)
    return account, resumed


def instance_config(
    platform: str, instance_url: str, redirect_uri: str, *, register: bool = True
) -> dict:
    """The channel's configuration for connecting an account on the server at
    ``instance_url`` (a platform that ``chooses_instance``): the configured
    app on the configured server, else the app registered on that server for
    ``redirect_uri``, registered now when there is none yet and ``register``.

    Raises what the adapter's ``register_app`` raises, and ``AuthError`` when
    there is no app and ``register`` is false (the callback of a flow whose
    app has since been forgotten).
    """
    adapter_class = registry.get(platform)
    config = registry.channel_config(platform)
    if config.get("CLIENT_ID") and same_server(
        instance_url, adapter_class.instance_of(config, {})
    ):
        return adapter_class.on_instance(config, instance_url)
    key = {
        "platform": platform,
        "instance_url": instance_url,
        "redirect_uri": redirect_uri,
    }
    app = InstanceApp.objects.filter(**key).first()
    if app is None:
        if not register:
            raise AuthError(
                f"The app on {instance_url} is no longer known. Please connect again."
            )
        registration = adapter_class.register_app(
            config, instance_url, redirect_uri, name=APP_NAME, website=settings.SITE_URL
        )
        # A registration made meanwhile by someone else wins; this one is unused.
        app, _created = InstanceApp.objects.get_or_create(
            **key,
            defaults={
                "client_id": registration.client_id,
                "client_secret": registration.client_secret,
            },
        )
        logger.info("Registered the %s app on %s.", platform, instance_url)
    return adapter_class.on_instance(config, instance_url, app.registration())


def same_server(one: str, other: str) -> bool:
    """Whether two addresses, however typed, name the same server."""
    try:
        return server_address(one) == server_address(other)
    except ValueError:
        return False


def resume(account: ChannelAccount) -> int:
    """After reconnection: send what was waiting for this account."""
    rows = CrossPost.objects.filter(account=account, state=State.NEEDS_RECONNECT)
    return len(lifecycle.advance_all(rows, "reconnected"))


def posts_a_use_stops(account: ChannelAccount, usage: str):
    """The account's posts that are not on the platform yet and that ``usage``
    no longer sends: every one for a retired account, those of ordinary pages
    for an account kept for urgent notices, none for one used for every page.
    Held, waiting, retrying, parked and failed posts count; an update or a
    take-down of a post that stands goes on, as it changes what is there."""
    if usage == Usage.EVERY_PAGE:
        return account.crossposts.none()
    rows = account.crossposts.filter(
        operation__in=[Operation.PUBLISH, Operation.RECONCILE],
        state__in=[
            State.HELD,
            State.PENDING,
            State.RETRYING,
            State.FAILED,
            State.NEEDS_RECONNECT,
        ],
    )
    if usage == Usage.URGENT_ONLY:
        rows = rows.filter(urgent=False)
    return rows


def change_use(account: ChannelAccount, usage: str, user) -> int:
    """Give the account its new use, and cancel the posts it no longer sends
    (:func:`posts_a_use_stops`), each saying why on the dashboard and the
    page's Social tab. Returns how many were cancelled."""
    who = get_user_display_name(user)
    reason = {
        Usage.RETIRED: f"{account} was retired by {who}",
        Usage.URGENT_ONLY: f"{account} is kept for urgent notices only, by {who}",
    }.get(usage, "")
    with transaction.atomic():
        account.usage = usage
        account.save(update_fields=["usage"])
        rows = posts_a_use_stops(account, usage).select_for_update()
        return len(lifecycle.advance_all(rows, "cancelled", user=user, reason=reason))


def disconnect(account: ChannelAccount, user) -> int:
    """Forget the account's tokens and park its waiting posts with a clear note.

    Returns how many posts now wait for the account to be reconnected.
    """
    note = (
        f"{account} was disconnected by {user} on "
        f"{timezone.localtime():%d %b %Y at %H:%M}. Reconnect it under "
        "Social > Accounts to send this post, or cancel it."
    )
    with transaction.atomic():
        account.status = ChannelAccount.Status.DISCONNECTED
        account.status_message = note[:500]
        account.access_token = account.refresh_token = ""
        account.token_expires_at = None
        account.save(
            update_fields=[
                "status",
                "status_message",
                "access_token",
                "refresh_token",
                "token_expires_at",
            ]
        )
        parked = lifecycle.advance_all(
            _waiting_rows(account.pk), "account_parked", message=note, kind="auth"
        )
        # Posts parked already say why in the words of this disconnection.
        already = CrossPost.objects.filter(
            account=account, state=State.NEEDS_RECONNECT
        ).exclude(pk__in=[row.pk for row in parked])
        return len(parked) + already.update(last_error=note, last_error_kind="auth")
