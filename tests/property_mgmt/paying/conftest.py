"""Fixtures for residents paying: a family of two confirmed in 1号楼-101 with money in
their wallets, a neighbour in 102, and bills written directly (the billing run has its
own tests)."""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest

from community.models import Neighbourhood, User
from property_mgmt.models import Bill, BillLine, PropertyCompany, Unit
from property_mgmt.services.collection import collection_account
from tests.property_mgmt.conftest import PIN, fund, make_household_member, unit_of
from wallet.services import ledger
from wallet.services.accounts import wallet_account

__all__ = ["PIN", "balance", "collected", "make_bill"]

_periods = count()


def make_bill(
    unit: Unit,
    total_minor: int,
    *,
    due: date = date(2026, 3, 15),
    status: str = Bill.Status.OPEN,
    title: str = "",
) -> Bill:
    """An issued monthly bill of ``unit`` with a property-fee line (and a water line when
    the total allows), its own month so that one unit may have several."""
    n = next(_periods)
    period = date(2000 + n // 12, n % 12 + 1, 1)
    bill = Bill.objects.create(
        unit=unit,
        neighbourhood=unit.building.neighbourhood,
        period=period,
        title=title or f"{due:%Y年%m月}物业费 #{n}",
        status=status,
        total_minor=total_minor,
        due_date=due,
    )
    water = min(30_00, total_minor // 4)
    BillLine.objects.create(
        bill=bill,
        kind=BillLine.Kind.PROPERTY,
        description="物业费",
        amount_minor=total_minor - water,
    )
    if water:
        BillLine.objects.create(
            bill=bill, kind=BillLine.Kind.WATER, description="水费", amount_minor=water
        )
    return bill


def balance(user: User) -> int:
    return ledger.account_balance(wallet_account(user)).balance_minor


def collected(estate: Neighbourhood) -> int:
    company = PropertyCompany.objects.get(neighbourhoods=estate)
    return ledger.account_balance(collection_account(company)).balance_minor


@pytest.fixture
def flat(estate) -> Unit:
    return unit_of(estate, "1号楼", "101")


@pytest.fixture
def wang(flat) -> User:
    """王芳 owns 1号楼-101; ¥1,000.00 in her wallet."""
    user = make_household_member(flat, real_name="王芳")
    fund(user, 1_000_00)
    return user


@pytest.fixture
def li(flat) -> User:
    """李雷, her husband, lives there too; ¥500.00."""
    user = make_household_member(flat, relation="family", real_name="李雷")
    fund(user, 500_00)
    return user


@pytest.fixture
def neighbour(estate) -> User:
    """张伟 lives next door in 1号楼-102."""
    user = make_household_member(unit_of(estate, "1号楼", "102"), real_name="张伟")
    fund(user, 500_00)
    return user
