"""Offers under real concurrency on PostgreSQL: a budget is never exceeded and a coupon is
never used twice, however many arrive at once."""

from __future__ import annotations

import pytest

from merchants.errors import CampaignSoldOut, CouponUnavailable
from merchants.models import Campaign, Coupon, CouponRedemption, PaymentRequest
from merchants.services import checkout, offers
from merchants.services.accounts import shop_account
from tests.concurrency.conftest import run_together
from tests.factories import NeighbourhoodFactory
from tests.merchants.checkout.conftest import balance_of
from tests.merchants.conftest import PIN, fund, make_cashier, make_member, make_shop
from tests.merchants.offers.conftest import start_campaign
from wallet.models import Payment
from wallet.services.accounts import wallet_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_residents_claiming_a_ten_coupon_campaign_get_exactly_ten():
    # Given a campaign of 10 coupons and 50 residents of the estate
    estate = NeighbourhoodFactory(name="阳光花园")
    shop = make_shop(estate)
    campaign = start_campaign(shop, budget_count=10, budget_minor=100_000)
    residents = [make_member(estate, pin=None, phone=f"+8613800{n:06d}") for n in range(50)]

    # When all of them claim at once
    outcomes = run_together(
        [
            lambda user=user: offers.coupon_claim(
                user=user, campaign=Campaign.objects.get(pk=campaign.pk)
            )
            for user in residents
        ]
    )

    # Then exactly 10 got a coupon, the other 40 were told it is sold out
    claimed = [o for o in outcomes if o.error is None]
    refused = [o.error for o in outcomes if o.error is not None]
    assert len(claimed) == 10
    assert len(refused) == 40 and all(isinstance(e, CampaignSoldOut) for e in refused)
    assert Coupon.objects.count() == 10
    assert len({o.value.user_id for o in claimed}) == 10
    campaign.refresh_from_db()
    assert (campaign.claimed_count, campaign.reserved_minor) == (10, 5_000)


def _two_requests():
    estate = NeighbourhoodFactory(name="阳光花园")
    shop = make_shop(estate)
    cashier = make_cashier(shop)
    resident = make_member(estate)
    fund(resident, 10_000)
    coupon = offers.coupon_claim(user=resident, campaign=start_campaign(shop))
    requests = [
        checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500) for _ in range(2)
    ]
    return shop, resident, coupon, requests


def _pay(resident, request, coupon):
    return checkout.request_pay(
        payer=resident,
        payment_request=PaymentRequest.objects.select_related("shop").get(pk=request.pk),
        pin=PIN,
        coupon=coupon,
    )


def test_one_coupon_on_two_payments_at_the_same_moment_discounts_one():
    # Given one ¥5.00 coupon and two ¥25.00 requests paid at once with it
    shop, resident, coupon, requests = _two_requests()

    outcomes = run_together([lambda r=r: _pay(resident, r, coupon.pk) for r in requests])

    # Then one paid ¥20.00; the other was refused with coupon_unavailable and moved nothing
    paid = [o.value for o in outcomes if o.error is None]
    refused = [o.error for o in outcomes if o.error is not None]
    assert len(paid) == 1 and len(refused) == 1
    assert isinstance(refused[0], CouponUnavailable) and refused[0].status_code == 409
    assert paid[0].payment.amount_minor == 2_000
    assert Payment.objects.count() == 1
    assert balance_of(wallet_account(resident)) == 8_000
    assert balance_of(shop_account(shop)) == 2_000
    assert CouponRedemption.objects.count() == 1
    campaign = Campaign.objects.get()
    assert (campaign.redeemed_count, campaign.discount_minor, campaign.sales_minor) == (
        1,
        500,
        2_500,
    )
    assert PaymentRequest.objects.filter(status="paid").count() == 1


def test_the_coupon_on_one_payment_and_none_on_the_other_at_the_same_moment():
    shop, resident, coupon, requests = _two_requests()

    outcomes = run_together(
        [
            lambda: _pay(resident, requests[0], coupon.pk),
            lambda: _pay(resident, requests[1], None),
        ]
    )

    assert [o.error for o in outcomes] == [None, None]
    assert sorted(o.value.payment.amount_minor for o in outcomes) == [2_000, 2_500]
    assert balance_of(wallet_account(resident)) == 10_000 - 4_500
    assert balance_of(shop_account(shop)) == 4_500
    assert Campaign.objects.get().discount_minor == 500
