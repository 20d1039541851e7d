"""Inbox notifications and live events to a user's websocket connections.

Nothing here sends while a transaction is open: ``publish_on_commit`` defers the push
until the surrounding transaction commits, so a rolled-back payment never announces
itself. A push that fails (Redis down) is logged; the inbox row is the durable record
and the client catches up from it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.functional import Promise, lazy

from core.models import Notification

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The Channels group every websocket of one user joins."""
    return f"user-{user_id}"


# Set in processes that have no server event loop of their own (Celery's workers).
_kept_loop: asyncio.AbstractEventLoop | None = None
KEPT_LOOP_SEND_TIMEOUT_SECONDS = 5.0


def keep_event_loop() -> None:
    """Send through one event loop kept running in a background thread, for the rest of this
    process's life.

    For a process without a server loop: there ``async_to_sync`` builds a new event loop for
    every send, and channels_redis a new connection pool (and Redis connection) for every
    loop, which made each live push cost a Celery worker more than the rest of delivering a
    notice. Call it in the process that sends (after a fork, in the child).
    """
    global _kept_loop
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="channel-layer-sends", daemon=True).start()
    _kept_loop = loop


def publish_now(user_id: int, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "notification.event", "payload": event}
    try:
        if _kept_loop is None:
            async_to_sync(layer.group_send)(user_group(user_id), message)
        else:
            asyncio.run_coroutine_threadsafe(
                layer.group_send(user_group(user_id), message), _kept_loop
            ).result(timeout=KEPT_LOOP_SEND_TIMEOUT_SECONDS)
    except Exception:
        # The inbox keeps the record; a live push is best effort.
        logger.exception("live event to user %s could not be sent", user_id)


def publish_on_commit(user_id: int, event: dict[str, Any]) -> None:
    """Send ``event`` to the user's open websockets once the transaction commits."""
    transaction.on_commit(lambda: publish_now(user_id, event))


def _format(message: Promise, params: dict[str, Any]) -> str:
    return str(message) % params


def lazy_format(message: Promise, **params: Any) -> Any:
    """``message % params``, rendered only when ``notify`` forces it, so inside the
    recipient's language (``Money`` parameters format in that language too)."""
    return _lazy_format(message, params)


_lazy_format = lazy(_format, str)


def notify(
    user: Any,
    *,
    kind: str,
    title: str | Promise,
    body: str | Promise = "",
    url: str = "",
    data: dict[str, Any] | None = None,
) -> Notification:
    """Write an inbox entry for ``user`` and push it live after commit.

    Lazy translatable strings are rendered in the recipient's preferred language.
    """
    language = getattr(user, "preferred_language", None) or translation.get_language()
    with translation.override(language):
        notification = Notification(
            user=user,
            kind=kind,
            title=force_str(title),
            body=force_str(body),
            url=url,
            data=data or {},
        )
    return notify_many([notification])[0]


def notify_many(entries: list[Notification]) -> list[Notification]:
    """Write unsaved inbox entries, their text already in each recipient's language, and push
    each live after commit: one INSERT and one count of unread entries, however many entries
    and recipients (a notice delivery's batch). Each push carries its recipient's unread
    count after the whole batch, which is what the badge must end up showing."""
    if not entries:
        return []
    created = Notification.objects.bulk_create(entries)
    unread = dict(
        Notification.objects.filter(
            user_id__in={entry.user_id for entry in created}, read_at__isnull=True
        )
        .order_by()
        .values("user_id")
        .annotate(count=Count("pk"))
        .values_list("user_id", "count")
    )
    for entry in created:
        publish_on_commit(entry.user_id, {**entry.as_event(), "unread": unread[entry.user_id]})
    return created


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read (idempotent)."""
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        # Conditional update: two tabs marking the same entry set read_at once.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db(fields=["read_at"])
    publish_on_commit(user.pk, {"type": "unread", "unread": unread_count(user)})
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    changed = Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    publish_on_commit(user.pk, {"type": "unread", "unread": 0})
    return changed


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
