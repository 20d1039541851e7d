"""What a payment tells others once it has committed: inbox notices about money, written in
each recipient's language, and the payee-paid event for the layer that owns a payee account
(a shop's till and webhooks).

A notice or event is written to the outbox (``NoticeOutbox``) in the transaction that moves the
money, so it commits with the money or not at all, and no fault between the commit and the
delivery can lose it. After commit a cheap wake-up (one Redis ``SET NX``) queues a delivery
task unless one is already queued; the task renders and delivers every pending notice, and
a periodic sweep catches what a lost wake-up left behind. Each row is marked sent in the
transaction that writes its inbox entry, so a notice is delivered once.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from core.models import Notification
from core.money import Money
from core.notifications import notify_many
from wallet.models import NoticeOutbox, Payment

logger = logging.getLogger(__name__)

WAKE_KEY = "wallet:notices:wake"  # under the cache's key prefix
# Long enough to spare the broker a task per payment, short enough that a wake-up whose task
# was lost (a worker killed before it started) is followed by another within seconds.
WAKE_TTL_SECONDS = 2
BATCH = 200
KEEP_SENT = timedelta(days=7)


def notice(
    user: Any,
    *,
    kind: str,
    template: str,
    amount: Money,
    party: str,
    url: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    """One notice for ``user``: ``template`` is a msgid with ``%(amount)s`` and ``%(party)s``,
    rendered in the user's language when it is delivered."""
    return {
        "user_id": user.pk,
        "kind": kind,
        "template": template,
        "amount_minor": amount.minor,
        "currency": amount.currency,
        "party": party,
        "url": url,
        "data": data,
    }


def send_after_commit(*notices: dict[str, Any]) -> None:
    """Write the notices of one event to the outbox, in the caller's transaction."""
    NoticeOutbox.objects.bulk_create(NoticeOutbox(payload=payload) for payload in notices)
    wake_after_commit()


def money_notice(user: Any, **fields: Any) -> None:
    send_after_commit(notice(user, **fields))


PAYEE_PAID = "payee_paid"


def payee_paid_event() -> dict[str, Any]:
    """For ``WALLET_PAYEE_PAID_HANDLERS``: the posting adds the payment's id to ``data``."""
    return {"event": PAYEE_PAID, "url": "", "data": {}}


def wake_after_commit() -> None:
    transaction.on_commit(wake, robust=True)


def wake() -> None:
    """Queue a delivery unless one is queued or running (the task clears the key when it has
    delivered everything, so a notice committed after that wakes another)."""
    from wallet.tasks import deliver_notices

    if _claim_wake():
        deliver_notices.delay()


def _claim_wake() -> bool:
    if not settings.REDIS_URL:
        return bool(cache.add(WAKE_KEY, 1, timeout=WAKE_TTL_SECONDS))
    # One client for the process: Django's cache builds a client per call, which costs a
    # payment more than the rest of its Python.
    return bool(_redis().set(_wake_key(), 1, nx=True, ex=WAKE_TTL_SECONDS))


def _clear_wake() -> None:
    if settings.REDIS_URL:
        _redis().delete(_wake_key())
    else:
        cache.delete(WAKE_KEY)


def _wake_key() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{WAKE_KEY}"


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def deliver_pending() -> int:
    """Deliver every pending notice, in batches; concurrent runs share the work.

    The wake-up key stays set while this runs, so payments committed meanwhile queue no task
    of their own: their notices are in a later batch, or in the last look, taken after the
    key is cleared (a payment that found the key set committed before it was cleared).
    """
    failed: set[int] = set()
    delivered = _drain(failed)
    _clear_wake()
    if not _pending(failed).exists():  # one statement: the usual answer
        return delivered
    return delivered + _drain(failed)


def _pending(failed: set[int]) -> QuerySet[NoticeOutbox]:
    return NoticeOutbox.objects.filter(sent_at__isnull=True).exclude(pk__in=failed)


def _drain(failed: set[int]) -> int:
    """Deliver batches until one comes up short; rows that fail are added to ``failed`` and
    left for the sweep."""
    delivered = 0
    while True:
        with transaction.atomic():
            rows = list(_pending(failed).select_for_update(skip_locked=True).order_by("pk")[:BATCH])
            if not rows:
                return delivered
            users = get_user_model().objects.in_bulk(
                {row.payload["user_id"] for row in rows if "user_id" in row.payload}
            )
            paid = _payments(
                row.payload["data"]["payment_id"]
                for row in rows
                if row.payload.get("event") == PAYEE_PAID
            )
            sent = _deliver_batch(rows, users, paid, failed)
            NoticeOutbox.objects.filter(pk__in=sent).update(sent_at=timezone.now())
        delivered += len(sent)
        if len(rows) < BATCH:
            # Nothing was left behind by this batch; a notice committed since is in the
            # caller's last look or has woken another delivery.
            return delivered


def _deliver_batch(
    rows: list[NoticeOutbox], users: dict[int, Any], paid: dict[int, Payment], failed: set[int]
) -> list[int]:
    """Deliver the rows in one savepoint; if one fails, again one savepoint each, so that
    the rest go on (a savepoint per row costs two round trips, and failures are rare)."""
    try:
        with transaction.atomic():
            notify_many([entry for row in rows for entry in _deliver(row.payload, users, paid)])
        return [row.pk for row in rows]
    except Exception:
        pass  # rolled back with its savepoint; the row that failed is logged below
    sent = []
    for row in rows:
        try:
            with transaction.atomic():
                notify_many(_deliver(row.payload, users, paid))
        except Exception:
            # Left pending for the next sweep; the rest of the batch goes on.
            logger.exception("outbox entry %s could not be delivered", row.pk)
            failed.add(row.pk)
        else:
            sent.append(row.pk)
    return sent


def purge_sent() -> int:
    deleted, _ = NoticeOutbox.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    return deleted


def _payments(ids: Iterable[int]) -> dict[int, Payment]:
    return Payment.objects.select_related("payee", "transaction").in_bulk(set(ids))


def _deliver(
    payload: dict[str, Any], users: dict[int, Any], paid: dict[int, Payment]
) -> list[Notification]:
    """Run a payee-paid event's handlers, or render a notice: the inbox entry to write."""
    if payload.get("event") == PAYEE_PAID:
        payment = paid[payload["data"]["payment_id"]]
        for handler in settings.WALLET_PAYEE_PAID_HANDLERS:
            import_string(handler)(payment=payment, payee=payment.payee)
        return []
    user = users.get(payload["user_id"])
    if user is None:
        return []
    language = getattr(user, "preferred_language", "") or translation.get_language() or "zh-hans"
    with translation.override(language):
        title = gettext(payload["template"]) % {
            "amount": Money(payload["amount_minor"], payload["currency"]).format(),
            "party": payload["party"],
        }
    return [
        Notification(
            user=user, kind=payload["kind"], title=title, url=payload["url"], data=payload["data"]
        )
    ]
