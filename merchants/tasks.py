"""Celery tasks of the merchants app: take ids, reload, call a service. Each is safe to run
twice (a delivery is claimed by compare-and-set before it is sent)."""

from __future__ import annotations

from celery import shared_task

from merchants.services import webhooks


@shared_task(name="merchants.webhook_deliver")
def webhook_deliver(delivery_pk: int) -> str | None:
    """One attempt at a webhook delivery; its status afterwards, or None if it was not due."""
    delivery = webhooks.deliver(delivery_pk)
    return None if delivery is None else delivery.status


@shared_task(name="merchants.webhooks_due")
def webhooks_due() -> int:
    """The minute sweep: queue an attempt for every delivery that is due (retries, and any
    whose first task was lost). Returns how many were queued."""
    due = webhooks.deliveries_due()
    for pk in due:
        webhook_deliver.delay(pk)
    return len(due)
