"""Saving the accounts an OAuth flow found, and disconnecting them.

Tokens only ever travel between the platform, the session (encrypted) and the
database (encrypted); nothing here renders or logs them.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from channels.values import ConnectedAccount, Credentials

from .. import crypto, services
from ..models import ChannelAccount, CrossPost

State = CrossPost.State
WAITING_STATES = (
    State.PENDING,
    State.RETRYING,
    State.UPDATING,
    State.RETRACTING,
    State.NEEDS_RECONNECT,
)


def to_session(found: ConnectedAccount) -> dict:
    """A JSON-safe copy of a found account for the session, tokens encrypted."""
    credentials = found.credentials
    return {
        "platform": found.platform,
        "remote_id": found.remote_id,
        "display_name": found.display_name,
        "access_token": crypto.encrypt(credentials.access_token),
        "refresh_token": crypto.encrypt(credentials.refresh_token)
        if credentials.refresh_token
        else "",
        "expires_at": credentials.expires_at.isoformat()
        if credentials.expires_at
        else None,
        "scopes": list(credentials.scopes),
        "extra": dict(credentials.extra),
    }


def from_session(data: dict) -> ConnectedAccount:
    expires_at = data["expires_at"]
    return ConnectedAccount(
        platform=data["platform"],
        remote_id=data["remote_id"],
        display_name=data["display_name"],
        credentials=Credentials(
            account_id=data["remote_id"],
            access_token=crypto.decrypt(data["access_token"]),
            refresh_token=crypto.decrypt(data["refresh_token"])
            if data["refresh_token"]
            else "",
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
            scopes=tuple(data["scopes"]),
            extra=data["extra"],
        ),
    )


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
        account.connected_by = user
        account.connected_at = timezone.now()
        account.save()
        resumed = services.resume_account(account)
    return account, resumed


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
        return CrossPost.objects.filter(
            account=account, state__in=WAITING_STATES, lease_owner=""
        ).update(state=State.NEEDS_RECONNECT, last_error=note, last_error_kind="auth")
