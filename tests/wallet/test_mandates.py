"""A standing mandate (auto-pay) pays without the PIN, and nothing else is relaxed."""

import pytest
from django.db import transaction

from tests.wallet.conftest import PIN, balance_of, fund, make_resident, shop_account
from wallet.errors import DailyLimitExceeded, VerificationRequired, WalletFrozen
from wallet.services import payments
from wallet.services.accounts import wallet_account
from wallet.services.profile import limits_update, wallet_freeze

pytestmark = pytest.mark.django_db


def pay_by_mandate(payer, payee, amount_minor):
    authorisation = payments.authorise_mandated_debit(payer=payer, amount_minor=amount_minor)
    with transaction.atomic(durable=True):
        return payments.payment_post(
            payer=payer,
            payee=payee,
            amount_minor=amount_minor,
            description="auto-pay",
            authorisation=authorisation,
        )


def test_a_mandated_debit_pays_without_the_pin():
    resident, shop = make_resident(level=2), shop_account()
    fund(resident, 50_000)
    result = pay_by_mandate(resident, shop, 12_000)
    assert result.balance.balance_minor == 38_000
    assert balance_of(wallet_account(resident)) == 38_000


def test_a_frozen_wallet_refuses_a_mandate():
    resident, shop = make_resident(level=2), shop_account()
    fund(resident, 50_000)
    wallet_freeze(user=resident)
    with pytest.raises(WalletFrozen):
        pay_by_mandate(resident, shop, 100)


def test_an_unverified_payer_cannot_be_debited_by_mandate():
    resident, shop = make_resident(level=0), shop_account()
    fund(resident, 50_000)
    with pytest.raises(VerificationRequired):
        pay_by_mandate(resident, shop, 100)


def test_a_mandate_counts_against_the_daily_limit():
    resident, shop = make_resident(level=2), shop_account()
    fund(resident, 50_000)
    limits_update(user=resident, daily_limit_minor=10_000, pin=PIN)
    pay_by_mandate(resident, shop, 8_000)
    with pytest.raises(DailyLimitExceeded):
        pay_by_mandate(resident, shop, 3_000)
    assert balance_of(wallet_account(resident)) == 42_000
