"""Emitting and delivering: a signed POST to the shop's real (local) receiver, subscription
by type, one delivery per event however often emitted, retries with backoff, giving up
after 24 hours, and the SSRF guard."""

from __future__ import annotations

import ipaddress
import itertools
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from merchants.errors import WebhookUrlNotAllowed
from merchants.models import WebhookDelivery
from merchants.services import webhooks
from merchants.tasks import webhooks_due
from merchants.webhooks_verify import WebhookSignatureError, verify
from tests.merchants.webhooks.conftest import add_endpoint

PENDING = WebhookDelivery.Status.PENDING
DELIVERED = WebhookDelivery.Status.DELIVERED
FAILED = WebhookDelivery.Status.FAILED
pytestmark = pytest.mark.django_db

DATA = {"payment_id": 41, "amount_minor": 2_500, "currency": "CNY", "note": "两碗面"}


def emit(shop, event_type="payment.succeeded", key="payment:41", data=None):
    with transaction.atomic():
        return webhooks.emit(
            shop_id=shop.pk, event_type=event_type, event_key=key, data=data or DATA
        )


def test_an_event_reaches_the_shops_system_signed_after_commit(
    shop, endpoint, receiver, django_capture_on_commit_callbacks
):
    secret = endpoint.secret

    # When a payment's transaction commits with its event
    with django_capture_on_commit_callbacks(execute=True):
        [pk] = emit(shop)

    # Then the shop's system got one POST, which the verifier accepts
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.status == DELIVERED and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.delivered_at is not None
    [request] = receiver.requests
    assert request.path == "/hooks/linli"
    verify(secret, request.headers["Linli-Signature"], request.body)
    assert request.headers["Linli-Delivery"] == str(delivery.delivery_id)
    assert request.headers["Linli-Event"] == "payment.succeeded"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.json == {
        "id": str(delivery.delivery_id),
        "type": "payment.succeeded",
        "created": int(delivery.created_at.timestamp()),
        "data": DATA,
    }
    # ... and another shop's secret does not verify it
    other = "whsec_" + "x" * 43
    with pytest.raises(WebhookSignatureError):
        verify(other, request.headers["Linli-Signature"], request.body)


def test_nothing_is_sent_before_the_business_transaction_commits(
    shop, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emit(shop)
    assert len(callbacks) == 1
    assert receiver.requests == []


def test_endpoints_hear_only_the_events_they_subscribe_to(shop, other_shop, receiver):
    payments = add_endpoint(shop, receiver.url("/payments"), ["payment.succeeded"]).endpoint
    refunds = add_endpoint(shop, receiver.url("/refunds"), ["refund.succeeded"]).endpoint
    paused = add_endpoint(shop, receiver.url("/paused"), ["payment.succeeded"]).endpoint
    webhooks.endpoint_disable(owner=shop.owner, endpoint=paused)
    add_endpoint(other_shop, receiver.url("/other-shop"))

    emit(shop, "payment.succeeded", "payment:1")
    emit(shop, "refund.succeeded", "refund:7")
    emit(shop, "settlement.paid", "settlement:3")

    sent = {(d.endpoint_id, d.event_type) for d in WebhookDelivery.objects.all()}
    assert sent == {(payments.pk, "payment.succeeded"), (refunds.pk, "refund.succeeded")}


def test_an_event_emitted_twice_is_delivered_once(shop, endpoint, receiver):
    first = emit(shop)
    again = emit(shop)
    assert len(first) == 1 and again == []
    assert webhooks.deliver(first[0]).status == DELIVERED
    assert webhooks.deliver(first[0]) is None  # delivered: nothing more to send
    assert len(receiver.requests) == 1


def test_emit_refuses_an_unknown_event_type_ping_and_a_bad_key(shop, endpoint):
    for event_type in ("payment.failed", webhooks.PING):
        with pytest.raises(ValueError):
            emit(shop, event_type)
    for key in ("", "payment:" + "9" * 80):
        with pytest.raises(ValueError):
            emit(shop, key=key)
    assert not WebhookDelivery.objects.exists()


def test_a_failing_system_is_retried_with_backoff_until_it_accepts(shop, endpoint, receiver):
    receiver.answer(500, 503)
    [pk] = emit(shop)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        first = webhooks.deliver(pk)
        assert (first.status, first.attempts, first.last_status_code) == (PENDING, 1, 500)
        assert first.next_attempt_at == start + timedelta(minutes=1)
        assert webhooks.deliver(pk) is None  # not due yet: nothing sent

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        second = webhooks.deliver(pk)
        assert (second.status, second.attempts, second.last_status_code) == (PENDING, 2, 503)
        assert second.next_attempt_at == start + timedelta(minutes=6)

    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert webhooks_due.delay().get() == 1  # the minute sweep sends it
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DELIVERED, 3, 200)
    # Every attempt carries the same delivery id and a signature of its own time
    assert len({r.headers["Linli-Delivery"] for r in receiver.requests}) == 1
    assert len(receiver.requests) == 3


def test_a_system_that_never_accepts_is_given_up_24_hours_after_the_event(shop, endpoint, receiver):
    receiver.answer(*[500] * 20)
    [pk] = emit(shop)
    created = WebhookDelivery.objects.get(pk=pk).created_at
    attempted_at = []
    when = timezone.now()
    while True:
        with time_machine.travel(when, tick=False):
            delivery = webhooks.deliver(pk)
        attempted_at.append(when - created)
        if delivery.status != PENDING:
            break
        when = delivery.next_attempt_at

    assert delivery.status == FAILED and delivery.next_attempt_at is None
    waits = [b - a for a, b in itertools.pairwise(attempted_at)]
    assert waits[:6] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
    ]
    assert attempted_at[-1] == timedelta(hours=24)  # the last try is at the 24th hour
    assert delivery.attempts == len(receiver.requests) == 8
    with time_machine.travel(created + timedelta(days=2), tick=False):
        assert webhooks.deliveries_due() == []


def test_a_hanging_system_times_out_and_is_retried(shop, endpoint, receiver, monkeypatch):
    # The 5-second timeout, shortened so the test does not wait for it
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.3)
    receiver.hang(5)
    [pk] = emit(shop)

    delivery = webhooks.deliver(pk)

    assert delivery.status == PENDING and delivery.attempts == 1
    assert delivery.last_error == webhooks.DeliveryError.TIMEOUT
    assert delivery.last_status_code is None
    assert len(receiver.requests) == 1


def test_a_system_that_is_down_is_retried(shop, receiver):
    receiver.stop()
    endpoint = add_endpoint(shop, receiver.url()).endpoint
    [pk] = emit(shop)
    delivery = webhooks.deliver(pk)
    assert delivery.status == PENDING and delivery.endpoint_id == endpoint.pk
    assert delivery.last_error == webhooks.DeliveryError.CONNECTION


def test_a_redirect_is_not_followed_and_counts_as_a_failure(shop, endpoint, receiver):
    receiver.answer(302)
    [pk] = emit(shop)
    delivery = webhooks.deliver(pk)
    assert (delivery.status, delivery.last_status_code) == (PENDING, 302)
    assert len(receiver.requests) == 1


def test_a_host_name_is_sent_its_own_host_header(shop, receiver):
    # The call goes to the address that was checked; the name travels in Host
    add_endpoint(shop, f"http://localhost:{receiver.port}/hooks")
    [pk] = emit(shop)
    assert webhooks.deliver(pk).status == DELIVERED
    assert receiver.requests[0].headers["Host"] == f"localhost:{receiver.port}"


def test_a_paused_endpoint_keeps_its_deliveries_until_it_is_resumed(shop, endpoint, receiver):
    [pk] = emit(shop)
    webhooks.endpoint_disable(owner=shop.owner, endpoint=endpoint)
    assert webhooks.deliveries_due() == []
    assert webhooks.deliver(pk) is None

    webhooks.endpoint_enable(owner=shop.owner, endpoint=endpoint)
    assert webhooks.deliveries_due() == [pk]
    assert webhooks.deliver(pk).status == DELIVERED


def test_a_given_up_delivery_can_be_retried_by_its_owner(shop, endpoint, receiver):
    receiver.answer(500)
    [pk] = emit(shop)
    WebhookDelivery.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert webhooks.deliver(pk).status == FAILED

    retried = webhooks.delivery_retry(owner=shop.owner, delivery=WebhookDelivery.objects.get(pk=pk))
    assert retried.status == PENDING
    delivered = webhooks.deliver(pk)
    assert (delivered.status, delivered.attempts) == (DELIVERED, 2)


def test_a_ping_is_signed_like_any_event(shop, endpoint, receiver):
    endpoint = add_endpoint(shop, receiver.url("/ping-only"), ["settlement.paid"]).endpoint
    delivery = webhooks.endpoint_ping(owner=shop.owner, endpoint=endpoint)
    assert webhooks.deliver(delivery.pk).status == DELIVERED
    [request] = receiver.requests
    verify(endpoint.secret, request.headers["Linli-Signature"], request.body)
    assert request.json["type"] == "ping" and request.json["data"] == {"shop_id": shop.pk}


# --- the SSRF guard -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
    ],
)
def test_private_addresses_are_refused_in_production(shop, settings, url):
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(WebhookUrlNotAllowed):
        add_endpoint(shop, url)


def test_a_host_that_resolves_to_a_private_address_is_not_sent_to(
    shop, endpoint, receiver, settings
):
    # An endpoint whose name now resolves to a private address (here: loopback)
    [pk] = emit(shop)
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = False

    delivery = webhooks.deliver(pk)

    assert receiver.requests == []
    assert delivery.status == FAILED
    assert delivery.last_error == webhooks.DeliveryError.ADDRESS_REFUSED


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:192.168.0.1", False),
    ],
)
def test_only_public_unicast_addresses_pass_the_guard(settings, address, allowed):
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = False
    assert webhooks.address_allowed(ipaddress.ip_address(address)) is allowed


def test_the_guard_is_on_unless_the_setting_turns_it_off(settings):
    del settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE
    assert webhooks.address_allowed(ipaddress.ip_address("127.0.0.1")) is False
