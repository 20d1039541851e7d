"""What happens around a sale across the merchants app: a full refund gives the coupon
back, each money event queues its webhook once, and a refund after the shop was paid out
still reaches the resident in full."""

from __future__ import annotations

from datetime import timedelta

import pytest

from merchants.models import Campaign, Coupon, WebhookDelivery
from merchants.services import checkout, offers, refunds, webhooks
from merchants.services.accounts import shop_account
from tests.merchants.conftest import PIN
from tests.merchants.offers.conftest import start_campaign
from tests.merchants.settlement.conftest import DAY, at, give_settlement_card, pay, settle
from wallet.models import PayoutProfile, Settlement
from wallet.services import ledger
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def coupon(shop, resident):
    campaign = start_campaign(shop, amount_minor=500, budget_count=5)
    return offers.coupon_claim(user=resident, campaign=campaign)


def pay_with_coupon(shop, cashier, resident):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    return checkout.request_pay(payer=resident, payment_request=request, pin=PIN)


def test_a_full_refund_gives_the_coupon_back_and_refunds_what_was_paid(
    shop, cashier, resident, coupon
):
    result = pay_with_coupon(shop, cashier, resident)
    assert result.payment.amount_minor == 2_000  # ¥25.00 less the ¥5.00 coupon

    given = refunds.refund_create(actor=cashier, shop=shop, payment=result.payment)

    assert given.refund.amount_minor == 2_000 and given.coupon_returned
    coupon.refresh_from_db()
    assert coupon.redeemed_at is None
    campaign = Campaign.objects.get()
    assert (campaign.redeemed_count, campaign.discount_minor, campaign.sales_minor) == (0, 0, 0)
    assert ledger.account_balance(wallet_account(resident)).balance_minor == 100_000
    # The coupon works again on the next purchase
    again = pay_with_coupon(shop, cashier, resident)
    assert again.payment.amount_minor == 2_000


def test_partial_refunds_keep_the_coupon_used_until_the_last_one(shop, cashier, resident, coupon):
    payment = pay_with_coupon(shop, cashier, resident).payment
    first = refunds.refund_create(actor=cashier, shop=shop, payment=payment, amount_minor=500)
    assert not first.coupon_returned
    coupon.refresh_from_db()
    assert coupon.redeemed_at is not None
    last = refunds.refund_create(actor=cashier, shop=shop, payment=payment, amount_minor=1_500)
    assert last.coupon_returned
    assert Coupon.objects.get().redeemed_at is None


def test_no_coupon_back_once_the_campaign_is_over(shop, cashier, resident, coupon):
    payment = pay_with_coupon(shop, cashier, resident).payment
    offers.campaign_end(owner=shop.owner, campaign=Campaign.objects.get())
    given = refunds.refund_create(actor=cashier, shop=shop, payment=payment)
    assert not given.coupon_returned and given.refund.amount_minor == 2_000
    assert Coupon.objects.get().redeemed_at is not None


def test_each_money_event_queues_its_webhook_once(
    settings, shop, cashier, resident, coupon, django_capture_on_commit_callbacks
):
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = True
    webhooks.endpoint_create(
        owner=shop.owner,
        shop=shop,
        url="http://127.0.0.1:9/hooks",
        event_types=["payment.succeeded", "refund.succeeded"],
    )

    result = pay_with_coupon(shop, cashier, resident)
    refunds.refund_create(actor=cashier, shop=shop, payment=result.payment, amount_minor=700)

    payment_event = WebhookDelivery.objects.get(event_type="payment.succeeded")
    data = payment_event.payload["data"]
    assert payment_event.event_key == f"payment:{result.payment.pk}"
    assert (data["amount_minor"], data["gross_minor"], data["discount_minor"]) == (
        2_000,
        2_500,
        500,
    )
    assert data["payment_request_id"] == result.request.pk
    refund_event = WebhookDelivery.objects.get(event_type="refund.succeeded")
    assert refund_event.payload["data"]["amount_minor"] == 700
    assert refund_event.payload["data"]["payment_status"] == "partially_refunded"
    assert WebhookDelivery.objects.count() == 2


def test_settlement_paid_reaches_the_shops_system(
    settings, estate, shop, cashier, resident, django_capture_on_commit_callbacks
):
    settings.MERCHANT_WEBHOOKS_ALLOW_PRIVATE = True
    give_settlement_card(shop)
    webhooks.endpoint_create(
        owner=shop.owner, shop=shop, url="http://127.0.0.1:9/hooks", event_types=["settlement.paid"]
    )
    pay(resident, shop, 10_000, at(DAY, 10))
    with django_capture_on_commit_callbacks(execute=True):
        settle(at(DAY + timedelta(days=1), 3))
    settlement = Settlement.objects.get(status=Settlement.Status.PAID)
    with django_capture_on_commit_callbacks(execute=True):
        settle(at(DAY + timedelta(days=1), 4))  # a second run: nothing new

    delivery = WebhookDelivery.objects.get(event_type="settlement.paid")
    assert delivery.event_key == f"settlement:{settlement.pk}"
    assert (
        delivery.payload["data"]["payout_minor"] == settlement.payout_minor == 9_962
    )  # 0.38 % for groceries


def test_a_refund_after_the_payout_is_lent_and_recovered(shop, cashier, resident):
    give_settlement_card(shop)
    payment = pay(resident, shop, 10_000, at(DAY, 10))
    settle(at(DAY + timedelta(days=1), 3))
    assert ledger.account_balance(shop_account(shop)).balance_minor == 0

    before = ledger.account_balance(wallet_account(resident)).balance_minor
    given = refunds.refund_create(actor=shop.owner, shop=shop, payment=payment)

    assert given.refund.amount_minor == 10_000
    assert ledger.account_balance(wallet_account(resident)).balance_minor == before + 10_000
    assert PayoutProfile.objects.get(account=shop_account(shop)).owed_minor == 10_000
