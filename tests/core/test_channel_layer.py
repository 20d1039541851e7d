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
