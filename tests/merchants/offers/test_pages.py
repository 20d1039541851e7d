"""Offer pages: the owner's campaigns and results, an estate's offers and claiming, my
coupons, the pay page's coupon, the directory's offers; scoping and query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.models import Circle, CircleMember
from merchants.models import Campaign, Coupon, PaymentRequest
from merchants.services import checkout, offers
from merchants.services.accounts import shop_account
from tests.factories import NeighbourhoodFactory
from tests.merchants.checkout.conftest import balance_of
from tests.merchants.conftest import PIN, make_member, make_shop
from tests.merchants.offers.conftest import resident_of, start_campaign

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queries_of(get: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        get()
    return len(captured.captured_queries)


# --- the owner's campaigns -------------------------------------------------------------------


def test_the_owner_creates_a_campaign_and_reads_its_results(shop, cashier, resident):
    client = client_for(shop.owner)
    url = reverse("merchant-campaigns", args=[shop.pk])
    ends = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    created = client.post(
        url,
        {
            "name": "开业满减",
            "kind": "spend_save",
            "amount": "5",
            "min_spend": "20",
            "budget_count": "10",
            "budget": "50",
            "per_resident_limit": "1",
            "ends_at": ends,
            "audience": "neighbourhood",
            "lapsed_days": "30",
        },
    )
    assert created.status_code == 302, created.context["form"].errors
    campaign = Campaign.objects.get()
    assert (campaign.kind, campaign.amount_minor, campaign.min_spend_minor) == (
        "spend_save",
        500,
        2_000,
    )
    assert (campaign.budget_count, campaign.budget_minor) == (10, 5_000)

    # A resident claims and pays ¥25.00 with it
    offers.coupon_claim(user=resident, campaign=campaign)
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    page = client.get(url).content.decode()
    assert "data-claimed>1 / 10<" in page
    assert "data-redeemed>1<" in page
    assert "data-discount-given>CN¥5.00 / CN¥50.00<" in page  # given, of the budget
    assert "data-sales>CN¥25.00<" in page


def test_a_field_error_shows_on_its_field(shop):
    client = client_for(shop.owner)
    ends = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(
        reverse("merchant-campaigns", args=[shop.pk]),
        {
            "name": "x",
            "kind": "amount_off",
            "amount": "5",
            "budget_count": "10",
            "budget": "4",
            "per_resident_limit": "1",
            "ends_at": ends,
            "audience": "neighbourhood",
            "lapsed_days": "30",
        },
    )
    assert page.status_code == 200
    assert page.context["form"].errors["budget"]
    assert Campaign.objects.count() == 0


def test_pause_and_end_from_the_page(shop):
    campaign = start_campaign(shop)
    client = client_for(shop.owner)
    client.post(reverse("merchant-campaign-move", args=[shop.pk, campaign.pk, "pause"]))
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    client.post(reverse("merchant-campaign-move", args=[shop.pk, campaign.pk, "end"]))
    campaign.refresh_from_db()
    assert campaign.status == "ended"
    bogus = client.post(reverse("merchant-campaign-move", args=[shop.pk, campaign.pk, "boom"]))
    assert bogus.status_code == 404


def test_another_shops_owner_gets_404_and_a_cashier_403(shop, other_shop, cashier):
    campaign = start_campaign(shop)
    stranger = client_for(other_shop.owner)
    assert stranger.get(reverse("merchant-campaigns", args=[shop.pk])).status_code == 404
    move = reverse("merchant-campaign-move", args=[shop.pk, campaign.pk, "end"])
    assert stranger.post(move).status_code == 404
    # the other owner's own shop with this shop's campaign id is 404 too
    cross = reverse("merchant-campaign-move", args=[other_shop.pk, campaign.pk, "end"])
    assert stranger.post(cross).status_code == 404
    assert client_for(cashier).get(reverse("merchant-campaigns", args=[shop.pk])).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == "active"


def test_the_campaigns_page_takes_a_fixed_number_of_queries(
    shop, estate, django_assert_max_num_queries
):
    client = client_for(shop.owner)
    url = reverse("merchant-campaigns", args=[shop.pk])
    circle = Circle.objects.create(neighbourhood=estate, name="跑步群", created_by=shop.owner)
    start_campaign(shop, audience="circle", circle_id=circle.pk)
    client.get(url)
    few = queries_of(lambda: client.get(url))
    for n in range(5):
        start_campaign(shop, name=f"优惠{n}", audience="circle", circle_id=circle.pk)

    with django_assert_max_num_queries(few):
        page = client.get(url)
    assert len(page.context["campaigns"]) == 6


# --- residents -------------------------------------------------------------------------------


def test_a_resident_sees_the_offers_they_may_claim_and_claims_once(shop, other_shop, resident):
    everyone = start_campaign(shop, name="全体五元")
    start_campaign(other_shop, name="新客专享", audience="new_customers")
    start_campaign(shop, name="楼栋专享", audience="buildings", building_refs=[99])
    client = client_for(resident)
    url = reverse("estate-offers", args=[shop.neighbourhood_id])

    page = client.get(url)
    names = [offer.campaign.name for offer in page.context["offers"]]
    assert sorted(names) == sorted(["全体五元", "新客专享"])  # not the building's
    key = page.context["form"].initial["idempotency_key"]
    claim = reverse("offer-claim", args=[everyone.pk])
    client.post(claim, {"idempotency_key": key})
    client.post(claim, {"idempotency_key": key})  # a double tap

    assert Coupon.objects.filter(user=resident).count() == 1
    after = client.get(url).content.decode()
    assert "9 coupons left" in after and "You have this coupon." in after


def test_an_outsider_gets_404_for_an_estates_offers(shop):
    campaign = start_campaign(shop)
    outsider = make_member(NeighbourhoodFactory(), phone="+8613900010001")
    client = client_for(outsider)
    assert client.get(reverse("estate-offers", args=[shop.neighbourhood_id])).status_code == 404
    assert client.post(reverse("offer-claim", args=[campaign.pk]), {}).status_code == 404
    assert Coupon.objects.count() == 0


def test_the_offers_page_takes_a_fixed_number_of_queries(
    shop, estate, resident, django_assert_max_num_queries
):
    circle = Circle.objects.create(neighbourhood=estate, name="跑步群", created_by=resident)
    CircleMember.objects.create(circle=circle, user=resident)
    for audience in ("neighbourhood", "new_customers", "lapsed_customers"):
        start_campaign(shop, name=audience, audience=audience)
    start_campaign(shop, name="circle", audience="circle", circle_id=circle.pk)
    client = client_for(resident)
    url = reverse("estate-offers", args=[estate.pk])
    client.get(url)
    few = queries_of(lambda: client.get(url))
    for n in range(3):
        more = make_shop(estate, f"店{n}")
        for audience in ("neighbourhood", "new_customers"):
            offers.coupon_claim(
                user=resident,
                campaign=start_campaign(more, name=f"{n}{audience}", audience=audience),
            )
        start_campaign(more, name=f"{n}circle", audience="circle", circle_id=circle.pk)

    with django_assert_max_num_queries(few):
        page = client.get(url)
    assert len(page.context["offers"]) == 3 + 9


def test_my_coupons_by_state_in_a_fixed_number_of_queries(
    shop, other_shop, cashier, resident, django_assert_max_num_queries
):
    used = offers.coupon_claim(user=resident, campaign=start_campaign(shop, name="用过"))
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    checkout.request_pay(payer=resident, payment_request=request, pin=PIN)
    ended = offers.coupon_claim(user=resident, campaign=start_campaign(other_shop, name="结束"))
    offers.campaign_end(owner=other_shop.owner, campaign=ended.campaign)
    client = client_for(resident)
    url = reverse("my-coupons")
    client.get(url)
    few = queries_of(lambda: client.get(url))
    usable = [
        offers.coupon_claim(user=resident, campaign=start_campaign(other_shop, name=f"可用{n}"))
        for n in range(4)
    ]

    with django_assert_max_num_queries(few):
        page = client.get(url)
    groups = page.context["groups"]
    assert [c.pk for c, _ in groups["used"]] == [used.pk]
    assert [c.pk for c, _ in groups["expired"]] == [ended.pk]
    assert sorted(c.pk for c, _ in groups["usable"]) == sorted(c.pk for c in usable)


def test_the_directory_shows_each_shops_offers_in_a_fixed_number_of_queries(
    shop, estate, resident, django_assert_max_num_queries
):
    start_campaign(shop, name="五元券")
    client = client_for(resident)
    url = reverse("estate-shops", args=[estate.pk])
    client.get(url)
    few = queries_of(lambda: client.get(url))
    for n in range(3):
        start_campaign(make_shop(estate, f"店{n}"), name=f"券{n}")
    ended = start_campaign(shop, name="已结束")
    offers.campaign_end(owner=shop.owner, campaign=ended)

    with django_assert_max_num_queries(few):
        page = client.get(url)
    html = page.content.decode()
    assert "五元券" in html and "券2" in html and "已结束" not in html
    assert "¥5.00 off" in html


# --- the pay page ----------------------------------------------------------------------------


def test_the_pay_page_shows_the_coupon_and_the_lower_amount(shop, cashier, resident):
    offers.coupon_claim(user=resident, campaign=start_campaign(shop, name="五元券"))
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    client = client_for(resident)
    url = reverse("merchant-request-pay", args=[request.token])

    page = client.get(url)
    html = page.content.decode()
    assert "五元券" in html and "−CN¥5.00" in html
    assert "Pay CN¥20.00" in html
    key = page.context["form"].initial["idempotency_key"]
    client.post(url, {"pin": PIN, "idempotency_key": key})

    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.PAID
    assert request.payment.amount_minor == 2_000
    assert balance_of(shop_account(shop)) == 2_000


def test_the_resident_pays_without_the_coupon_on_the_pay_page(shop, cashier, resident):
    coupon = offers.coupon_claim(user=resident, campaign=start_campaign(shop))
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    client = client_for(resident)
    url = reverse("merchant-request-pay", args=[request.token])
    key = client.get(url).context["form"].initial["idempotency_key"]

    client.post(url, {"pin": PIN, "idempotency_key": key, "coupon": "none"})

    request.refresh_from_db()
    assert request.payment.amount_minor == 2_500
    coupon.refresh_from_db()
    assert coupon.redeemed_at is None


def test_the_pay_page_without_coupons_is_as_before(shop, cashier, estate):
    payer = resident_of(estate, "+8613900011001")
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    html = client_for(payer).get(reverse("merchant-request-pay", args=[request.token]))
    assert "data-coupon-choices" not in html.content.decode()
    assert "Pay CN¥25.00" in html.content.decode()


def test_in_chinese_shop_offers_read_as_offers_not_as_help_responses(shop, resident):
    """ "Offers" is two words in Chinese: a shop's 优惠, and the 响应 to a help request."""
    client = client_for(resident)
    client.cookies["django_language"] = "zh-hans"
    resident.preferred_language = "zh-hans"
    resident.save(update_fields=["preferred_language"])

    page = client.get(reverse("estate-offers", args=[shop.neighbourhood_id])).content.decode()

    assert "<h1>优惠</h1>" in page
    assert "响应" not in page
