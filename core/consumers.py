from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.notifications import unread_count, user_group

# Close code for a handshake refused for lack of a logged-in user (4000-4999 are ours).
CLOSE_NOT_AUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """``/ws/notifications/``: live inbox events for the logged-in user only."""

    group_name: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        self.group_name = user_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        unread = await database_sync_to_async(unread_count)(user)
        await self.send_json({"type": "hello", "unread": unread})

    async def disconnect(self, code: int) -> None:
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Clients ping to keep proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notification_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
