"""``/ws/notifications/``: a logged-in user's events arrive live; anonymous is refused."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from config.asgi import application
from core.consumers import CLOSE_NOT_AUTHENTICATED
from core.models import Notification
from core.notifications import notify, publish_now
from tests.factories import UserFactory

ORIGIN = (b"origin", b"http://localhost")


def session_headers(client, user):
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [ORIGIN, (b"cookie", cookie.encode())]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_logged_in_user_round_trip_through_the_redis_layer(client):
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    resident = UserFactory()
    Notification.objects.create(user=resident, kind="t", title="waiting")
    headers = session_headers(client, resident)

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        assert connected
        assert await socket.receive_json_from(timeout=5) == {"type": "hello", "unread": 1}

        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}

        # Outside any transaction, notify() publishes at once through Redis.
        entry = await sync_to_async(notify)(resident, kind="payment", title="收到 ¥25.00")
        event = await socket.receive_json_from(timeout=5)
        assert event["type"] == "notification"
        assert event["id"] == entry.pk
        assert event["title"] == "收到 ¥25.00"
        assert event["unread"] == 2

        # Another user's events never reach this socket.
        other = await sync_to_async(UserFactory)()
        await sync_to_async(publish_now)(other.pk, {"type": "notification", "title": "not yours"})
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_anonymous_connection_is_refused():
    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/notifications/", headers=[ORIGIN])
        connected, code = await socket.connect(timeout=5)
        assert not connected
        assert code == CLOSE_NOT_AUTHENTICATED
        await socket.disconnect()  # let the application finish before the loop closes

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_foreign_origin_is_refused(client):
    headers = session_headers(client, UserFactory())
    headers[0] = (b"origin", b"https://evil.example")

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        connected, _ = await socket.connect(timeout=5)
        assert not connected
        await socket.disconnect()  # let the application finish before the loop closes

    async_to_sync(scenario)()
