"""Claiming coupons: the window, the status, the audience, the per-resident limit and the
budgets, each checked on the locked campaign row."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from community.models import Circle, CircleMember, Membership
from core.errors import NotFound
from merchants.errors import (
    CampaignNotRunning,
    CampaignSoldOut,
    CouponLimitReached,
    NotInAudience,
)
from merchants.models import Campaign, Coupon, Shop
from merchants.services import offers
from merchants.services.accounts import shop_account
from tests.factories import NeighbourhoodFactory
from tests.merchants.conftest import PIN, make_member
from tests.merchants.offers.conftest import resident_of, start_campaign
from wallet.services import payments

pytestmark = pytest.mark.django_db


def pay_shop(user, shop, amount_minor=1_000):
    return payments.payment_create(
        payer=user, payee=shop_account(shop), amount_minor=amount_minor, description="x", pin=PIN
    ).payment


def test_a_claim_reserves_the_largest_discount(shop, resident):
    campaign = start_campaign(
        shop, kind=Campaign.Kind.PERCENT_OFF, percent=20, amount_minor=1_500, budget_minor=9_000
    )

    coupon = offers.coupon_claim(user=resident, campaign=campaign)

    campaign.refresh_from_db()
    assert coupon.user == resident and coupon.redeemed_at is None
    assert (campaign.claimed_count, campaign.reserved_minor) == (1, 1_500)


def test_one_coupon_per_resident_by_default_and_a_double_tap_is_refused(shop, resident):
    campaign = start_campaign(shop)
    offers.coupon_claim(user=resident, campaign=campaign)

    with pytest.raises(CouponLimitReached) as refused:
        offers.coupon_claim(user=resident, campaign=campaign)

    assert refused.value.code == "coupon_limit_reached"
    campaign.refresh_from_db()
    assert campaign.claimed_count == 1 and Coupon.objects.count() == 1


def test_a_limit_of_two_allows_two(shop, resident):
    campaign = start_campaign(shop, per_resident_limit=2)
    offers.coupon_claim(user=resident, campaign=campaign)
    offers.coupon_claim(user=resident, campaign=campaign)
    with pytest.raises(CouponLimitReached):
        offers.coupon_claim(user=resident, campaign=campaign)
    assert Coupon.objects.filter(user=resident).count() == 2


def test_the_count_budget_sells_out(shop, estate):
    campaign = start_campaign(shop, budget_count=2)
    for n in range(2):
        offers.coupon_claim(user=resident_of(estate, f"+8613900001{n:03d}"), campaign=campaign)

    with pytest.raises(CampaignSoldOut):
        offers.coupon_claim(user=resident_of(estate, "+8613900001999"), campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.claimed_count == 2


def test_the_amount_budget_runs_out_before_the_count(shop, estate):
    # 10 coupons of up to ¥5.00, but only ¥12.00 of discount: two coupons fit, not three
    campaign = start_campaign(shop, budget_count=10, budget_minor=1_200)
    for n in range(2):
        offers.coupon_claim(user=resident_of(estate, f"+8613900002{n:03d}"), campaign=campaign)

    with pytest.raises(CampaignSoldOut):
        offers.coupon_claim(user=resident_of(estate, "+8613900002999"), campaign=campaign)
    campaign.refresh_from_db()
    assert (campaign.claimed_count, campaign.reserved_minor) == (2, 1_000)


def test_the_window(shop, resident):
    start = timezone.now() + timedelta(days=1)
    campaign = start_campaign(shop, starts_at=start, ends_at=start + timedelta(days=2))

    with pytest.raises(CampaignNotRunning):
        offers.coupon_claim(user=resident, campaign=campaign)
    with (
        time_machine.travel(start + timedelta(days=2, seconds=1), tick=False),
        pytest.raises(CampaignNotRunning),
    ):
        offers.coupon_claim(user=resident, campaign=campaign)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        offers.coupon_claim(user=resident, campaign=campaign)
    assert Coupon.objects.count() == 1


def test_a_paused_or_ended_campaign_takes_no_claims(shop, resident):
    campaign = start_campaign(shop)
    offers.campaign_pause(owner=shop.owner, campaign=campaign)
    with pytest.raises(CampaignNotRunning):
        offers.coupon_claim(user=resident, campaign=campaign)
    offers.campaign_end(owner=shop.owner, campaign=campaign)
    with pytest.raises(CampaignNotRunning):
        offers.coupon_claim(user=resident, campaign=campaign)
    assert Coupon.objects.count() == 0


def test_a_suspended_shops_offer_takes_no_claims(shop, resident):
    campaign = start_campaign(shop)
    Shop.objects.filter(pk=shop.pk).update(status=Shop.Status.SUSPENDED)
    with pytest.raises(CampaignNotRunning):
        offers.coupon_claim(user=resident, campaign=campaign)


# --- audiences -------------------------------------------------------------------------------


def test_the_neighbourhood_is_anyone_with_a_membership_and_nobody_else(shop, estate):
    campaign = start_campaign(shop)
    visitor = make_member(estate, status=Membership.Status.VISITOR, phone="+8613900003001")
    outsider = make_member(NeighbourhoodFactory(), phone="+8613900003002")

    offers.coupon_claim(user=visitor, campaign=campaign)
    with pytest.raises(NotFound):
        offers.coupon_claim(user=outsider, campaign=campaign)
    assert list(Coupon.objects.values_list("user", flat=True)) == [visitor.pk]


def test_chosen_buildings(shop, estate):
    campaign = start_campaign(shop, audience=Campaign.Audience.BUILDINGS, building_refs=[7, 9])
    inside = make_member(estate, phone="+8613900004001")
    outside = make_member(estate, phone="+8613900004002")
    nowhere = make_member(estate, phone="+8613900004003")
    Membership.objects.filter(user=inside).update(building_ref=9)
    Membership.objects.filter(user=outside).update(building_ref=8)

    offers.coupon_claim(user=inside, campaign=campaign)
    for user in (outside, nowhere):
        with pytest.raises(NotInAudience):
            offers.coupon_claim(user=user, campaign=campaign)
    assert Coupon.objects.get().user == inside


def test_members_of_a_circle(shop, estate):
    members = [make_member(estate, phone=f"+8613900005{n:03d}") for n in range(3)]
    circle = Circle.objects.create(neighbourhood=estate, name="宝妈群", created_by=members[0])
    CircleMember.objects.create(circle=circle, user=members[0])
    CircleMember.objects.create(circle=circle, user=members[1], status=CircleMember.Status.PENDING)
    campaign = start_campaign(shop, audience=Campaign.Audience.CIRCLE, circle_id=circle.pk)

    offers.coupon_claim(user=members[0], campaign=campaign)
    for user in members[1:]:  # waiting for approval, and not in it
        with pytest.raises(NotInAudience):
            offers.coupon_claim(user=user, campaign=campaign)
    assert Coupon.objects.get().user == members[0]


def test_new_customers_have_never_paid_the_shop(shop, other_shop, estate):
    campaign = start_campaign(shop, audience=Campaign.Audience.NEW_CUSTOMERS)
    regular = resident_of(estate, "+8613900006001")
    newcomer = resident_of(estate, "+8613900006002")
    pay_shop(regular, shop)
    pay_shop(newcomer, other_shop)  # another shop does not count

    offers.coupon_claim(user=newcomer, campaign=campaign)
    with pytest.raises(NotInAudience):
        offers.coupon_claim(user=regular, campaign=campaign)


def test_a_refunded_visit_does_not_count(shop, estate):
    campaign = start_campaign(shop, audience=Campaign.Audience.NEW_CUSTOMERS)
    customer = resident_of(estate, "+8613900006003")
    payment = pay_shop(customer, shop)
    payments.payment_refund(payment=payment, amount_minor=None, actor_id=None)

    offers.coupon_claim(user=customer, campaign=campaign)
    assert Coupon.objects.get().user == customer


def test_lapsed_customers_paid_before_but_not_lately(shop, estate):
    now = timezone.now()
    lapsed = resident_of(estate, "+8613900007001")
    recent = resident_of(estate, "+8613900007002")
    never = resident_of(estate, "+8613900007003")
    with time_machine.travel(now - timedelta(days=31), tick=False):
        pay_shop(lapsed, shop)
    with time_machine.travel(now - timedelta(days=29), tick=False):
        pay_shop(recent, shop)
    campaign = start_campaign(shop, audience=Campaign.Audience.LAPSED_CUSTOMERS, lapsed_days=30)

    offers.coupon_claim(user=lapsed, campaign=campaign)
    for user in (recent, never):
        with pytest.raises(NotInAudience):
            offers.coupon_claim(user=user, campaign=campaign)
    assert Coupon.objects.get().user == lapsed


def test_verified_only_on_top_of_the_audience(shop, estate):
    campaign = start_campaign(shop, verified_only=True)
    unverified = make_member(estate, level=0, pin=None, phone="+8613900008001")
    verified = make_member(estate, level=1, phone="+8613900008002")

    offers.coupon_claim(user=verified, campaign=campaign)
    with pytest.raises(NotInAudience) as refused:
        offers.coupon_claim(user=unverified, campaign=campaign)
    assert refused.value.status_code == 403
