"""Managing endpoints: the owner alone adds, pauses, resumes, deletes and rotates; a secret
is fresh and shown once; URLs and event types are checked."""

from __future__ import annotations

import pytest

from core.errors import NotFound, ValidationFailed
from merchants.errors import NotShopOwner, WebhookDeliveryNotFailed, WebhookEndpointLimit
from merchants.models import WebhookDelivery, WebhookEndpoint
from merchants.services import webhooks
from tests.merchants.webhooks.conftest import ALL_EVENTS, add_endpoint

pytestmark = pytest.mark.django_db


def test_the_owner_adds_an_endpoint_with_a_fresh_secret(shop):
    new = webhooks.endpoint_create(
        owner=shop.owner,
        shop=shop,
        url=" https://pos.example.com/linli ",
        event_types=["refund.succeeded", "payment.succeeded"],
    )
    endpoint = WebhookEndpoint.objects.get()
    assert new.endpoint == endpoint and endpoint.shop == shop and endpoint.active
    assert endpoint.url == "https://pos.example.com/linli"
    assert endpoint.event_types == ["payment.succeeded", "refund.succeeded"]
    assert new.secret.startswith("whsec_") and len(new.secret) == 6 + 43
    assert endpoint.secret == new.secret
    assert add_endpoint(shop, "https://pos.example.com/b").secret != new.secret


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://pos.example.com/", ALL_EVENTS, "url"),
        ("pos.example.com/hook", ALL_EVENTS, "url"),
        ("", ALL_EVENTS, "url"),
        ("https://pos.example.com/" + "a" * 300, ALL_EVENTS, "url"),
        ("https://pos.example.com/", [], "event_types"),
        ("https://pos.example.com/", ["payment.succeeded", "ping"], "event_types"),
    ],
)
def test_a_bad_url_or_event_list_is_refused(shop, url, events, field):
    with pytest.raises(ValidationFailed) as refused:
        webhooks.endpoint_create(owner=shop.owner, shop=shop, url=url, event_types=events)
    assert list(refused.value.fields) == [field]
    assert not WebhookEndpoint.objects.exists()


def test_a_shop_has_at_most_five_endpoints(shop):
    for n in range(webhooks.MAX_ENDPOINTS):
        add_endpoint(shop, f"https://pos.example.com/{n}")
    with pytest.raises(WebhookEndpointLimit):
        add_endpoint(shop, "https://pos.example.com/six")


def test_a_cashier_may_not_manage_webhooks_and_a_stranger_is_told_nothing(
    shop, other_shop, cashier
):
    endpoint = add_endpoint(shop, "https://pos.example.com/").endpoint
    with pytest.raises(NotShopOwner):
        webhooks.endpoint_create(
            owner=cashier, shop=shop, url="https://x.example.com/", event_types=ALL_EVENTS
        )
    with pytest.raises(NotShopOwner):
        webhooks.endpoint_rotate_secret(owner=cashier, endpoint=endpoint)
    stranger = other_shop.owner
    for action in (
        webhooks.endpoint_disable,
        webhooks.endpoint_enable,
        webhooks.endpoint_delete,
        webhooks.endpoint_rotate_secret,
        webhooks.endpoint_ping,
    ):
        with pytest.raises(NotFound):
            action(owner=stranger, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.active and WebhookDelivery.objects.count() == 0


def test_rotating_gives_a_new_secret_and_the_old_one_stops_signing(shop):
    old = add_endpoint(shop, "https://pos.example.com/")
    new = webhooks.endpoint_rotate_secret(owner=shop.owner, endpoint=old.endpoint)
    assert new.secret != old.secret and new.secret.startswith("whsec_")
    assert WebhookEndpoint.objects.get().secret == new.secret


def test_pausing_resuming_and_deleting(shop):
    endpoint = add_endpoint(shop, "https://pos.example.com/").endpoint
    assert not webhooks.endpoint_disable(owner=shop.owner, endpoint=endpoint).active
    assert webhooks.endpoint_enable(owner=shop.owner, endpoint=endpoint).active
    webhooks.endpoint_ping(owner=shop.owner, endpoint=endpoint)
    webhooks.endpoint_delete(owner=shop.owner, endpoint=endpoint)
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    with pytest.raises(NotFound):
        webhooks.endpoint_enable(owner=shop.owner, endpoint=endpoint)


def test_only_a_given_up_delivery_can_be_retried(shop):
    endpoint = add_endpoint(shop, "https://pos.example.com/").endpoint
    delivery = webhooks.endpoint_ping(owner=shop.owner, endpoint=endpoint)
    with pytest.raises(WebhookDeliveryNotFailed):
        webhooks.delivery_retry(owner=shop.owner, delivery=delivery)
