"""Bills for the report tests, written directly with the ORM.

The billing run and paying services have their own tests; here a bill is whatever state a
report must read, and a paid bill is settled by a real wallet payment from a funded
household member to the company's collection account, so the ledger check still holds.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Neighbourhood, User
from property_mgmt.models import Bill, BillLine, Unit
from property_mgmt.services.collection import billing_policy, collection_account
from tests.property_mgmt.conftest import PIN, fund, make_household_member
from wallet.services.payments import payment_create

MARCH = datetime.date(2026, 3, 1)
APRIL = datetime.date(2026, 4, 1)
# 01:00 in Shanghai is still the day before in UTC: the reports must use the local date.
TODAY = datetime.datetime(2026, 4, 20, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def make_bill(
    unit: Unit,
    *,
    total_minor: int = 10_000,
    period: datetime.date | None = MARCH,
    due_date: datetime.date | None = None,
    status: str = Bill.Status.OPEN,
    title: str = "物业费",
    kind: str = Bill.Kind.MONTHLY,
    lines: Sequence[tuple[str, int]] | None = None,
    payer: User | None = None,
) -> Bill:
    """A bill of ``unit`` with ``lines`` (kind, fen; default one property-fee line of the
    total). ``status="paid"`` pays it from ``payer`` (a new funded household member by
    default) through the wallet."""
    if due_date is None:
        due_date = (period or MARCH).replace(day=15)
    bill = Bill.objects.create(
        unit=unit,
        neighbourhood=unit.building.neighbourhood,
        kind=kind,
        period=period,
        title=title,
        status=Bill.Status.OPEN if status == Bill.Status.PAID else status,
        total_minor=total_minor,
        due_date=due_date,
    )
    BillLine.objects.bulk_create(
        BillLine(bill=bill, kind=line_kind, description=line_kind, amount_minor=amount)
        for line_kind, amount in (lines or [(BillLine.Kind.PROPERTY, total_minor)])
    )
    if status == Bill.Status.PAID:
        pay([bill], payer or make_household_member(unit))
        bill.refresh_from_db()
    return bill


def pay(bills: Sequence[Bill], payer: User) -> None:
    """Settle ``bills`` with one wallet payment, as a resident paying several at once does."""
    estate: Neighbourhood = bills[0].neighbourhood
    amount = sum(bill.total_minor for bill in bills)
    fund(payer, amount)
    result = payment_create(
        payer=payer,
        payee=collection_account(billing_policy(estate).company),
        amount_minor=amount,
        description="物业费",
        pin=PIN,
    )
    Bill.objects.filter(pk__in=[bill.pk for bill in bills]).update(
        status=Bill.Status.PAID, payment=result.payment, paid_by=payer, paid_at=timezone.now()
    )


def api_for(user: User) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def today() -> Iterator[datetime.date]:
    """The clock stopped at 01:00 on 20 April 2026 in Shanghai."""
    with time_machine.travel(TODAY, tick=False):
        yield TODAY.date()
