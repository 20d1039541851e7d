"""Error codes that the worked examples meet through the services, met over the API: each
refusal has its stable code and status, and changes nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.wallet.conftest import (
    PIN,
    bind_card,
    fund,
    make_resident,
    sandbox_card,
    shop_account,
)
from tests.wallet.test_api import client_for, post
from wallet.models import Account, BankCard, CorrectionProposal, JournalTransaction, Payment
from wallet.services import fx, payments

pytestmark = pytest.mark.django_db


def refused(response, code: str, status: int) -> None:
    body = response.json()
    assert (response.status_code, body["error"]["code"]) == (status, code), body
    assert body["error"]["message"]


def pay(api, payee: Account, amount: int = 100, **extra):
    body = {"payee_account_id": payee.pk, "amount_minor": amount, "description": "x", **extra}
    return post(api, "api-wallet-payments", body)


def test_an_unverified_resident_may_not_pay():
    unverified = make_resident(level=0)
    fund(unverified, 1_000)
    refused(pay(client_for(unverified), shop_account(), pin=PIN), "verification_required", 403)
    assert not Payment.objects.exists()


def test_paying_without_a_pin_set_says_so():
    resident = make_resident(pin=None)
    fund(resident, 1_000)
    refused(pay(client_for(resident), shop_account()), "pin_not_set", 422)
    assert not Payment.objects.exists()


def test_a_closed_payee_is_unavailable():
    resident = make_resident()
    fund(resident, 1_000)
    shop = shop_account()
    Account.objects.filter(pk=shop.pk).update(status=Account.Status.CLOSED)
    refused(pay(client_for(resident), shop, pin=PIN), "account_unavailable", 422)
    assert not Payment.objects.exists()


def test_a_capture_may_not_exceed_its_hold():
    payer = make_resident()
    fund(payer, 10_000)
    payee_user = make_resident(phone="+8613912345020", real_name="张三")
    held = payments.hold_create(
        payer=payer,
        payee=payments.wallet_account(payee_user),
        amount_minor=1_000,
        description="押金",
        pin=PIN,
    ).hold
    too_much = post(
        client_for(payee_user), "api-wallet-hold-capture", {"amount_minor": 1_001}, held.pk
    )
    refused(too_much, "capture_exceeds_hold", 422)
    held.refresh_from_db()
    assert held.captured_minor == 0


def test_a_transfer_to_oneself_is_refused():
    resident = make_resident(phone="+8613912345021")
    fund(resident, 1_000)
    body = {"phone": "13912345021", "amount_minor": 100, "note": "", "pin": PIN}
    refused(post(client_for(resident), "api-wallet-transfers", body), "self_transfer", 400)
    assert not JournalTransaction.objects.filter(kind=JournalTransaction.Kind.TRANSFER).exists()


def test_a_card_in_someone_elses_name_is_not_bound():
    resident = make_resident(real_name="王芳")
    bank_card = sandbox_card(balance=1_000)
    answer = client_for(resident).post(
        reverse("api-wallet-cards"),
        {
            "number": bank_card.number,
            "holder_name": "李四",
            "expiry_month": bank_card.expiry_month,
            "expiry_year": bank_card.expiry_year,
        },
        format="json",
    )
    refused(answer, "card_holder_mismatch", 422)
    assert not BankCard.objects.exists()


def test_a_blacklisted_card_cannot_top_up():
    resident = make_resident()
    card, _at_bank = bind_card(resident, balance=10_000)
    BankCard.objects.filter(pk=card.pk).update(status=BankCard.Status.BLACKLISTED)
    answer = post(
        client_for(resident), "api-wallet-topups", {"card_id": card.pk, "amount_minor": 500}
    )
    refused(answer, "card_unusable", 422)
    assert answer.json()["error"]["reason"] == "blacklisted"


def test_a_quote_needs_a_rate():
    resident = make_resident()
    answer = client_for(resident).post(
        reverse("api-wallet-fx-quotes"),
        {"sell_currency": "CNY", "buy_currency": "HKD", "sell_minor": 1_000},
        format="json",
    )
    refused(answer, "rate_not_available", 422)
    fx.rate_set(
        operator=UserFactory(is_staff=True),
        base="CNY",
        quote="HKD",
        mid_rate=Decimal("1.08"),
        spread_bps=50,
    )
    assert (
        client_for(resident)
        .post(
            reverse("api-wallet-fx-quotes"),
            {"sell_currency": "CNY", "buy_currency": "HKD", "sell_minor": 1_000},
            format="json",
        )
        .status_code
        == 201
    )


def test_an_unbalanced_correction_is_not_proposed():
    from allauth.mfa.totp.internal.auth import TOTP

    operator = UserFactory(is_staff=True)
    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    resident = make_resident()
    answer = client_for(operator).post(
        reverse("api-wallet-corrections"),
        {
            "legs": [
                {"account_id": payments.wallet_account(resident).pk, "amount_minor": 100},
                {"account_id": shop_account().pk, "amount_minor": -99},
            ],
            "reason": "差一分",
        },
        format="json",
    )
    refused(answer, "correction_unbalanced", 400)
    assert not CorrectionProposal.objects.exists()
