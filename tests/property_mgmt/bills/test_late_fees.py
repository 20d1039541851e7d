"""Late fees, worked: a bill due on 15 March with three grace days, charged day by day with
the clock frozen, up to its cap; a second run on the same day adds nothing."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from property_mgmt.models import Bill, BillEvent, BillLine
from property_mgmt.services import bills
from property_mgmt.tasks.late_fees import late_fees
from tests.property_mgmt.bills.conftest import make_bill, on_day, pay, set_policy
from tests.property_mgmt.conftest import make_household_member, unit_of

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 15)


def late_lines(bill: Bill) -> list[tuple[date, int]]:
    return list(
        BillLine.objects.filter(bill=bill, kind=BillLine.Kind.LATE_FEE)
        .order_by("accrued_on")
        .values_list("accrued_on", "amount_minor")
    )


def test_worked_example_grace_daily_fees_and_the_cap(estate, unit):
    # Given an estate charging 0.45% a day after three grace days, at most 2% in all,
    # and a bill of ¥1,234.56 (property ¥1,000.00 + parking ¥234.56) due on 15 March
    set_policy(estate, grace_days=3, daily_rate="0.0045", cap_rate="0.02")
    bill = make_bill(
        unit,
        lines=[(BillLine.Kind.PROPERTY, 100_000), (BillLine.Kind.PARKING, 23_456)],
        due_date=DUE,
    )
    # 123456 fen × 0.0045 = 555.552 → 556 fen a day (half up, once per line);
    # the cap 123456 × 0.02 = 2469.12 → 2469 fen (rounded down: never above the cap).

    # When the task runs on the due date and the three grace days
    for day in (DUE, DUE + timedelta(1), DUE + timedelta(2), DUE + timedelta(3)):
        with on_day(day):
            bills.late_fees_accrue()
    # Then nothing is charged and the bill is still open (grace is not charged later either)
    bill.refresh_from_db()
    assert (bill.status, bill.total_minor, late_lines(bill)) == ("open", 123_456, [])

    # When it runs on 19 March, the first day after the grace period
    with on_day(date(2026, 3, 19)):
        result = bills.late_fees_accrue()
    # Then the bill is overdue with one day's fee
    assert result == bills.LateFeeResult(became_overdue=1, lines_added=1)
    bill.refresh_from_db()
    assert (bill.status, bill.total_minor) == ("overdue", 123_456 + 556)
    assert late_lines(bill) == [(date(2026, 3, 19), 556)]

    # When it runs again the same day (a retry, a second beat)
    with on_day(date(2026, 3, 19), at=time(23, 59)):
        again = bills.late_fees_accrue()
    # Then nothing more is added
    assert again == bills.LateFeeResult(became_overdue=0, lines_added=0)
    bill.refresh_from_db()
    assert bill.total_minor == 123_456 + 556

    # When it runs each day to the 25th
    for day in range(20, 26):
        with on_day(date(2026, 3, day)):
            bills.late_fees_accrue()
    # Then 20–22 March add 556 each, the 23rd takes only what the cap leaves (245),
    # and later days add nothing
    assert late_lines(bill) == [
        (date(2026, 3, 19), 556),
        (date(2026, 3, 20), 556),
        (date(2026, 3, 21), 556),
        (date(2026, 3, 22), 556),
        (date(2026, 3, 23), 245),
    ]
    bill.refresh_from_db()
    assert bill.total_minor == 123_456 + 2469
    assert bill.total_minor == sum(bill.lines.values_list("amount_minor", flat=True))
    # And it became overdue once
    assert list(bill.events.values_list("kind", flat=True)) == [BillEvent.Kind.OVERDUE]


@pytest.mark.parametrize(
    ("principal", "rate", "accrued", "cap", "expected"),
    [
        (10_100, "0.005", 0, "0.1", 51),  # 50.5 → 51: half up, not half even
        (10_000, "0.00004", 0, "0.1", 0),  # 0.4 → 0: a day worth less than half a fen
        (123_456, "0.0045", 2224, "0.02", 245),  # the last day takes what is left
        (123_456, "0.0045", 2469, "0.02", 0),  # the cap is reached
        (0, "0.0045", 0, "0.02", 0),  # nothing owed, nothing charged
        (-500, "0.0045", 0, "0.02", 0),  # adjusted below zero principal
    ],
)
def test_one_days_fee(principal, rate, accrued, cap, expected):
    assert (
        bills.late_fee_for_day(
            principal_minor=principal,
            accrued_minor=accrued,
            daily_rate=Decimal(rate),
            cap_rate=Decimal(cap),
        )
        == expected
    )


def test_the_principal_excludes_late_fees_and_includes_adjustments(estate, unit):
    # Given a ¥1,000.00 bill already one day late at 1% a day, then reduced by ¥200.00
    set_policy(estate, grace_days=0, daily_rate="0.01", cap_rate="0.5")
    bill = make_bill(unit, due_date=DUE)
    with on_day(DUE + timedelta(1)):
        bills.late_fees_accrue()
    BillLine.objects.create(
        bill=bill, kind=BillLine.Kind.ADJUSTMENT, description="面积更正", amount_minor=-20_000
    )

    # When the next day is charged
    with on_day(DUE + timedelta(2)):
        bills.late_fees_accrue()

    # Then the second fee is 1% of ¥800.00, not of ¥1,000.00 plus the first fee
    assert [amount for _day, amount in late_lines(bill)] == [1_000, 800]


def test_paid_waived_cancelled_and_empty_bills_accrue_nothing(estate):
    set_policy(estate, grace_days=0, daily_rate="0.01")
    units = [unit_of(estate, "1号楼", n) for n in ("101", "102", "201", "202")]
    paid = pay(make_bill(units[0], due_date=DUE), make_household_member(units[0]))
    waived = make_bill(units[1], due_date=DUE, status=Bill.Status.WAIVED)
    cancelled = make_bill(units[2], due_date=DUE, status=Bill.Status.CANCELLED)
    empty = make_bill(units[3], due_date=DUE, lines=[])

    with on_day(DUE + timedelta(1)):
        result = bills.late_fees_accrue()

    assert result == bills.LateFeeResult(0, 0)
    for bill in (paid, waived, cancelled, empty):
        before = bill.status
        bill.refresh_from_db()
        assert (bill.status, late_lines(bill)) == (before, [])


def test_each_estate_its_own_policy(estate, other_estate):
    # Given two estates: one with no grace and 1% a day, one with 5 grace days and 0.5%
    set_policy(estate, grace_days=0, daily_rate="0.01")
    set_policy(other_estate, grace_days=5, daily_rate="0.005")
    here = make_bill(unit_of(estate), due_date=DUE)
    there = make_bill(unit_of(other_estate), due_date=DUE)

    # When the task runs on the 16th and on the 21st
    with on_day(DUE + timedelta(1)):
        late_fees.delay()
    with on_day(DUE + timedelta(6)):
        late_fees.delay()

    # Then the first estate charged both days, the second only the 21st
    assert late_lines(here) == [(date(2026, 3, 16), 1_000), (date(2026, 3, 21), 1_000)]
    assert late_lines(there) == [(date(2026, 3, 21), 500)]


def test_an_estate_without_a_policy_gets_its_companys_default(estate, unit):
    # Given no policy yet: the default is no grace, 0.05% a day, capped at 10%
    bill = make_bill(unit, due_date=DUE, lines=[(BillLine.Kind.PROPERTY, 100_000)])

    with on_day(DUE + timedelta(1)):
        bills.late_fees_accrue()

    assert late_lines(bill) == [(date(2026, 3, 16), 50)]


def test_the_task_can_charge_a_missed_day_explicitly(estate, unit):
    set_policy(estate, grace_days=0, daily_rate="0.01")
    bill = make_bill(unit, due_date=DUE)

    with on_day(DUE + timedelta(3)):
        assert late_fees("2026-03-17") == {"became_overdue": 1, "lines_added": 1}
        assert late_fees() == {"became_overdue": 0, "lines_added": 1}

    assert late_lines(bill) == [(date(2026, 3, 17), 1_000), (date(2026, 3, 18), 1_000)]


def test_queries_do_not_grow_with_the_number_of_bills(
    estate, other_estate, django_assert_max_num_queries
):
    set_policy(estate, grace_days=0, daily_rate="0.01")
    set_policy(other_estate, grace_days=2, daily_rate="0.01")

    def accrue_for(count: int, day: date) -> int:
        with on_day(day), CaptureQueriesContext(connection) as queries:
            result = bills.late_fees_accrue()
        assert result.lines_added == count
        return len(queries)

    # Given two bills in each estate, then ten in each
    few = [
        make_bill(unit, due_date=DUE)
        for e in (estate, other_estate)
        for unit in [unit_of(e, "1号楼", "101")]
    ]
    few_queries = accrue_for(len(few), DUE + timedelta(3))
    for e in (estate, other_estate):
        for unit in e.buildings.get(name="2号楼").units.all():
            for month in (1, 2):
                make_bill(unit, due_date=DUE - timedelta(31 * month), period=date(2026, month, 1))
    many_queries = accrue_for(2 + 16, DUE + timedelta(4))

    # Then the task issues the same number of queries for 18 bills as for 2
    assert many_queries == few_queries
    with django_assert_max_num_queries(12), on_day(DUE + timedelta(5)):
        bills.late_fees_accrue()
