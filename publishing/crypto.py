"""Encryption of platform tokens at rest (Fernet, from ``cryptography``).

``TOKEN_ENCRYPTION_KEY`` may hold several comma-separated keys: the first encrypts,
all decrypt, so keys can be rotated without losing connected accounts.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: str) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEY is not set. Run `python manage.py devkey` for a "
            "local key, or set it in the environment."
        )
    try:
        return MultiFernet([Fernet(key.strip()) for key in keys.split(",")])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64 bytes)."
        ) from exc


def encrypt(plaintext: str) -> str:
    return _fernet(settings.TOKEN_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return (
            _fernet(settings.TOKEN_ENCRYPTION_KEY).decrypt(ciphertext.encode()).decode()
        )
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored token cannot be decrypted with TOKEN_ENCRYPTION_KEY; was the "
            "key changed without keeping the old one?"
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; the empty string stays empty."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
