"""A shop's payout profile follows the shop (approval, its category's fee), and a shop's
day is settled to its settlement card with the owner told."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from core.errors import ValidationFailed
from core.models import Notification
from merchants.errors import NotOperator
from merchants.models import CategoryFee, Shop
from merchants.services import settlement as shop_settlement
from merchants.services.accounts import shop_account
from merchants.services.onboarding import shop_review
from tests.merchants.onboarding.conftest import make_card, make_operator
from tests.merchants.settlement.conftest import DAY, at, give_settlement_card, pay, settle
from wallet.models import PayoutProfile, SandboxCard, Settlement
from wallet.services import payments

pytestmark = pytest.mark.django_db


def pending_shop(estate, owner, card, category=Shop.Category.FOOD) -> Shop:
    return Shop.objects.create(
        neighbourhood=estate,
        name="张记早餐",
        category=category,
        address="阳光路 92 号",
        owner=owner,
        settlement_card=card,
        status=Shop.Status.PENDING,
    )


def test_approving_a_shop_registers_its_payout_profile_at_its_categorys_fee(estate, shop):
    CategoryFee.objects.filter(category=Shop.Category.FOOD).update(fee_bps=80)
    card = make_card(shop.owner, last4="4321", holder_name="张伟")
    applied = pending_shop(estate, shop.owner, card)

    shop_review(operator=make_operator(), shop=applied, approve=True)

    profile = PayoutProfile.objects.get(account=shop_account(applied))
    assert (profile.card_token, profile.last4, profile.holder_name) == (card.token, "4321", "张伟")
    assert (profile.fee_bps, profile.label, profile.owed_minor) == (80, "张记早餐", 0)


def test_a_category_without_a_fee_is_settled_at_the_default_rate(estate, shop):
    CategoryFee.objects.filter(category=Shop.Category.HEALTH).delete()
    applied = pending_shop(estate, shop.owner, make_card(shop.owner), Shop.Category.HEALTH)
    shop_review(operator=make_operator(), shop=applied, approve=True)
    assert PayoutProfile.objects.get(account=shop_account(applied)).fee_bps == 60


def test_a_rejected_shop_gets_no_payout_profile(estate, shop):
    applied = pending_shop(estate, shop.owner, make_card(shop.owner))
    shop_review(operator=make_operator(), shop=applied, approve=False, reason="licence unreadable")
    assert not PayoutProfile.objects.exists()


def test_a_new_category_fee_applies_to_the_categorys_shops_from_the_next_settlement(
    shop, other_shop, card, other_card
):
    # shop is a grocery, other_shop a food shop
    shop_settlement.category_fee_set(
        operator=make_operator(), category=Shop.Category.GROCERY, fee_bps=35
    )

    assert PayoutProfile.objects.get(account=shop_account(shop)).fee_bps == 35
    assert PayoutProfile.objects.get(account=shop_account(other_shop)).fee_bps == 60  # food
    assert CategoryFee.objects.get(category="grocery").fee_bps == 35


@pytest.mark.parametrize("fee_bps", [-1, 1001, True, "60"])
def test_a_category_fee_is_between_0_and_10_percent(fee_bps):
    with pytest.raises(ValidationFailed):
        shop_settlement.category_fee_set(
            operator=make_operator(), category=Shop.Category.GROCERY, fee_bps=fee_bps
        )


def test_only_operators_set_category_fees(shop):
    with pytest.raises(NotOperator):
        shop_settlement.category_fee_set(
            operator=shop.owner, category=Shop.Category.GROCERY, fee_bps=10
        )


def test_a_shops_day_is_paid_to_its_card_and_its_owner_is_told(
    settings, shop, card, cashier, resident, django_capture_on_commit_callbacks
):
    settings.WALLET_SETTLEMENT_PAID_HANDLER = ["merchants.services.settlement.settlement_paid"]
    # A grocery: 38 basis points (the starting rate of everyday necessities)
    sale = pay(resident, shop, 25_000, at(DAY, 12))  # fee 95
    pay(resident, shop, 1_234, at(DAY, 13))  # fee 4.6892 → 5
    with time_machine.travel(at(DAY, 14), tick=False):
        payments.payment_refund(payment=sale, amount_minor=5_000)  # fee back 19

    with django_capture_on_commit_callbacks(execute=True):
        settle(at(DAY + timedelta(days=1), 1))

    day = Settlement.objects.get(business_date=DAY)
    # 25 000 + 1 234 − 5 000 − (95 + 5 − 19)
    assert (day.status, day.fees_minor, day.payout_minor) == ("paid", 81, 21_153)
    card.refresh_from_db()
    assert card.balance_minor == 21_153
    told = Notification.objects.get(kind="settlement_paid")
    assert told.user == shop.owner  # the owner, not the cashier
    assert card.number[-4:] in told.title and told.url == f"/shop/{shop.pk}/settlements/{day.pk}/"


def test_a_declined_payout_tells_the_owner_to_check_the_card(
    settings, shop, card, resident, django_capture_on_commit_callbacks
):
    settings.WALLET_PAYOUT_FAILED_HANDLER = [
        "merchants.services.settlement.payout_failed",
        "tests.merchants.settlement.test_services.not_ours",
    ]
    SandboxCard.objects.filter(pk=card.pk).update(status=SandboxCard.Status.REVOKED)
    pay(resident, shop, 10_000, at(DAY, 12))

    with django_capture_on_commit_callbacks(execute=True):
        settle(at(DAY + timedelta(days=1), 1))

    assert Settlement.objects.get().status == Settlement.Status.RETRYING
    told = Notification.objects.get(kind="settlement_payout_declined", user=shop.owner)
    assert card.number[-4:] in told.title


def not_ours(*, settlement: Settlement) -> None:
    """Another layer's handler in the same list: it must not be disturbed by a shop's."""


def test_a_companys_settlement_is_not_a_shops_business(settings, shop, card):
    other = Settlement(account=shop_account(shop))
    other.account.owner_ref = "company:1"
    shop_settlement.settlement_paid(settlement=other)
    assert not Notification.objects.filter(kind="settlement_paid").exists()


def test_a_shop_without_a_settlement_card_is_not_paid_out(shop):
    assert shop_settlement.shop_payout_register(shop) is None
    give_settlement_card(shop)
    assert shop_settlement.shop_payout_register(shop) is not None
