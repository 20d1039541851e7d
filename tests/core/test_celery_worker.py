import uuid

import pytest

from config.celery import app as celery_app
from core.tasks import echo
from tests.services import celery_worker


@pytest.mark.redis
@pytest.mark.django_db
def test_a_task_round_trips_through_a_real_worker_on_redis(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_always_eager = False
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
