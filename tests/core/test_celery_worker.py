import uuid

import pytest

from config.celery import app as celery_app
from core.tasks import echo
from tests.services import celery_worker


@pytest.mark.redis
@pytest.mark.django_db
def test_a_task_round_trips_through_a_real_worker_on_redis(
    tmp_path, monkeypatch, settings, request
):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_always_eager = False
    # Production stores no results; this round trip needs a store on both sides.
    previous_store = celery_app.conf.result_backend
    celery_app.conf.result_backend = settings.REDIS_URL
    request.addfinalizer(lambda: setattr(celery_app.conf, "result_backend", previous_store))
    monkeypatch.setenv("CELERY_RESULT_BACKEND", settings.REDIS_URL)
    with celery_worker(queue, tmp_path / "worker.log") as worker:
        token = uuid.uuid4().hex
        result = echo.apply_async(args=[token], queue=queue)
        try:
            assert result.get(timeout=60) == token
        except Exception:
            print((tmp_path / "worker.log").read_text(errors="replace"))
            raise
        assert worker.poll() is None
    assert "core.echo" in (tmp_path / "worker.log").read_text()
