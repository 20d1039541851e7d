"""Field-level encryption and keyed digests for identity numbers.

Encryption is ``cryptography``'s Fernet (AES-128-CBC with HMAC-SHA256): the column holds a
token, never the number. ``IDENTITY_ENCRYPTION_KEYS`` lists Fernet keys, newest first; older
keys still decrypt, so a key can be rotated by prepending a new one and re-saving rows.
Lookups use an HMAC-SHA256 of the normalised number under ``IDENTITY_DIGEST_KEY``, so the
database can find a number without holding anything that reveals it.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.IDENTITY_ENCRYPTION_KEYS))


def digest(value: str) -> str:
    key = settings.IDENTITY_DIGEST_KEY.encode()
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


class DecryptionFailed(Exception):
    """A stored token no configured key opens: a lost or wrong key, never silently ignored."""


class EncryptedCharField(models.TextField):  # type: ignore[type-arg]
    """A text value stored as a Fernet token; the plain value exists only in memory."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return fernet().encrypt(str(value).encode()).decode()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            raise DecryptionFailed(f"{self.model.__name__}.{self.name}") from None
