"""Coupons at the till: the best one is suggested, the payment is the price less the
discount (merchant-funded: nothing else moves), the redemption is written in the payment's
transaction, and a full refund gives the coupon back while the campaign runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from core.errors import NotFound
from merchants.errors import CouponNotApplicable, CouponUnavailable
from merchants.models import Campaign, Coupon, CouponRedemption, PaymentRequest
from merchants.services import checkout, offers
from merchants.services.accounts import shop_account
from tests.merchants.checkout.conftest import balance_of, listen, received
from tests.merchants.conftest import PIN, fund, make_member
from tests.merchants.offers.conftest import resident_of, start_campaign
from wallet.errors import InsufficientFunds
from wallet.models import JournalTransaction, Payment
from wallet.services import payments
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db


def claim(user, shop, **terms) -> Coupon:
    return offers.coupon_claim(user=user, campaign=start_campaign(shop, **terms))


def ask(shop, cashier, amount_minor) -> PaymentRequest:
    return checkout.request_create(cashier=cashier, shop=shop, amount_minor=amount_minor)


def test_the_best_coupon_is_the_largest_discount_then_the_one_ending_first(
    shop, other_shop, cashier, resident
):
    soon = timezone.now() + timedelta(days=2)
    five_off = claim(resident, shop, name="五元", amount_minor=500)
    ten_percent = claim(
        resident,
        shop,
        name="九折",
        kind=Campaign.Kind.PERCENT_OFF,
        percent=10,
        amount_minor=3_000,
        budget_minor=30_000,
    )
    five_off_soon = claim(resident, shop, name="五元快到期", amount_minor=500, ends_at=soon)
    claim(
        resident,
        shop,
        name="满百减二十",
        kind=Campaign.Kind.SPEND_SAVE,
        amount_minor=2_000,
        min_spend_minor=10_000,
        budget_minor=20_000,
    )

    # ¥30.00: 10% is ¥3.00, less than ¥5.00; of the two ¥5.00 coupons the one ending first
    assert offers.best_coupon(resident, shop, 3_000).coupon == five_off_soon
    # ¥80.00: 10% is ¥8.00; ¥100.00: spend ¥100 save ¥20
    assert offers.best_coupon(resident, shop, 8_000).coupon == ten_percent
    assert offers.best_coupon(resident, shop, 10_000).discount_minor == 2_000
    # another shop's checkout sees none of them
    assert offers.best_coupon(resident, other_shop, 10_000) is None
    # once the first is used, the other ¥5.00 coupon is the best
    checkout.request_pay(payer=resident, payment_request=ask(shop, cashier, 3_000), pin=PIN)
    assert offers.best_coupon(resident, shop, 3_000).coupon == five_off


def test_paying_with_the_best_coupon_moves_the_net_and_records_the_redemption(
    shop, cashier, resident, in_memory_layer, django_capture_on_commit_callbacks
):
    # Given a ¥5.00-off coupon and a ¥25.00 request
    coupon = claim(resident, shop)
    request = ask(shop, cashier, 2_500)
    channel = listen(in_memory_layer, cashier.pk)

    # When the resident pays with the default (the best coupon)
    with django_capture_on_commit_callbacks(execute=True):
        result = checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    # Then ¥20.00 moved from the wallet to the shop, and nothing else moved
    assert result.payment.amount_minor == 2_000
    assert (result.discount_minor, result.coupon_id) == (500, coupon.pk)
    assert balance_of(wallet_account(resident)) == 98_000
    assert balance_of(shop_account(shop)) == 2_000
    assert JournalTransaction.objects.filter(kind="payment").count() == 1
    metadata = result.payment.transaction.metadata
    assert (metadata["coupon_id"], metadata["gross_minor"], metadata["discount_minor"]) == (
        coupon.pk,
        2_500,
        500,
    )
    # the coupon is used, once, and the campaign's results count it
    redemption = CouponRedemption.objects.get()
    assert (redemption.coupon, redemption.payment) == (coupon, result.payment)
    assert (redemption.gross_minor, redemption.discount_minor) == (2_500, 500)
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None
    campaign = Campaign.objects.get()
    assert (campaign.redeemed_count, campaign.discount_minor, campaign.sales_minor) == (
        1,
        500,
        2_500,
    )
    # the till hears the net, with the price and the discount
    [event] = received(in_memory_layer, channel)
    assert (event["amount_minor"], event["gross_minor"], event["discount_minor"]) == (
        2_000,
        2_500,
        500,
    )
    assert event["coupon_id"] == coupon.pk


def test_the_resident_may_pick_another_coupon_or_none(shop, cashier, resident):
    five_off = claim(resident, shop, name="五元", amount_minor=500)
    two_off = claim(resident, shop, name="两元", amount_minor=200)

    picked = checkout.request_pay(
        payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN, coupon=two_off.pk
    )
    plain = checkout.request_pay(
        payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN, coupon=None
    )

    assert (picked.payment.amount_minor, picked.coupon_id) == (2_300, two_off.pk)
    assert (plain.payment.amount_minor, plain.coupon_id) == (2_500, None)
    assert plain.payment.transaction.metadata["coupon_id"] is None
    five_off.refresh_from_db()
    assert five_off.redeemed_at is None
    with pytest.raises(CouponUnavailable):  # used above
        checkout.request_pay(
            payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN, coupon=two_off.pk
        )


def test_a_coupon_that_does_not_apply_or_is_someone_elses_is_refused(
    shop, other_shop, cashier, resident, estate
):
    spend_save = claim(resident, shop, kind="spend_save", amount_minor=1_000, min_spend_minor=5_000)
    elsewhere = claim(resident, other_shop)
    neighbour = resident_of(estate, "+8613900009001")
    theirs = claim(neighbour, shop, name="邻居的")
    request = ask(shop, cashier, 2_500)

    for pick in (spend_save.pk, elsewhere.pk):
        with pytest.raises(CouponNotApplicable):
            checkout.request_pay(payer=resident, payment_request=request, pin=PIN, coupon=pick)
    with pytest.raises(NotFound):
        checkout.request_pay(payer=resident, payment_request=request, pin=PIN, coupon=theirs.pk)
    assert Payment.objects.count() == 0


def test_a_payment_that_fails_leaves_the_coupon_usable(shop, cashier, estate):
    # Given a resident with ¥10.00, a ¥5.00 coupon and a ¥25.00 bill: ¥20.00 is too much
    poor = make_member(estate, phone="+8613900009002")
    fund(poor, 1_000)
    coupon = claim(poor, shop)

    with pytest.raises(InsufficientFunds):
        checkout.request_pay(payer=poor, payment_request=ask(shop, cashier, 2_500), pin=PIN)

    coupon.refresh_from_db()
    assert coupon.redeemed_at is None
    assert CouponRedemption.objects.count() == 0
    campaign = Campaign.objects.get()
    assert (campaign.redeemed_count, campaign.discount_minor) == (0, 0)
    # and with enough money it pays ¥20.00 with the same coupon
    fund(poor, 1_000)
    paid = checkout.request_pay(payer=poor, payment_request=ask(shop, cashier, 2_500), pin=PIN)
    assert (paid.payment.amount_minor, paid.coupon_id) == (2_000, coupon.pk)


def test_a_coupon_used_meanwhile_refuses_the_payment_before_money_moves(shop, cashier, resident):
    # Given a coupon chosen before the transaction, then used by another payment
    coupon = claim(resident, shop)
    stale = offers.best_coupon(resident, shop, 2_500)
    checkout.request_pay(payer=resident, payment_request=ask(shop, cashier, 1_000), pin=PIN)
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None

    # When the second payment's transaction locks it, it is refused and nothing moves
    with pytest.raises(CouponUnavailable) as refused, transaction.atomic():
        offers.coupon_lock(stale, payer=resident, shop=shop, gross_minor=2_500)
    assert refused.value.status_code == 409
    assert Payment.objects.count() == 1


def test_a_paused_campaigns_coupon_is_not_offered(shop, cashier, resident):
    coupon = claim(resident, shop)
    offers.campaign_pause(owner=shop.owner, campaign=coupon.campaign)

    paid = checkout.request_pay(payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN)

    assert (paid.payment.amount_minor, paid.coupon_id) == (2_500, None)
    with pytest.raises(CouponNotApplicable):
        checkout.request_pay(
            payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN, coupon=coupon.pk
        )


def test_the_till_applies_the_payers_best_coupon_to_a_payment_code(shop, cashier, resident):
    coupon = claim(
        resident,
        shop,
        kind=Campaign.Kind.PERCENT_OFF,
        percent=15,
        amount_minor=2_000,
        budget_minor=20_000,
    )
    code = checkout.code_issue(user=resident, pin=PIN).code

    charged = checkout.code_charge(cashier=cashier, shop=shop, code=code, amount_minor=1_230)

    # 15% of ¥12.30 = 184.5 fen → 185
    assert (charged.payment.amount_minor, charged.discount_minor) == (1_045, 185)
    assert charged.coupon_id == coupon.pk
    assert balance_of(shop_account(shop)) == 1_045
    assert CouponRedemption.objects.get().payment == charged.payment


def test_a_preview_shows_price_coupon_and_net(shop, cashier, resident):
    coupon = claim(resident, shop)
    request = ask(shop, cashier, 2_500)

    best = checkout.request_preview(payer=resident, payment_request=request)
    none = checkout.request_preview(payer=resident, payment_request=request, coupon=None)

    assert (best.coupon.coupon, best.discount_minor, best.net_minor) == (coupon, 500, 2_000)
    assert (none.coupon, none.net_minor) == (None, 2_500)
    assert [c.coupon for c in none.choices] == [coupon]


# --- refunds ---------------------------------------------------------------------------------


def refund_in_full(payment: Payment) -> bool:
    """What the shop's refund does: in one transaction, the coupon first, then the money."""
    with transaction.atomic(durable=True):
        returned = offers.redemption_return(payment=payment)
        payments.refund_post(payment=payment, amount_minor=None, reason="退货")
    return returned


def test_a_full_refund_returns_the_coupon_while_the_campaign_runs(shop, cashier, resident):
    coupon = claim(resident, shop)
    paid = checkout.request_pay(payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN)

    assert refund_in_full(paid.payment) is True

    # The resident gets back what they paid (¥20.00), and the coupon
    assert balance_of(wallet_account(resident)) == 100_000
    assert balance_of(shop_account(shop)) == 0
    coupon.refresh_from_db()
    assert coupon.redeemed_at is None
    assert CouponRedemption.objects.get().returned_at is not None
    campaign = Campaign.objects.get()
    assert (campaign.claimed_count, campaign.reserved_minor) == (1, 500)
    assert (campaign.redeemed_count, campaign.discount_minor, campaign.sales_minor) == (0, 0, 0)
    # and it can be used again
    again = checkout.request_pay(payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN)
    assert (again.payment.amount_minor, again.coupon_id) == (2_000, coupon.pk)
    assert CouponRedemption.objects.filter(returned_at__isnull=True).count() == 1


def test_a_full_refund_after_the_campaign_ended_keeps_the_coupon_used(shop, cashier, resident):
    coupon = claim(resident, shop)
    paid = checkout.request_pay(payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN)
    offers.campaign_end(owner=shop.owner, campaign=coupon.campaign)

    assert refund_in_full(paid.payment) is False

    assert balance_of(wallet_account(resident)) == 100_000  # ¥20.00 back, what was paid
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None
    assert CouponRedemption.objects.get().returned_at is None
    assert Campaign.objects.get().redeemed_count == 1


def test_a_refund_past_the_end_of_the_window_keeps_the_coupon_used(shop, cashier, resident):
    coupon = claim(resident, shop, ends_at=timezone.now() + timedelta(hours=1))
    paid = checkout.request_pay(payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN)

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert refund_in_full(paid.payment) is False
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None


def test_a_payment_without_a_coupon_returns_nothing(shop, cashier, resident):
    paid = checkout.request_pay(payer=resident, payment_request=ask(shop, cashier, 2_500), pin=PIN)
    assert refund_in_full(paid.payment) is False
    assert balance_of(wallet_account(resident)) == 100_000
