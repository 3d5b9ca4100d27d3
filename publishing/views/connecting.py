"""Carrying the accounts an OAuth flow found through the session, until a comms
manager picks which to connect (:func:`publishing.accounts.save_connected`).

Tokens only ever travel between the platform, the session (encrypted) and the
database (encrypted); nothing here renders or logs them.
"""

from __future__ import annotations

from datetime import datetime

from channels.values import ConnectedAccount, Credentials

from .. import crypto


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
