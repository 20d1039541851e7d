"""The webhook API: the owner adds an endpoint (the secret in that answer only), lists,
pauses, resumes, rotates, pings and deletes it, reads the delivery log and retries a given-up
delivery; everyone else gets 404; the lists cost the same queries for one row or many."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merchants.models import WebhookDelivery, WebhookEndpoint
from merchants.services import webhooks
from tests.factories import UserFactory
from tests.merchants.conftest import make_cashier
from tests.merchants.webhooks.conftest import add_endpoint, emit, given_up_delivery, queries_of

pytestmark = pytest.mark.django_db


def test_the_owner_manages_an_endpoint_through_the_api(
    client, shop, receiver, django_capture_on_commit_callbacks
):
    client.force_login(shop.owner)
    endpoints = reverse("api-merchant-webhooks", args=[shop.pk])

    created = client.post(
        endpoints,
        {"url": receiver.url(), "event_types": ["payment.succeeded"]},
        "application/json",
    )
    assert created.status_code == 201
    body = created.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["secret"] == endpoint.secret and body["endpoint"]["id"] == endpoint.pk
    listed = client.get(endpoints).json()
    assert [e["id"] for e in listed] == [endpoint.pk]
    assert "secret" not in listed[0]  # shown once, when made

    one = (shop.pk, endpoint.pk)
    paused = client.post(reverse("api-merchant-webhook-disable", args=one))
    assert paused.status_code == 200 and paused.json()["active"] is False
    resumed = client.post(reverse("api-merchant-webhook-enable", args=one))
    assert resumed.json()["active"] is True

    rotated = client.post(reverse("api-merchant-webhook-rotate", args=one))
    assert rotated.status_code == 201
    endpoint.refresh_from_db()
    assert rotated.json()["secret"] == endpoint.secret != body["secret"]

    with django_capture_on_commit_callbacks(execute=True):
        pinged = client.post(reverse("api-merchant-webhook-ping", args=one))
    assert pinged.status_code == 202 and pinged.json()["event_type"] == "ping"
    assert [r.json["type"] for r in receiver.requests] == ["ping"]
    log = client.get(reverse("api-merchant-webhook-deliveries", args=[shop.pk])).json()
    assert [d["status"] for d in log["results"]] == ["delivered"]

    deleted = client.delete(reverse("api-merchant-webhook", args=one))
    assert deleted.status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_a_refused_url_and_an_unknown_event_are_clear_errors(client, shop, settings):
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(shop.owner)
    endpoints = reverse("api-merchant-webhooks", args=[shop.pk])
    private = client.post(
        endpoints,
        {"url": "http://10.0.0.8/hook", "event_types": ["payment.succeeded"]},
        "application/json",
    )
    assert private.status_code == 422
    assert private.json()["error"]["code"] == "webhook_url_not_allowed"
    unknown = client.post(
        endpoints,
        {"url": "https://pos.example.com/", "event_types": ["everything"]},
        "application/json",
    )
    assert unknown.status_code == 400 and "event_types.0" in unknown.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_a_given_up_delivery_is_retried_and_another_is_refused(
    client, shop, receiver, django_capture_on_commit_callbacks
):
    pk = given_up_delivery(shop, receiver)
    client.force_login(shop.owner)
    retry = reverse("api-merchant-webhook-retry", args=[shop.pk, pk])

    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(retry)

    assert retried.status_code == 202
    assert WebhookDelivery.objects.get(pk=pk).status == WebhookDelivery.Status.DELIVERED
    again = client.post(retry)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "webhook_delivery_not_failed"


def test_everyone_but_the_owner_gets_404(client, shop, other_shop):
    endpoint = add_endpoint(shop, "https://pos.example.com/").endpoint
    delivery = webhooks.endpoint_ping(owner=shop.owner, endpoint=endpoint)
    one = (shop.pk, endpoint.pk)
    calls = [
        ("get", reverse("api-merchant-webhooks", args=[shop.pk])),
        ("post", reverse("api-merchant-webhooks", args=[shop.pk])),
        ("delete", reverse("api-merchant-webhook", args=one)),
        ("post", reverse("api-merchant-webhook-disable", args=one)),
        ("post", reverse("api-merchant-webhook-rotate", args=one)),
        ("post", reverse("api-merchant-webhook-ping", args=one)),
        ("get", reverse("api-merchant-webhook-deliveries", args=[shop.pk])),
        ("post", reverse("api-merchant-webhook-retry", args=[shop.pk, delivery.pk])),
        # The other shop's owner naming this shop's endpoint under their own shop.
        ("post", reverse("api-merchant-webhook-disable", args=[other_shop.pk, endpoint.pk])),
    ]
    for user in (make_cashier(shop), other_shop.owner, UserFactory()):
        client.force_login(user)
        for method, url in calls:
            assert getattr(client, method)(url).status_code == 404, (user, method, url)
    endpoint.refresh_from_db()
    assert endpoint.active


def test_the_lists_take_the_same_queries_for_one_or_many(client, shop):
    client.force_login(shop.owner)
    endpoints = reverse("api-merchant-webhooks", args=[shop.pk])
    log = reverse("api-merchant-webhook-deliveries", args=[shop.pk])
    add_endpoint(shop, "https://pos.example.com/0")
    emit(shop, "payment:0")
    one_endpoint, one_delivery = (
        queries_of(lambda: client.get(endpoints)),
        queries_of(lambda: client.get(log)),
    )
    for n in range(1, 5):
        add_endpoint(shop, f"https://pos.example.com/{n}")
    for n in range(1, 6):
        emit(shop, f"payment:{n}")
    assert len(client.get(endpoints).json()) == 5
    assert client.get(log).json()["count"] == 1 + 5 * 5
    assert queries_of(lambda: client.get(endpoints)) == one_endpoint
    assert queries_of(lambda: client.get(log)) == one_delivery
