"""A manager's changes to an issued bill: adjustments, waivers, cancellations and one-off
bills, each audited with its actor and reason, refused once the bill is settled."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.errors import NotFound
from property_mgmt.errors import (
    AdhocBillInvalid,
    BillAdjustmentInvalid,
    BillNotChangeable,
    BillReasonMissing,
    BillTotalBelowZero,
)
from property_mgmt.models import Bill, BillEvent, BillLine
from property_mgmt.services import bills
from tests.property_mgmt.bills.conftest import make_bill, on_day, pay, set_policy
from tests.property_mgmt.conftest import make_household_member, make_manager, unit_of

pytestmark = pytest.mark.django_db


def history(bill: Bill) -> list[tuple[str, int, str, int | None]]:
    return list(bill.events.values_list("kind", "amount_minor", "reason", "actor_id"))


def test_an_adjustment_adds_a_line_changes_the_total_and_is_audited(manager, unit):
    bill = make_bill(unit, lines=[(BillLine.Kind.PROPERTY, 10_740)])

    # When the manager takes ¥20.00 off for a wrong floor area, then adds ¥5.50 for a key card
    bills.bill_adjust(manager=manager, bill=bill, amount_minor=-2_000, reason="面积更正")
    adjusted = bills.bill_adjust(manager=manager, bill=bill, amount_minor=550, reason="门禁卡")

    # Then the bill has two adjustment lines and the total of all its lines
    assert adjusted.total_minor == 10_740 - 2_000 + 550
    assert list(
        bill.lines.filter(kind=BillLine.Kind.ADJUSTMENT).values_list("amount_minor", "description")
    ) == [(-2_000, "面积更正"), (550, "门禁卡")]
    bill.refresh_from_db()
    assert bill.total_minor == 9_290 and bill.status == Bill.Status.OPEN
    # And each change is in the history with who did it and why
    assert history(bill) == [
        (BillEvent.Kind.ADJUSTED, -2_000, "面积更正", manager.pk),
        (BillEvent.Kind.ADJUSTED, 550, "门禁卡", manager.pk),
    ]


def test_an_adjustment_never_takes_the_total_below_zero(manager, unit):
    bill = make_bill(unit, lines=[(BillLine.Kind.PROPERTY, 10_000)])

    with pytest.raises(BillTotalBelowZero):
        bills.bill_adjust(manager=manager, bill=bill, amount_minor=-10_001, reason="多收")
    # To exactly zero is allowed
    assert (
        bills.bill_adjust(
            manager=manager, bill=bill, amount_minor=-10_000, reason="全免物业费"
        ).total_minor
        == 0
    )

    assert list(bill.events.values_list("kind", flat=True)) == [BillEvent.Kind.ADJUSTED]


@pytest.mark.parametrize(
    ("amount", "reason", "error"),
    [(0, "无", BillAdjustmentInvalid), (100, "   ", BillReasonMissing)],
)
def test_an_adjustment_needs_an_amount_and_a_reason(manager, unit, amount, reason, error):
    bill = make_bill(unit)
    with pytest.raises(error):
        bills.bill_adjust(manager=manager, bill=bill, amount_minor=amount, reason=reason)
    assert not bill.events.exists() and bill.lines.count() == 1


def test_a_waiver_is_audited_and_stops_late_fees(estate, manager, unit):
    set_policy(estate, grace_days=0, daily_rate="0.01")
    bill = make_bill(unit, due_date=date(2026, 3, 15))
    with on_day(date(2026, 3, 16)):
        bills.late_fees_accrue()
    bill.refresh_from_db()

    # When the manager waives the overdue bill
    waived = bills.bill_waive(manager=manager, bill=bill, reason="孤寡老人减免")

    # Then it is waived, its history says by whom, why and how much was forgiven
    assert waived.status == Bill.Status.WAIVED
    assert history(bill)[-1] == (BillEvent.Kind.WAIVED, 101_000, "孤寡老人减免", manager.pk)
    # And no more late fees accrue on it
    with on_day(date(2026, 3, 17)):
        assert bills.late_fees_accrue() == bills.LateFeeResult(0, 0)
    # And a second waiver is refused, not recorded twice
    with pytest.raises(BillNotChangeable):
        bills.bill_waive(manager=manager, bill=bill, reason="again")
    assert bill.events.filter(kind=BillEvent.Kind.WAIVED).count() == 1


def test_a_paid_bill_cannot_be_waived_cancelled_or_adjusted(manager, unit):
    bill = pay(make_bill(unit), make_household_member(unit))

    with pytest.raises(BillNotChangeable):
        bills.bill_waive(manager=manager, bill=bill, reason="想免")
    with pytest.raises(BillNotChangeable):
        bills.bill_cancel(manager=manager, bill=bill, reason="想撤")
    with pytest.raises(BillNotChangeable):
        bills.bill_adjust(manager=manager, bill=bill, amount_minor=-100, reason="想减")

    bill.refresh_from_db()
    assert (bill.status, bill.total_minor, history(bill)) == (Bill.Status.PAID, 100_000, [])


def test_the_status_is_read_under_the_lock_not_from_the_callers_copy(manager, unit):
    # Given a manager holding a page of a bill that a resident has since paid
    stale = make_bill(unit)
    pay(Bill.objects.get(pk=stale.pk), make_household_member(unit))
    assert stale.status == Bill.Status.OPEN

    # Then waiving from the stale copy is refused
    with pytest.raises(BillNotChangeable):
        bills.bill_waive(manager=manager, bill=stale, reason="过期页面")


def test_a_cancellation_is_audited(manager, unit):
    bill = make_bill(unit)

    cancelled = bills.bill_cancel(manager=manager, bill=bill, reason="重复开单")

    assert cancelled.status == Bill.Status.CANCELLED
    assert history(bill) == [(BillEvent.Kind.CANCELLED, 100_000, "重复开单", manager.pk)]
    with pytest.raises(BillNotChangeable):
        bills.bill_waive(manager=manager, bill=bill, reason="then waive")


def test_a_manager_of_another_estate_cannot_change_the_bill(estate, other_estate, unit):
    outsider = make_manager(other_estate)
    bill = make_bill(unit)

    for change in (
        lambda: bills.bill_waive(manager=outsider, bill=bill, reason="x"),
        lambda: bills.bill_cancel(manager=outsider, bill=bill, reason="x"),
        lambda: bills.bill_adjust(manager=outsider, bill=bill, amount_minor=-1, reason="x"),
        lambda: bills.bill_create_adhoc(
            manager=outsider,
            unit=unit,
            title="x",
            lines=[("x", 1)],
            due_date=timezone.localdate(),
        ),
    ):
        with pytest.raises(NotFound):
            change()
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN and not bill.events.exists()
    assert Bill.objects.count() == 1


def test_an_adhoc_bill(manager, unit):
    due = timezone.localdate() + timedelta(days=10)

    bill = bills.bill_create_adhoc(
        manager=manager,
        unit=unit,
        title="电梯维修分摊",
        lines=[("电梯维修", 30_000), ("公共照明", 1_250)],
        due_date=due,
    )

    bill.refresh_from_db()
    assert (bill.kind, bill.status, bill.period, bill.total_minor, bill.due_date) == (
        Bill.Kind.ADHOC,
        Bill.Status.OPEN,
        None,
        31_250,
        due,
    )
    assert bill.neighbourhood_id == unit.building.neighbourhood_id
    assert list(bill.lines.values_list("kind", "description", "amount_minor")) == [
        (BillLine.Kind.ONE_OFF, "电梯维修", 30_000),
        (BillLine.Kind.ONE_OFF, "公共照明", 1_250),
    ]
    assert history(bill) == [(BillEvent.Kind.ISSUED, 31_250, "", manager.pk)]


def test_several_adhoc_bills_for_one_unit_and_month_are_allowed(manager, unit):
    # The one-monthly-bill constraint is only for monthly bills
    make_bill(unit)
    for title in ("钥匙", "装修押金"):
        bills.bill_create_adhoc(
            manager=manager,
            unit=unit,
            title=title,
            lines=[(title, 5_000)],
            due_date=timezone.localdate(),
        )
    assert Bill.objects.filter(unit=unit).count() == 3


@pytest.mark.parametrize(
    ("title", "lines", "days"),
    [
        ("", [("x", 100)], 1),
        ("门禁卡", [], 1),
        ("门禁卡", [("x", 0)], 1),
        ("门禁卡", [("x", -100)], 1),
        ("门禁卡", [(" ", 100)], 1),
        ("门禁卡", [("x", 100)], -1),
        ("门禁卡", [("x", 100)] * 21, 1),
    ],
)
def test_an_adhoc_bill_is_refused_when_incomplete(manager, unit, title, lines, days):
    with pytest.raises(AdhocBillInvalid):
        bills.bill_create_adhoc(
            manager=manager,
            unit=unit,
            title=title,
            lines=lines,
            due_date=timezone.localdate() + timedelta(days=days),
        )
    assert not Bill.objects.exists()


def test_the_estate_bill_read_is_scoped_to_the_estate(estate, other_estate):
    theirs = make_bill(unit_of(other_estate))
    with pytest.raises(NotFound):
        bills.estate_bill(neighbourhood_id=estate.pk, bill_id=theirs.pk)
    assert bills.estate_bill(neighbourhood_id=other_estate.pk, bill_id=theirs.pk) == theirs
