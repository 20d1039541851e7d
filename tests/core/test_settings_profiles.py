"""Both settings profiles boot, and the production profile passes check --deploy."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], "
    "'atomic': s.DATABASES['default']['ATOMIC_REQUESTS'], "
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': s.CELERY_BROKER_URL, 'cache': s.CACHES['default']['BACKEND'], "
    "'debug': s.DEBUG}))"
)
SERVICE_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "LINLI_ENV",
    "DJANGO_SECRET_KEY",
    "CELERY_BROKER_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def probe(env_overrides: dict[str, str]) -> dict[str, object]:
    result = run(env_overrides, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env() -> dict[str, str]:
    return {
        "LINLI_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "linli.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://linli.example.com",
        "DATABASE_URL": "postgres://linli:linli@127.0.0.1:5432/linli",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "WALLET_BANK_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "IDENTITY_ENCRYPTION_KEYS": "RTfP2N0lJ3iJ4oJm0vW2Y6mWq0Z2m8Zb4n7G1S3c5dE=",
        "IDENTITY_DIGEST_KEY": secrets.token_urlsafe(32),
    }


def test_bare_profile_uses_sqlite_in_memory_layer_and_eager_tasks():
    found = probe({})
    assert found["db"] == "django.db.backends.sqlite3"
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"
    assert found["eager"] is True
    assert found["atomic"] is False
    result = run({}, "manage.py", "check")
    assert result.returncode == 0, result.stderr


def test_service_profile_uses_postgresql_and_redis():
    found = probe(
        {"DATABASE_URL": "postgres://u:p@db.internal:5432/linli", "REDIS_URL": "redis://r:6379/1"}
    )
    assert found["db"] == "django.db.backends.postgresql"
    assert found["layer"] == "channels_redis.core.RedisChannelLayer"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["broker"] == "redis://r:6379/1"
    assert found["eager"] is False
    assert found["atomic"] is False


def test_production_profile_passes_check_deploy_with_no_warnings():
    result = run(production_env(), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert probe(production_env())["debug"] is False


def test_production_profile_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = run(env, "manage.py", "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_ALLOWED_HOSTS"])
def test_production_profile_without_hosts_fails_the_deploy_check(missing):
    env = production_env()
    del env[missing]
    result = run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
