"""The owner's webhook pages: add (the secret shown once), pause, resume, delete, new
secret, test event, the delivery log with "retry now"; 404 for everyone but the owner;
query counts that do not grow with rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merchants.models import WebhookDelivery, WebhookEndpoint
from merchants.services import webhooks
from tests.factories import UserFactory
from tests.merchants.conftest import make_cashier
from tests.merchants.webhooks.conftest import add_endpoint, emit, given_up_delivery, queries_of

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(client, shop):
    signed_in(client, shop.owner)
    url = reverse("merchant-webhooks", args=[shop.pk])
    assert "data-endpoint-form" in client.get(url).content.decode()

    response = client.post(
        url,
        {"url": "https://pos.example.com/linli", "event_types": ["payment.succeeded"]},
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["payment.succeeded"]
    assert endpoint.secret in response.content.decode()
    listing = client.get(url).content.decode()
    assert "https://pos.example.com/linli" in listing
    assert endpoint.secret not in listing


def test_a_refused_url_is_shown_on_the_form(client, shop, settings):
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = False
    signed_in(client, shop.owner)
    response = client.post(
        reverse("merchant-webhooks", args=[shop.pk]),
        {"url": "http://192.168.1.10/hook", "event_types": ["payment.succeeded"]},
    )
    assert response.status_code == 200
    assert "public internet address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_pause_resume_rotate_and_delete_from_the_page(client, shop):
    new = add_endpoint(shop, "https://pos.example.com/")
    endpoint = new.endpoint
    signed_in(client, shop.owner)
    args = [shop.pk, endpoint.pk]

    client.post(reverse("merchant-webhook-disable", args=args))
    endpoint.refresh_from_db()
    assert not endpoint.active
    client.post(reverse("merchant-webhook-enable", args=args))
    endpoint.refresh_from_db()
    assert endpoint.active

    page = client.post(reverse("merchant-webhook-rotate", args=args)).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret != new.secret and endpoint.secret in page

    client.post(reverse("merchant-webhook-delete", args=args))
    assert not WebhookEndpoint.objects.exists()


def test_a_test_event_is_sent_and_logged(
    client, shop, receiver, django_capture_on_commit_callbacks
):
    endpoint = add_endpoint(shop, receiver.url()).endpoint
    signed_in(client, shop.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("merchant-webhook-ping", args=[shop.pk, endpoint.pk]))

    assert response.status_code == 302
    assert [r.json["type"] for r in receiver.requests] == ["ping"]
    log = client.get(reverse("merchant-webhook-log", args=[shop.pk])).content.decode()
    delivery = WebhookDelivery.objects.get()
    assert f'data-delivery="{delivery.pk}" data-status="delivered"' in log
    assert "HTTP 200" in log


def test_a_given_up_delivery_is_retried_now_from_the_log(
    client, shop, receiver, django_capture_on_commit_callbacks
):
    pk = given_up_delivery(shop, receiver)
    signed_in(client, shop.owner)
    log = client.get(reverse("merchant-webhook-log", args=[shop.pk])).content.decode()
    assert "data-retry" in log and "HTTP 500" in log

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("merchant-webhook-retry", args=[shop.pk, pk]))

    assert WebhookDelivery.objects.get(pk=pk).status == WebhookDelivery.Status.DELIVERED
    assert len(receiver.requests) == 2


def test_a_delivery_that_did_not_fail_is_not_retried(client, shop):
    endpoint = add_endpoint(shop, "https://pos.example.com/").endpoint
    delivery = webhooks.endpoint_ping(owner=shop.owner, endpoint=endpoint)
    signed_in(client, shop.owner)
    response = client.post(
        reverse("merchant-webhook-retry", args=[shop.pk, delivery.pk]), follow=True
    )
    assert "Only a delivery that was given up" in response.content.decode()


# --- scoping ---------------------------------------------------------------------------------


def test_everyone_but_the_owner_gets_404(client, shop, other_shop):
    endpoint = add_endpoint(shop, "https://pos.example.com/").endpoint
    delivery = webhooks.endpoint_ping(owner=shop.owner, endpoint=endpoint)
    pages = [
        ("get", reverse("merchant-webhooks", args=[shop.pk])),
        ("post", reverse("merchant-webhooks", args=[shop.pk])),
        ("get", reverse("merchant-webhook-log", args=[shop.pk])),
        ("post", reverse("merchant-webhook-disable", args=[shop.pk, endpoint.pk])),
        ("post", reverse("merchant-webhook-enable", args=[shop.pk, endpoint.pk])),
        ("post", reverse("merchant-webhook-rotate", args=[shop.pk, endpoint.pk])),
        ("post", reverse("merchant-webhook-ping", args=[shop.pk, endpoint.pk])),
        ("post", reverse("merchant-webhook-delete", args=[shop.pk, endpoint.pk])),
        ("post", reverse("merchant-webhook-retry", args=[shop.pk, delivery.pk])),
    ]
    outsiders = [make_cashier(shop), other_shop.owner, UserFactory()]
    for user in outsiders:
        signed_in(client, user)
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 404, (user, url)
    # Another shop's endpoint and delivery through the owner's own shop are 404 too
    signed_in(client, other_shop.owner)
    for name, obj in [("merchant-webhook-delete", endpoint), ("merchant-webhook-retry", delivery)]:
        assert client.post(reverse(name, args=[other_shop.pk, obj.pk])).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.active and WebhookDelivery.objects.count() == 1


def test_the_pages_need_a_login(client, shop):
    response = client.get(reverse("merchant-webhooks", args=[shop.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


# --- query counts ----------------------------------------------------------------------------


def test_the_endpoint_list_takes_the_same_queries_for_one_or_five(client, shop):
    signed_in(client, shop.owner)
    url = reverse("merchant-webhooks", args=[shop.pk])
    first = add_endpoint(shop, "https://pos.example.com/0").endpoint
    webhooks.endpoint_ping(owner=shop.owner, endpoint=first)
    one = queries_of(lambda: client.get(url))
    for n in range(1, 5):
        endpoint = add_endpoint(shop, f"https://pos.example.com/{n}").endpoint
        webhooks.endpoint_ping(owner=shop.owner, endpoint=endpoint)
    response = client.get(url)
    assert response.content.decode().count("data-endpoint=") == 5
    assert queries_of(lambda: client.get(url)) == one


def test_the_log_takes_the_same_queries_for_one_or_many(client, shop):
    signed_in(client, shop.owner)
    url = reverse("merchant-webhook-log", args=[shop.pk])
    endpoints = [add_endpoint(shop, f"https://pos.example.com/{n}").endpoint for n in range(3)]
    emit(shop, "payment:0")
    one_event = queries_of(lambda: client.get(url))
    for n in range(1, 8):
        emit(shop, f"payment:{n}")
    response = client.get(url)
    assert response.content.decode().count("data-delivery=") == 8 * len(endpoints)
    assert queries_of(lambda: client.get(url)) == one_event
