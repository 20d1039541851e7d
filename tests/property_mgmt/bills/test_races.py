"""Bills after issue under real concurrency: threads on PostgreSQL.

SQLite serialises every writer, so these races only exist on PostgreSQL; without it the
tests skip (and fail under CI).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from core.models import Notification
from property_mgmt.models import Bill, BillEvent, BillLine
from property_mgmt.services import bills, reminders
from tests.concurrency.conftest import run_together
from tests.property_mgmt.bills.conftest import make_bill, set_policy
from tests.property_mgmt.conftest import make_household_member, unit_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DUE = date(2026, 3, 15)


def codes(outcomes) -> Counter[str]:
    return Counter(
        "ok" if o.error is None else getattr(o.error, "code", repr(o.error)) for o in outcomes
    )


def test_two_late_fee_runs_at_once_charge_the_day_once(estate):
    set_policy(estate, grace_days=0, daily_rate="0.01")
    units = list(estate.buildings.get(name="1号楼").units.all())
    bill_ids = [make_bill(u, due_date=DUE).pk for u in units]

    outcomes = run_together(
        [lambda: bills.late_fees_accrue(today=DUE + timedelta(1)) for _ in range(3)]
    )

    assert codes(outcomes) == Counter({"ok": 3})
    assert sum(o.value.became_overdue for o in outcomes) == len(bill_ids)
    for bill in Bill.objects.filter(pk__in=bill_ids):
        assert bill.status == Bill.Status.OVERDUE
        assert bill.total_minor == 101_000
        assert bill.lines.filter(kind=BillLine.Kind.LATE_FEE).count() == 1
        assert bill.events.filter(kind=BillEvent.Kind.OVERDUE).count() == 1


def test_waive_and_cancel_at_once_exactly_one_wins(estate, manager):
    bill = make_bill(unit_of(estate))

    outcomes = run_together(
        [
            lambda: bills.bill_waive(manager=manager, bill=bill, reason="减免"),
            lambda: bills.bill_cancel(manager=manager, bill=bill, reason="撤销"),
        ]
    )

    assert codes(outcomes) == Counter({"ok": 1, "bill_not_changeable": 1})
    bill.refresh_from_db()
    assert bill.status in (Bill.Status.WAIVED, Bill.Status.CANCELLED)
    assert bill.events.count() == 1


def test_adjustments_and_late_fees_at_once_keep_the_total_the_sum_of_lines(estate, manager):
    set_policy(estate, grace_days=0, daily_rate="0.01")
    bill = make_bill(unit_of(estate), due_date=DUE)

    outcomes = run_together(
        [
            lambda: bills.late_fees_accrue(today=DUE + timedelta(1)),
            lambda: bills.bill_adjust(manager=manager, bill=bill, amount_minor=-500, reason="a"),
            lambda: bills.bill_adjust(manager=manager, bill=bill, amount_minor=-700, reason="b"),
        ]
    )

    assert codes(outcomes) == Counter({"ok": 3})
    bill.refresh_from_db()
    assert bill.total_minor == sum(bill.lines.values_list("amount_minor", flat=True))
    assert bill.lines.count() == 4


def test_two_reminder_runs_at_once_remind_each_member_once(estate):
    unit = unit_of(estate)
    members = [make_household_member(unit) for _ in range(2)]
    make_bill(unit, due_date=DUE)

    outcomes = run_together(
        [lambda: reminders.bill_reminders_send(today=DUE - timedelta(3)) for _ in range(3)]
    )

    assert codes(outcomes) == Counter({"ok": 3})
    assert sum(o.value.due_soon for o in outcomes) == 1
    for member in members:
        assert Notification.objects.filter(user=member, kind="bill_due_soon").count() == 1
