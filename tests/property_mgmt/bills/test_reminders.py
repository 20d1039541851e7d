"""Reminders: three days before the due date and once a bill is overdue, to every confirmed
member of the household, in each one's language, once per bill and kind."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Notification
from property_mgmt.models import Bill, BillEvent, Household
from property_mgmt.services import bills, reminders
from property_mgmt.tasks.late_fees import bill_reminders
from tests.property_mgmt.bills.conftest import make_bill, on_day, pay, set_policy
from tests.property_mgmt.conftest import make_household_member, unit_of

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 15)
MORNING = time(9, 0)


def inbox(user, kind: str | None = None) -> list[tuple[str, str, str]]:
    rows = Notification.objects.filter(user=user).order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("kind", "title", "body"))


def test_due_soon_reminds_each_confirmed_member_once_in_their_language(estate, unit):
    # Given a household of an English-speaking owner and a Chinese-speaking tenant, a member
    # still pending and one who moved out
    owner = make_household_member(unit, preferred_language="en")
    tenant = make_household_member(
        unit, relation=Household.Relation.TENANT, preferred_language="zh-hans"
    )
    pending = make_household_member(unit, relation=Household.Relation.FAMILY)
    Household.objects.filter(user=pending).update(status=Household.Status.PENDING)
    moved_out = make_household_member(unit, relation=Household.Relation.FAMILY)
    Household.objects.filter(user=moved_out).update(status=Household.Status.ENDED)
    bill = make_bill(unit, lines=[("property", 10_740)], due_date=DUE, title="March fees")

    # When the task runs four days before the due date, then three days before, twice
    with on_day(DUE - timedelta(4), MORNING):
        assert reminders.bill_reminders_send() == reminders.RemindersSent(0, 0)
    with on_day(DUE - timedelta(3), MORNING):
        first = reminders.bill_reminders_send()
        second = reminders.bill_reminders_send()

    # Then the confirmed members were reminded once each, in their own language
    assert (first, second) == (reminders.RemindersSent(1, 0), reminders.RemindersSent(0, 0))
    assert inbox(owner) == [
        ("bill_due_soon", "Your bill is due in 3 days: March fees", _body_en()),
    ]
    [(kind, title, body)] = inbox(tenant)
    assert kind == "bill_due_soon" and "3" in title and "March fees" in title
    # And each reminder opens the bill
    assert {n.url for n in Notification.objects.filter(kind="bill_due_soon")} == {
        f"/bills/{bill.pk}/"
    }
    # (the Chinese catalogue has no entry for the new strings yet; dates and amounts are
    # already in the tenant's own language)
    assert "¥107.40" in body and "2026年3月15日" in body
    assert inbox(pending) == [] and inbox(moved_out) == []
    # And the reminder is in the bill's history once
    assert list(bill.events.values_list("kind", flat=True)) == [BillEvent.Kind.REMINDED_DUE_SOON]


def _body_en() -> str:
    return "CN¥107.40 to pay by March 15, 2026. Pay it in Linli, or turn on auto-pay."


def test_a_bill_paid_before_the_window_is_not_reminded(estate, unit):
    member = make_household_member(unit)
    pay(make_bill(unit, due_date=DUE), member)

    with on_day(DUE - timedelta(2), MORNING):
        assert reminders.bill_reminders_send() == reminders.RemindersSent(0, 0)
    assert inbox(member, "bill_due_soon") == []


def test_overdue_reminds_on_the_day_the_bill_turns_overdue_and_once(estate, unit):
    set_policy(estate, grace_days=2)
    member = make_household_member(unit)
    bill = make_bill(unit, due_date=DUE, title="March fees")

    # When late fees and reminders run each day from the due date on
    for offset in range(0, 6):
        day = DUE + timedelta(offset)
        with on_day(day):
            bills.late_fees_accrue()
        with on_day(day, MORNING):
            bill_reminders.delay()
        overdue_notices = inbox(member, "bill_overdue")
        # Then nothing before the grace period ends, one notice on the 18th, none after
        assert len(overdue_notices) == (0 if day < date(2026, 3, 18) else 1), day

    assert overdue_notices[0][1] == "Your bill is overdue: March fees"
    assert bill.events.filter(kind=BillEvent.Kind.REMINDED_OVERDUE).count() == 1


def test_a_unit_without_confirmed_members_is_reminded_once_one_is_confirmed(estate, unit):
    bill = make_bill(unit, due_date=DUE)
    with on_day(DUE - timedelta(3), MORNING):
        assert reminders.bill_reminders_send() == reminders.RemindersSent(0, 0)
    assert not bill.events.exists()

    member = make_household_member(unit)
    with on_day(DUE - timedelta(2), MORNING):
        assert reminders.bill_reminders_send() == reminders.RemindersSent(1, 0)
    assert inbox(member)[0][1] == "Your bill is due in 2 days: 2026年3月物业费"


def test_only_the_households_own_members_are_reminded(estate):
    here, next_door = unit_of(estate, "1号楼", "101"), unit_of(estate, "1号楼", "102")
    member = make_household_member(here)
    neighbour = make_household_member(next_door)
    make_bill(here, due_date=DUE)

    with on_day(DUE, MORNING):
        reminders.bill_reminders_send()

    assert [kind for kind, _t, _b in inbox(member)] == ["bill_due_soon"]
    assert inbox(neighbour) == []


def test_queries_are_a_fixed_cost_plus_a_fixed_cost_per_reminded_bill(estate):
    def run(day: date) -> int:
        with on_day(day, MORNING), CaptureQueriesContext(connection) as queries:
            reminders.bill_reminders_send()
        return len(queries)

    units = list(estate.buildings.get(name="1号楼").units.all())
    for u in units:
        make_household_member(u)
    make_bill(units[0], due_date=DUE)
    one_bill = run(DUE - timedelta(3))
    for u in units[1:]:
        make_bill(u, due_date=DUE + timedelta(1), period=date(2026, 4, 1))
    three_bills = run(DUE - timedelta(2))

    # Reading the bills and members is a fixed cost; each reminded bill costs its own
    # transaction (lock, event, an inbox entry and an unread count per member), no more
    per_bill = (three_bills - one_bill) // 2
    assert three_bills - one_bill == 2 * per_bill
    assert one_bill - per_bill <= 4 and per_bill <= 6
    assert Bill.objects.filter(events__kind=BillEvent.Kind.REMINDED_DUE_SOON).count() == 4
