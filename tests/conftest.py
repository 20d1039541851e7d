"""Shared fixtures and the rules for tests that need real services.

Tests marked ``postgres``, ``redis`` or ``browser`` skip on a laptop without that
service, but fail when ``CI`` is set: a CI run must never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from config.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"


def missing(reason: str) -> None:
    """Skip for lack of a service, or fail if CI promised it."""
    if IN_CI:
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing("this test needs PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis") and not redis_available():
        missing("this test needs Redis (set REDIS_URL to a running server)")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        missing(f"this test needs Chromium at {CHROMIUM}")


@pytest.fixture(autouse=True)
def _test_settings(settings: object) -> None:
    # A fresh cache per test: allauth's rate limits live there and must not leak.
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4()}",
        }
    }
    settings.SMS_BACKEND = "community.sms.LocmemSmsBackend"  # type: ignore[attr-defined]
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "wallet.hashers.PinHasher",
    ]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]


def set_celery(**values: Any) -> dict[str, Any]:
    """Change Celery settings at run time; returns the previous values. Celery 5.6 reads a
    setting loaded from Django's settings under its ``CELERY_`` name first, so both names
    are written."""
    previous = {key: celery_app.conf[key] for key in values}
    for key, value in values.items():
        celery_app.conf[key] = value
        celery_app.conf[f"CELERY_{key.upper()}"] = value
    return previous


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Tasks run in-process unless a test asks for a real worker."""
    previous = set_celery(task_always_eager=True, task_eager_propagates=True)
    yield
    set_celery(**previous)


@pytest.fixture(autouse=True)
def _sms_outbox() -> Iterator[list[object]]:
    from community import sms

    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def sms_outbox(_sms_outbox: list[object]) -> list[object]:
    return _sms_outbox
