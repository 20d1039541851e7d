"""付款码: a resident shows a one-time code, the cashier charges it once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import NotFound
from merchants.errors import CodeAmountTooHigh, CodeExpired, CodeInvalid, CodeUsed
from merchants.models import PaymentCode
from merchants.services import checkout
from merchants.services.accounts import shop_account
from tests.merchants.checkout.conftest import balance_of, listen, received
from tests.merchants.conftest import PIN, make_cashier, make_member
from wallet.errors import PinIncorrect, PinRequired, VerificationRequired
from wallet.models import Payment, WalletProfile
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db


def test_a_code_is_18_digits_from_28_and_only_its_digest_is_stored(resident):
    issued = checkout.code_issue(user=resident, pin=PIN)

    assert len(issued.code) == 18 and issued.code.isdigit() and issued.code.startswith("28")
    stored = PaymentCode.objects.get()
    assert stored.code_digest == checkout.code_digest(issued.code)
    assert issued.code not in stored.code_digest
    assert stored.max_amount_minor == 200_000
    assert stored.expires_at - timezone.now() == pytest.approx(
        timedelta(seconds=60), abs=timedelta(seconds=5)
    )


def test_a_cashier_charges_a_code_once(shop, cashier, resident):
    # Given the resident's code
    code = checkout.code_issue(user=resident, pin=PIN).code

    # When the cashier charges ¥12.30 to it (spaces as typed from the screen)
    spaced = " ".join(code[i : i + 4] for i in range(0, 18, 4))
    charged = checkout.code_charge(cashier=cashier, shop=shop, code=spaced, amount_minor=1_230)

    # Then the money moved and the code is used by that payment
    assert balance_of(wallet_account(resident)) == 98_770
    assert balance_of(shop_account(shop)) == 1_230
    stored = PaymentCode.objects.get()
    assert stored.used_at is not None
    assert stored.payment == charged.payment
    assert stored.shop == shop

    # And a second charge of the same code is refused
    with pytest.raises(CodeUsed):
        checkout.code_charge(cashier=cashier, shop=shop, code=code, amount_minor=100)
    assert Payment.objects.count() == 1


def test_a_code_is_refused_after_60_seconds(shop, cashier, resident):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        code = checkout.code_issue(user=resident, pin=PIN).code
    with (
        time_machine.travel(start + timedelta(seconds=61), tick=False),
        pytest.raises(CodeExpired),
    ):
        checkout.code_charge(cashier=cashier, shop=shop, code=code, amount_minor=100)
    assert Payment.objects.count() == 0


def test_a_new_code_retires_the_previous_one(shop, cashier, resident):
    first = checkout.code_issue(user=resident, pin=PIN).code
    second = checkout.code_issue(user=resident, pin=PIN).code

    with pytest.raises(CodeExpired):
        checkout.code_charge(cashier=cashier, shop=shop, code=first, amount_minor=100)
    checkout.code_charge(cashier=cashier, shop=shop, code=second, amount_minor=100)


def test_a_code_pays_at_most_2000_yuan(shop, cashier, resident):
    code = checkout.code_issue(user=resident, pin=PIN).code

    with pytest.raises(CodeAmountTooHigh):
        checkout.code_charge(cashier=cashier, shop=shop, code=code, amount_minor=200_001)
    assert Payment.objects.count() == 0


def test_unknown_or_malformed_codes_are_invalid(shop, cashier, resident):
    checkout.code_issue(user=resident, pin=PIN)
    for code in ["28" + "0" * 16, "123", "38" + "1" * 16, "28abc" + "1" * 13]:
        with pytest.raises(CodeInvalid):
            checkout.code_charge(cashier=cashier, shop=shop, code=code, amount_minor=100)


def test_a_wrong_pin_issues_no_code_and_counts(resident):
    with pytest.raises(PinIncorrect):
        checkout.code_issue(user=resident, pin="135791")

    assert PaymentCode.objects.count() == 0
    assert WalletProfile.objects.get(user=resident).failed_pin_attempts == 1


def test_an_unverified_resident_gets_no_code(estate):
    unverified = make_member(estate, level=0)
    with pytest.raises(VerificationRequired):
        checkout.code_issue(user=unverified, pin=PIN)


def test_a_cashier_of_another_shop_cannot_charge_here(shop, other_shop, resident):
    code = checkout.code_issue(user=resident, pin=PIN).code
    stranger = make_cashier(other_shop)

    with pytest.raises(NotFound):
        checkout.code_charge(cashier=stranger, shop=shop, code=code, amount_minor=100)
    assert PaymentCode.objects.get().used_at is None


def test_a_charged_code_is_announced_to_the_staff(
    shop, cashier, resident, in_memory_layer, django_capture_on_commit_callbacks
):
    channel = listen(in_memory_layer, cashier.pk)
    code = checkout.code_issue(user=resident, pin=PIN).code

    with django_capture_on_commit_callbacks(execute=True):
        charged = checkout.code_charge(cashier=cashier, shop=shop, code=code, amount_minor=800)

    [event] = received(in_memory_layer, channel)
    assert event["type"] == "merchant.payment_received"
    assert event["code_id"] == charged.payment_code.pk
    assert event["amount_minor"] == 800


def test_the_code_page_renews_without_the_pin_for_five_minutes(resident):
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        renewed = checkout.code_issue(user=resident, pin=None, pin_verified_at=start)
    assert renewed.code.startswith("28")
    with (
        time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False),
        pytest.raises(PinRequired),
    ):
        checkout.code_issue(user=resident, pin=None, pin_verified_at=start)
    with pytest.raises(PinRequired):
        checkout.code_issue(user=resident, pin=None)
