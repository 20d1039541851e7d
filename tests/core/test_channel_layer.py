"""The Redis channel layer as configured keeps an idle websocket's listener alive.

channels_redis waits for messages with a blocking pop of 5 seconds; redis-py 8 gives every
read a 5-second socket timeout by default, so an idle listener's read timed out just as
Redis answered, the consumer died and the browser's websocket was closed (code 1011) every
few seconds of quiet.
"""

import asyncio
import uuid

import pytest
from channels_redis.core import RedisChannelLayer
from django.conf import settings

pytestmark = pytest.mark.redis


def test_an_idle_listener_outlives_the_blocking_pop_and_still_gets_its_message():
    layer_settings = settings.CHANNEL_LAYERS["default"]
    assert layer_settings["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    config = {**layer_settings["CONFIG"], "prefix": f"test-{uuid.uuid4().hex[:8]}"}
    layer = RedisChannelLayer(**config)

    async def scenario() -> dict:
        channel = await layer.new_channel()
        receiving = asyncio.ensure_future(layer.receive(channel))
        # Quiet for longer than one blocking pop (and redis-py's default read timeout).
        await asyncio.sleep(layer.brpop_timeout + 1.5)
        assert not receiving.done(), receiving.exception()
        await layer.send(channel, {"type": "notification.event", "payload": {"n": 1}})
        try:
            return await asyncio.wait_for(receiving, timeout=5)
        finally:
            await layer.flush()
            await layer.close_pools()

    assert asyncio.run(scenario()) == {"type": "notification.event", "payload": {"n": 1}}


@pytest.fixture
def kept_loop():
    from core import notifications

    previous = notifications._kept_loop
    notifications.keep_event_loop()
    yield notifications._kept_loop
    loop, notifications._kept_loop = notifications._kept_loop, previous
    loop.call_soon_threadsafe(loop.stop)


def test_a_process_without_a_server_loop_pushes_through_its_kept_loop(kept_loop, monkeypatch):
    """A Celery worker's live pushes go through one kept event loop, not a new loop (and a
    new Redis connection pool) per push."""
    from channels.layers import get_channel_layer

    from core import notifications

    def no_new_loop(*args, **kwargs):
        raise AssertionError("async_to_sync was used")

    monkeypatch.setattr(notifications, "async_to_sync", no_new_loop)
    # The receiving side on a layer of its own: the sending one's pools live on the kept loop.
    layer = RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    assert isinstance(get_channel_layer(), RedisChannelLayer)
    user_id = 900_000 + uuid.uuid4().int % 100_000

    async def scenario() -> list[dict]:
        channel = await layer.new_channel()
        await layer.group_add(notifications.user_group(user_id), channel)
        try:
            for n in range(3):
                await asyncio.to_thread(notifications.publish_now, user_id, {"n": n})
            return [await asyncio.wait_for(layer.receive(channel), timeout=5) for _ in range(3)]
        finally:
            await layer.group_discard(notifications.user_group(user_id), channel)
            await layer.close_pools()

    received = asyncio.run(scenario())
    assert [message["payload"] for message in received] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_a_worker_process_keeps_its_database_connection_and_its_loop(monkeypatch):
    from django.db import connections

    from config.celery import prepare_worker_process
    from core import notifications

    database = connections["default"].settings_dict
    monkeypatch.setitem(database, "CONN_MAX_AGE", 0)
    monkeypatch.setitem(database, "CONN_HEALTH_CHECKS", False)
    monkeypatch.setattr(notifications, "_kept_loop", None)
    prepare_worker_process()
    loop = notifications._kept_loop
    try:
        assert loop is not None

        async def answer() -> int:
            return 42

        assert asyncio.run_coroutine_threadsafe(answer(), loop).result(timeout=5) == 42
        assert database["CONN_MAX_AGE"] == settings.WORKER_DB_CONN_MAX_AGE > 0
        assert database["CONN_HEALTH_CHECKS"] is True
    finally:
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)


def test_a_burst_to_one_process_sockets_is_not_cut_at_the_default_capacity():
    """All websockets of one server process share one Redis queue; a notice delivery's
    batch commits its pushes together, well beyond channels_redis's default of 100."""
    layer_settings = settings.CHANNEL_LAYERS["default"]
    config = {**layer_settings["CONFIG"], "prefix": f"test-{uuid.uuid4().hex[:8]}"}
    layer = RedisChannelLayer(**config)
    burst = 600

    async def scenario() -> list[int]:
        sockets = [await layer.new_channel() for _ in range(30)]
        for number, channel in enumerate(sockets):
            await layer.group_add(f"user-{number}", channel)
        for n in range(burst):
            await layer.group_send(
                f"user-{n % len(sockets)}", {"type": "notification.event", "payload": {"n": n}}
            )
        received = []
        try:
            for n in range(burst):
                channel = sockets[n % len(sockets)]
                message = await asyncio.wait_for(layer.receive(channel), timeout=5)
                received.append(message["payload"]["n"])
        finally:
            await layer.flush()
            await layer.close_pools()
        return received

    assert sorted(asyncio.run(scenario())) == list(range(burst))
