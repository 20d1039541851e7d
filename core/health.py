"""Dependency probes for ``/healthz``. Each returns ``(ok, detail)`` quickly."""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.db import connection

PROBE_TIMEOUT_SECONDS = 2


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return False, type(exc).__name__
    return True, connection.vendor


def check_redis() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "not configured (in-memory profile)"
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
            socket_timeout=PROBE_TIMEOUT_SECONDS,
        )
        client.ping()
        client.close()
    except Exception as exc:
        return False, type(exc).__name__
    return True, "ok"


def check_broker() -> tuple[bool, str]:
    if current_app.conf.task_always_eager:
        return True, "eager (tasks run in-process)"
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_SECONDS)
    except Exception as exc:
        return False, type(exc).__name__
    return True, "ok"


def run_checks() -> dict[str, dict[str, object]]:
    results = {}
    for name, probe in (
        ("database", check_database),
        ("redis", check_redis),
        ("broker", check_broker),
    ):
        ok, detail = probe()
        results[name] = {"ok": ok, "detail": detail}
    return results
