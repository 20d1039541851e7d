"""The access matrix's websocket rows: every websocket route × every role.

The routes come from ``core.routing.websocket_urlpatterns``, so a new route without a row
fails here as a new URL fails the HTTP matrix. ``open`` means the handshake was accepted and
the first message counts the user's own unread notices; ``refused`` that it was closed.
With every role connected at once, an event for resident A reaches resident A's socket and
no other.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from core.notifications import publish_now, unread_count
from core.routing import websocket_urlpatterns
from tests.security.world import ROLES, build_world

ORIGIN = (b"origin", b"http://localhost")

WS_TABLE: dict[str, dict[str, str]] = {
    "ws/notifications/": {role: "refused" if role == "anonymous" else "open" for role in ROLES},
}


def ws_routes() -> list[str]:
    return [str(pattern.pattern) for pattern in websocket_urlpatterns]


def test_every_websocket_route_has_a_row_and_every_row_a_route():
    assert sorted(ws_routes()) == sorted(WS_TABLE)


def headers_for(user: Any) -> list[tuple[bytes, bytes]]:
    if user is None:
        return [ORIGIN]
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())]


@pytest.mark.django_db(transaction=True)
def test_websocket_matrix():
    world = build_world()
    users = world.users
    headers = {role: headers_for(users[role]) for role in ROLES}
    unread = {role: unread_count(user) for role, user in users.items() if user is not None}
    resident_a = users["resident_a"]
    assert resident_a is not None

    async def scenario() -> list[str]:
        wrong: list[str] = []
        for route in ws_routes():
            sockets: dict[str, WebsocketCommunicator] = {}
            for role in ROLES:
                socket = WebsocketCommunicator(application, f"/{route}", headers=headers[role])
                connected, _code = await socket.connect(timeout=5)
                got = "open" if connected else "refused"
                if got != WS_TABLE[route][role]:
                    wrong.append(f"{route} as {role}: {got}, expected {WS_TABLE[route][role]}")
                if not connected:
                    await socket.disconnect()  # let the application finish
                    continue
                hello = await socket.receive_json_from(timeout=5)
                if hello != {"type": "hello", "unread": unread[role]}:
                    wrong.append(f"{route} as {role}: greeted with {hello}")
                sockets[role] = socket
            await sync_to_async(publish_now)(resident_a.pk, {"type": "matrix", "for": "A"})
            for role, socket in sockets.items():
                if role == "resident_a":
                    event = await socket.receive_json_from(timeout=5)
                    if event != {"type": "matrix", "for": "A"}:
                        wrong.append(f"{route}: resident A got {event}")
                elif not await socket.receive_nothing(timeout=0.2):
                    wrong.append(f"{route}: {role} received resident A's event")
            for socket in sockets.values():
                await socket.disconnect()
        return wrong

    wrong = async_to_sync(scenario)()
    assert not wrong, "\n".join(wrong)
    assert unread["resident_a"] >= 1  # the world notified A, so the greeting count means something
