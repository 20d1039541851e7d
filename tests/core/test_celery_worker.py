import threading
import uuid

import pytest
from celery.app.backends import by_url
from celery.result import AsyncResult

from config.celery import app as celery_app
from core.tasks import echo
from tests.conftest import set_celery
from tests.services import celery_worker


@pytest.mark.redis
@pytest.mark.django_db
def test_a_task_round_trips_through_a_real_worker_on_redis(tmp_path, monkeypatch, settings):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    set_celery(task_always_eager=False)  # the autouse fixture restores it
    # Production stores no results; this round trip needs a store on both sides: the
    # worker's from its environment, ours built here (the app's own is built once and cached).
    monkeypatch.setenv("CELERY_RESULT_BACKEND", settings.REDIS_URL)
    store_class, store_url = by_url(settings.REDIS_URL, loader=celery_app.loader)
    store = store_class(app=celery_app, url=store_url)
    with celery_worker(queue, tmp_path / "worker.log") as worker:
        token = uuid.uuid4().hex
        sent = echo.apply_async(args=[token], queue=queue)
        try:
            assert AsyncResult(sent.id, backend=store, app=celery_app).get(timeout=60) == token
        except Exception:
            print((tmp_path / "worker.log").read_text(errors="replace"))
            raise
        assert worker.poll() is None
    assert "core.echo" in (tmp_path / "worker.log").read_text()


def test_request_threads_share_one_result_store_object():
    # ASGI runs each request in a new thread; building the store per thread cost a scan of
    # the installed packages' entry points every time a request queued a task.
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(celery_app.backend)) for _ in range(3)]
    for thread in threads:
        thread.start()
        thread.join()
    assert len(seen) == 3
    assert all(store is celery_app.backend for store in seen)
