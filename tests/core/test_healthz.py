import pytest
from django.urls import reverse

from tests.conftest import set_celery

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_dependency(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_is_503_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_the_broker_is_down(client):
    down = "redis://127.0.0.1:1/0"  # the probe connects for writing
    previous = set_celery(task_always_eager=False, broker_url=down, broker_write_url=down)
    try:
        response = client.get(reverse("healthz"))
    finally:
        set_celery(**previous)
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
