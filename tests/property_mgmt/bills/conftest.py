"""Fixtures for bills after issue: bills written directly (the billing run has its own
tests), a paid bill paid through the wallet, estate policies and a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from community.models import Neighbourhood, User
from property_mgmt.models import Bill, BillingPolicy, BillLine, Unit
from property_mgmt.services.collection import billing_policy, collection_account
from tests.property_mgmt.conftest import PIN, fund, unit_of
from wallet.services import payments

SHANGHAI = ZoneInfo("Asia/Shanghai")


@contextmanager
def on_day(day: date, at: time = time(0, 30)) -> Iterator[None]:
    """Freeze the clock at ``at`` on ``day``, Shanghai time (when the beat runs the task)."""
    with time_machine.travel(datetime.combine(day, at, tzinfo=SHANGHAI), tick=False):
        assert timezone.localdate() == day
        yield


def set_policy(
    estate: Neighbourhood,
    *,
    grace_days: int = 0,
    daily_rate: str = "0.0005",
    cap_rate: str = "0.1",
) -> BillingPolicy:
    policy = billing_policy(estate)
    policy.grace_days = grace_days
    policy.late_fee_daily_rate = Decimal(daily_rate)
    policy.late_fee_cap_rate = Decimal(cap_rate)
    policy.save()
    return policy


def make_bill(
    unit: Unit,
    *,
    lines: list[tuple[str, int]] | None = None,
    due_date: date = date(2026, 3, 15),
    period: date | None = date(2026, 3, 1),
    status: str = Bill.Status.OPEN,
    title: str = "2026年3月物业费",
) -> Bill:
    """A monthly bill of ``unit`` with ``lines`` as (kind, amount) and the total of them."""
    lines = lines if lines is not None else [(BillLine.Kind.PROPERTY, 100_000)]
    bill = Bill.objects.create(
        unit=unit,
        neighbourhood=unit.building.neighbourhood,
        kind=Bill.Kind.MONTHLY if period else Bill.Kind.ADHOC,
        period=period,
        title=title,
        status=status,
        total_minor=sum(amount for _kind, amount in lines),
        due_date=due_date,
    )
    BillLine.objects.bulk_create(
        BillLine(bill=bill, kind=kind, description=str(kind), amount_minor=amount)
        for kind, amount in lines
    )
    return bill


def pay(bill: Bill, payer: User) -> Bill:
    """Pay ``bill`` from ``payer``'s wallet to the company's collection account and mark it
    paid, as the paying service does (that service has its own tests)."""
    fund(payer, bill.total_minor)
    policy = billing_policy(bill.neighbourhood)
    payment = payments.payment_create(
        payer=payer,
        payee=collection_account(policy.company),
        amount_minor=bill.total_minor,
        description=bill.title,
        pin=PIN,
    ).payment
    Bill.objects.filter(pk=bill.pk).update(
        status=Bill.Status.PAID, payment=payment, paid_by=payer, paid_at=timezone.now()
    )
    bill.refresh_from_db()
    return bill


@pytest.fixture
def unit(estate) -> Unit:
    return unit_of(estate)
