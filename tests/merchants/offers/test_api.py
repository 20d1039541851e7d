"""Offers over the API: owners' campaigns, residents' offers, claiming with an
Idempotency-Key, my coupons, the checkout preview and ``coupon_id`` on pay; scoping and
query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from merchants.models import Campaign, Coupon
from merchants.services import checkout, offers
from tests.factories import NeighbourhoodFactory
from tests.merchants.conftest import PIN, make_member, make_shop
from tests.merchants.offers.conftest import start_campaign

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_owner_creates_and_lists_campaigns_with_results(shop):
    owner = api_for(shop.owner)
    url = reverse("api-merchant-campaigns", args=[shop.pk])

    made = owner.post(
        url,
        {
            "name": "九折",
            "kind": "percent_off",
            "percent": 10,
            "amount_minor": 2_000,
            "budget_count": 50,
            "budget_minor": 100_000,
            "ends_at": (timezone.now() + timedelta(days=7)).isoformat(),
            "verified_only": True,
        },
        format="json",
    )
    refused = owner.post(url, {**made.json(), "percent": 0, "name": "x"}, format="json")

    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["kind"], body["percent"], body["status"], body["claimed_count"]) == (
        "percent_off",
        10,
        "active",
        0,
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "validation_failed"
    assert "percent" in refused.json()["error"]["fields"]
    listed = owner.get(url).json()
    assert [row["id"] for row in listed] == [body["id"]]

    ended = owner.post(
        reverse("api-merchant-campaign-status", args=[shop.pk, body["id"]]),
        {"action": "end"},
        format="json",
    )
    assert ended.json()["status"] == "ended"


def test_another_shops_owner_gets_404_and_a_cashier_403(shop, other_shop, cashier):
    campaign = start_campaign(shop)
    stranger = api_for(other_shop.owner)
    url = reverse("api-merchant-campaigns", args=[shop.pk])
    status_url = reverse("api-merchant-campaign-status", args=[shop.pk, campaign.pk])
    cross_url = reverse("api-merchant-campaign-status", args=[other_shop.pk, campaign.pk])

    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {}, format="json").status_code == 404
    assert stranger.post(status_url, {"action": "end"}, format="json").status_code == 404
    assert stranger.post(cross_url, {"action": "end"}, format="json").status_code == 404
    as_cashier = api_for(cashier).get(url)
    assert as_cashier.status_code == 403
    assert as_cashier.json()["error"]["code"] == "shop_owner_only"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE


def test_a_resident_lists_offers_claims_once_per_key_and_reads_their_coupons(shop, resident):
    campaign = start_campaign(shop, per_resident_limit=2)
    client = api_for(resident)

    offers_list = client.get(reverse("api-estate-offers", args=[shop.neighbourhood_id])).json()
    assert [(o["campaign_id"], o["left"], o["can_claim"]) for o in offers_list] == [
        (campaign.pk, 10, True)
    ]
    claim = reverse("api-offer-claim", args=[campaign.pk])
    first = client.post(claim, HTTP_IDEMPOTENCY_KEY="c1")
    again = client.post(claim, HTTP_IDEMPOTENCY_KEY="c1")
    no_key = client.post(claim)

    assert first.status_code == 201, first.json()
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert no_key.status_code == 400
    assert Coupon.objects.count() == 1
    assert first.json()["state"] == "usable"
    mine = client.get(reverse("api-my-coupons")).json()
    assert [c["id"] for c in mine] == [first.json()["id"]]


def test_claim_refusals_carry_their_codes(shop, resident):
    campaign = start_campaign(shop)
    client = api_for(resident)
    claim = reverse("api-offer-claim", args=[campaign.pk])
    client.post(claim, HTTP_IDEMPOTENCY_KEY="a")
    twice = client.post(claim, HTTP_IDEMPOTENCY_KEY="b")
    offers.campaign_pause(owner=shop.owner, campaign=campaign)
    paused = client.post(claim, HTTP_IDEMPOTENCY_KEY="c")

    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "coupon_limit_reached")
    assert (paused.status_code, paused.json()["error"]["code"]) == (409, "campaign_not_running")


def test_an_outsider_gets_404_for_an_estates_offers_and_its_campaigns(shop):
    campaign = start_campaign(shop)
    outsider = api_for(make_member(NeighbourhoodFactory(), phone="+8613900012001"))
    assert (
        outsider.get(reverse("api-estate-offers", args=[shop.neighbourhood_id])).status_code == 404
    )
    claim = outsider.post(reverse("api-offer-claim", args=[campaign.pk]), HTTP_IDEMPOTENCY_KEY="x")
    assert claim.status_code == 404
    assert Coupon.objects.count() == 0


def test_the_lists_take_a_fixed_number_of_queries(
    shop, estate, resident, django_assert_max_num_queries
):
    start_campaign(shop, audience="new_customers")
    owner, client = api_for(shop.owner), api_for(resident)
    urls = [
        (owner, reverse("api-merchant-campaigns", args=[shop.pk])),
        (client, reverse("api-estate-offers", args=[estate.pk])),
        (client, reverse("api-my-coupons")),
    ]
    counts = []
    for who, url in urls:
        who.get(url)
        with CaptureQueriesContext(connection) as captured:
            who.get(url)
        counts.append(len(captured.captured_queries))
    for n in range(4):
        campaign = start_campaign(make_shop(estate, f"店{n}"), name=f"券{n}")
        offers.coupon_claim(user=resident, campaign=campaign)
        start_campaign(shop, name=f"本店{n}", audience="lapsed_customers")

    for (who, url), count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert len(who.get(url).json()) >= 4


# --- the checkout --------------------------------------------------------------------------


def test_the_preview_and_paying_with_coupon_id(shop, cashier, resident):
    coupon = offers.coupon_claim(user=resident, campaign=start_campaign(shop, name="五元券"))
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    client = api_for(resident)
    preview_url = reverse("api-checkout-request-preview", args=[request.token])

    best = client.get(preview_url).json()
    none = client.get(preview_url, {"coupon_id": "none"}).json()
    bad = client.get(preview_url, {"coupon_id": "x"})

    assert (best["price_minor"], best["discount_minor"], best["to_pay_minor"]) == (
        2_500,
        500,
        2_000,
    )
    assert best["coupon"]["id"] == coupon.pk and best["coupon"]["campaign_name"] == "五元券"
    assert (none["coupon"], none["to_pay_minor"]) == (None, 2_500)
    assert [c["id"] for c in none["coupons"]] == [coupon.pk]
    assert bad.status_code == 400

    pay_url = reverse("api-checkout-request-pay", args=[request.token])
    paid = client.post(
        pay_url, {"pin": PIN, "coupon_id": None}, format="json", HTTP_IDEMPOTENCY_KEY="p"
    )
    assert paid.status_code == 201, paid.json()
    assert (paid.json()["payment"]["amount_minor"], paid.json()["coupon_id"]) == (2_500, None)
    coupon.refresh_from_db()
    assert coupon.redeemed_at is None


def test_paying_with_a_coupon_id_over_the_api(shop, cashier, resident):
    coupon = offers.coupon_claim(user=resident, campaign=start_campaign(shop))
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)

    paid = api_for(resident).post(
        reverse("api-checkout-request-pay", args=[request.token]),
        {"pin": PIN, "coupon_id": coupon.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="p",
    )

    assert paid.status_code == 201, paid.json()
    body = paid.json()
    assert (body["payment"]["amount_minor"], body["coupon_id"], body["discount_minor"]) == (
        2_000,
        coupon.pk,
        500,
    )
    # The till's poll reads what the shop received, not the price
    status = api_for(cashier).get(reverse("api-checkout-request", args=[request.pk])).json()
    assert (status["amount_minor"], status["received_minor"]) == (2_500, 2_000)
