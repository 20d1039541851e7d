"""Delivering under real concurrency on PostgreSQL: two workers on one due delivery send
one POST; an event is delivered only once its transaction commits."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from merchants.models import WebhookDelivery
from merchants.services import webhooks
from tests.concurrency.conftest import run_together
from tests.factories import NeighbourhoodFactory
from tests.merchants.conftest import make_shop
from tests.merchants.webhooks.conftest import add_endpoint

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def emit(shop):
    with transaction.atomic():
        return webhooks.emit(
            shop_id=shop.pk, event_type="payment.succeeded", event_key="payment:9", data={}
        )


def test_two_workers_on_one_due_delivery_send_it_once(receiver):
    shop = make_shop(NeighbourhoodFactory(name="阳光花园"))
    add_endpoint(shop, receiver.url())
    # The first attempt, made as the event commits, fails; the retry falls due in a minute
    receiver.answer(500)
    [pk] = emit(shop)
    assert WebhookDelivery.objects.get(pk=pk).attempts == 1
    # ...and the shop's system now answers slowly, so the two workers overlap
    receiver.hang(0.5)

    with time_machine.travel(timezone.now() + timedelta(minutes=1, seconds=1)):
        outcomes = run_together([lambda: webhooks.deliver(pk) for _ in range(4)])

    assert [o.error for o in outcomes] == [None] * 4
    sent = [o.value for o in outcomes if o.value is not None]
    assert len(sent) == 1 and sent[0].status == WebhookDelivery.Status.DELIVERED
    assert len(receiver.requests) == 2  # the failed first attempt, and one retry
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.DELIVERED, 2)


def test_a_claim_waiting_on_another_reads_the_delivery_again_and_backs_off(receiver):
    # Forced deterministically: worker A has claimed the delivery and not yet committed;
    # worker B's claim waits for A's row lock, then must see the delivery no longer due.
    shop = make_shop(NeighbourhoodFactory(name="阳光花园"))
    add_endpoint(shop, receiver.url())
    receiver.answer(500)
    [pk] = emit(shop)  # the first attempt fails; the retry is due in a minute
    a_claimed = threading.Event()

    def worker_a():
        with transaction.atomic():
            won = webhooks._claim(pk, timezone.now())
            a_claimed.set()
            time.sleep(0.5)  # B is now waiting on the row lock
        return won

    def worker_b():
        assert a_claimed.wait(10)
        return webhooks.deliver(pk)

    with time_machine.travel(timezone.now() + timedelta(minutes=1, seconds=1)):
        a, b = run_together([worker_a, worker_b])

    assert (a.error, b.error) == (None, None)
    assert a.value is True and b.value is None
    assert b.seconds >= 0.3  # it did wait for A
    assert len(receiver.requests) == 1  # only the first attempt: B sent nothing
    assert WebhookDelivery.objects.get(pk=pk).attempts == 2


def test_an_event_rolled_back_with_its_business_transaction_is_never_sent(receiver):
    shop = make_shop(NeighbourhoodFactory(name="阳光花园"))
    add_endpoint(shop, receiver.url())

    with pytest.raises(RuntimeError), transaction.atomic():
        webhooks.emit(
            shop_id=shop.pk, event_type="payment.succeeded", event_key="payment:1", data={}
        )
        raise RuntimeError("the payment failed after the event was recorded")

    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_emit_outside_a_transaction_is_a_programming_error(receiver):
    shop = make_shop(NeighbourhoodFactory(name="阳光花园"))
    with pytest.raises(RuntimeError, match="inside the business transaction"):
        webhooks.emit(shop_id=shop.pk, event_type="payment.succeeded", event_key="k", data={})
