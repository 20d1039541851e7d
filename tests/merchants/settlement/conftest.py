"""Fixtures of the shop settlement tests: approved shops whose owners chose a settlement
card the sandbox bank knows, their payout profiles, a resident who pays, and times in the
shop's business days (Asia/Shanghai)."""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import date, datetime
from typing import Any

import pytest
import time_machine

from merchants.models import Shop
from merchants.services.accounts import shop_account
from merchants.services.settlement import shop_payout_register
from tests.merchants.conftest import PIN, fund, make_cashier, make_member, make_shop
from wallet.gateways import get_gateway
from wallet.models import BankCard, SandboxCard
from wallet.services import payments
from wallet.services.settlement import settle_due

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 2)
# Luhn-valid numbers for the shops' cards at the sandbox bank.
_numbers = itertools.cycle(["6222020200000000014", "6222020200000000022", "6222020200000000030"])


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def give_settlement_card(shop: Shop) -> SandboxCard:
    """The owner's card at the sandbox bank, tokenised and chosen for settlement."""
    bank_card, shop.settlement_card = bind_card(shop.owner)
    shop.save(update_fields=["settlement_card"])
    shop_payout_register(shop)
    return bank_card


def bind_card(owner: Any) -> tuple[SandboxCard, BankCard]:
    """A card of ``owner`` at the sandbox bank, and the wallet's token of it."""
    number = next(_numbers)
    holder = owner.real_name or str(owner)
    bank_card = SandboxCard.objects.create(
        bank_name="中国工商银行",
        number=number,
        holder_name=holder,
        expiry_month=12,
        expiry_year=DAY.year + 4,
        balance_minor=0,
    )
    details = get_gateway().tokenize(
        number=number, holder_name=holder, expiry_month=12, expiry_year=DAY.year + 4
    )
    return bank_card, BankCard.objects.create(
        owner=owner,
        bank_name=details.bank_name,
        last4=details.last4,
        expiry_month=details.expiry_month,
        expiry_year=details.expiry_year,
        holder_name=details.holder_name,
        token=details.token,
    )


def pay(resident: Any, shop: Shop, amount: int, when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        return payments.payment_create(
            payer=resident, payee=shop_account(shop), amount_minor=amount, description="x", pin=PIN
        ).payment


def settle(when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        return settle_due()


@pytest.fixture
def card(shop) -> SandboxCard:
    return give_settlement_card(shop)


@pytest.fixture
def other_card(other_shop) -> SandboxCard:
    return give_settlement_card(other_shop)


@pytest.fixture
def cashier(shop):
    return make_cashier(shop)


@pytest.fixture
def resident(estate):
    user = make_member(estate, level=2)
    fund(user, 1_000_000)
    return user


__all__ = ["DAY", "at", "make_shop", "pay", "settle"]
