"""Worked examples of the managers' reads: filters, arrears, collection rate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from property_mgmt import selectors_reports as reports
from property_mgmt.models import Building, Household
from tests.property_mgmt.conftest import make_household_member, unit_of
from tests.property_mgmt.reports.conftest import APRIL, MARCH, make_bill

pytestmark = pytest.mark.django_db

FEBRUARY = datetime.date(2026, 2, 1)


def ids(bills) -> set[int]:
    return {bill.pk for bill in bills}


def test_the_bill_list_filters_by_building_unit_status_month_and_due_range(estate, other_estate):
    # Given bills across two buildings, two months and three states, and another estate's
    march_101 = make_bill(unit_of(estate, "1号楼", "101"), period=MARCH)
    april_101 = make_bill(unit_of(estate, "1号楼", "101"), period=APRIL, status="overdue")
    march_102 = make_bill(unit_of(estate, "1号楼", "102"), period=MARCH, status="waived")
    april_b2 = make_bill(unit_of(estate, "2号楼", "101"), period=APRIL)
    make_bill(unit_of(other_estate, "1号楼", "101"), period=MARCH)
    building_1 = Building.objects.get(neighbourhood=estate, name="1号楼")

    def listed(**filters: object) -> set[int]:
        return ids(reports.estate_bills(estate, reports.BillFilter(**filters)))

    # Then each filter narrows the estate's bills, and none shows another estate's
    assert listed() == ids([march_101, april_101, march_102, april_b2])
    assert listed(building_id=building_1.pk) == ids([march_101, april_101, march_102])
    assert listed(unit_id=march_102.unit_id) == {march_102.pk}
    assert listed(unit_number="101") == ids([march_101, april_101, april_b2])
    assert listed(building_id=building_1.pk, unit_number="101") == ids([march_101, april_101])
    assert listed(status="overdue") == {april_101.pk}
    assert listed(period=datetime.date(2026, 4, 17)) == ids([april_101, april_b2])
    assert listed(due_from=datetime.date(2026, 4, 1)) == ids([april_101, april_b2])
    assert listed(due_to=datetime.date(2026, 3, 31)) == ids([march_101, march_102])
    assert listed(due_from=datetime.date(2026, 3, 15), due_to=datetime.date(2026, 3, 15)) == ids(
        [march_101, march_102]
    )


def test_the_bill_totals_split_what_is_paid_from_what_is_owed(estate, today):
    # Given one paid, one open, one overdue and one waived bill
    make_bill(unit_of(estate, "1号楼", "101"), total_minor=10_000, status="paid")
    make_bill(unit_of(estate, "1号楼", "102"), total_minor=20_000)
    make_bill(unit_of(estate, "2号楼", "101"), total_minor=5_000, status="overdue")
    make_bill(unit_of(estate, "2号楼", "102"), total_minor=7_000, status="waived")

    # When the manager totals the list
    totals = reports.bill_totals(reports.estate_bills(estate))

    # Then the waived bill is billed but neither paid nor owed
    assert totals == reports.BillTotals(
        count=4, total_minor=42_000, paid_minor=10_000, unpaid_minor=25_000
    )


def test_line_totals_are_summed_by_kind(estate):
    # Given a bill with two property lines, water and a late fee
    bill = make_bill(
        unit_of(estate),
        total_minor=13_050,
        lines=[("property", 8_950), ("property", 1_000), ("water", 2_600), ("late_fee", 500)],
    )

    # When the export annotates line totals
    annotated = reports.with_line_totals(reports.estate_bills(estate)).get(pk=bill.pk)

    # Then each kind carries its sum and the others zero
    assert annotated.line_property_minor == 9_950
    assert annotated.line_water_minor == 2_600
    assert annotated.line_late_fee_minor == 500
    assert annotated.line_parking_minor == 0


def test_arrears_are_the_unpaid_bills_past_due_with_days_overdue_as_of_today(estate, today):
    # Given (on 20 April) bills due 15 March, 19 April and today, and settled ones long overdue
    long_overdue = make_bill(
        unit_of(estate, "1号楼", "101"), total_minor=12_345, status="overdue"
    )  # due 15 March
    open_past_due = make_bill(
        unit_of(estate, "2号楼", "101"), period=APRIL, due_date=datetime.date(2026, 4, 19)
    )
    make_bill(unit_of(estate, "1号楼", "102"), period=APRIL, due_date=datetime.date(2026, 4, 20))
    make_bill(unit_of(estate, "1号楼", "201"), status="paid")
    make_bill(unit_of(estate, "1号楼", "202"), status="waived")
    make_bill(unit_of(estate, "2号楼", "102"), status="cancelled")

    # When the manager reads the arrears
    rows = reports.arrears_rows(reports.arrears_bills(estate, today), today)
    summary = reports.arrears_by_building(estate, today)

    # Then the two past-due unpaid bills show, longest overdue first, with what is owed
    assert [(row.bill.pk, row.days_overdue, row.owed_minor) for row in rows] == [
        (long_overdue.pk, 36, 12_345),
        (open_past_due.pk, 1, 10_000),
    ]
    assert [(b.name, b.bills, b.owed_minor) for b in summary.buildings] == [
        ("1号楼", 1, 12_345),
        ("2号楼", 1, 10_000),
    ]
    assert (summary.bills, summary.owed_minor) == (2, 22_345)


def test_arrears_name_confirmed_household_members_with_masked_mobiles(estate, today):
    # Given a unit with a tenant and then an owner confirmed, one waiting and one moved out
    unit = unit_of(estate)
    make_household_member(
        unit, relation=Household.Relation.TENANT, display_name="李娜", phone="+8613700001111"
    )
    owner = make_household_member(unit, display_name="张伟", phone="+8613912345678")
    Household.objects.create(unit=unit, phone="+8613600002222", name="王五", relation="family")
    Household.objects.create(
        unit=unit, phone="+8613600003333", name="赵六", relation="family", status="ended"
    )
    make_bill(unit, status="overdue")

    # When the manager reads the arrears
    [row] = reports.arrears_rows(reports.arrears_bills(estate, today), today)

    # Then only confirmed members show, the owner first, with the last four digits of their
    # mobile
    assert [(c.name, c.phone, c.relation) for c in row.contacts] == [
        ("张伟", "*******5678", "owner"),
        ("李娜", "*******1111", "tenant"),
    ]
    assert owner.phone not in {c.phone for c in row.contacts}


def test_collection_rate_by_month_and_building_leaves_out_waived_and_cancelled(
    estate, other_estate, today
):
    # Given in March: building 1 paid ¥100 and owes ¥50 (plus ¥30 waived and ¥20 cancelled),
    # building 2 paid ¥200; in April building 1 owes ¥80; a one-off bill due in February paid;
    # a bill 13 months back and another estate's bill
    b1 = [unit_of(estate, "1号楼", n) for n in ("101", "102", "201", "202")]
    b2 = unit_of(estate, "2号楼", "101")
    make_bill(b1[0], total_minor=10_000, status="paid")
    make_bill(b1[1], total_minor=5_000, status="overdue")
    make_bill(b1[2], total_minor=3_000, status="waived")
    make_bill(b1[3], total_minor=2_000, status="cancelled")
    make_bill(b2, total_minor=20_000, status="paid")
    make_bill(b1[0], period=APRIL, total_minor=8_000)
    make_bill(
        b2,
        kind="adhoc",
        period=None,
        due_date=datetime.date(2026, 2, 10),
        total_minor=1_500,
        status="paid",
        title="门禁卡",
    )
    make_bill(b2, period=datetime.date(2025, 3, 1), total_minor=99_900)
    make_bill(unit_of(other_estate), total_minor=50_000, status="paid")

    # When the manager reads the collection rate
    report = reports.collection_report(estate, today=today)

    # Then there are twelve months from May 2025 to April 2026, each building in each
    months = [m.month for m in report.months]
    assert (len(months), months[0], months[-1]) == (12, datetime.date(2025, 5, 1), APRIL)
    assert [b.name for b in report.buildings] == ["1号楼", "2号楼"]
    by_month = {m.month: m for m in report.months}

    march = by_month[MARCH]
    assert [(c.billed_minor, c.paid_minor) for c in march.by_building] == [
        (15_000, 10_000),
        (20_000, 20_000),
    ]
    assert [c.percent for c in march.by_building] == [Decimal("66.7"), Decimal("100.0")]
    assert (march.total.billed_minor, march.total.paid_minor) == (35_000, 30_000)
    assert march.total.percent == Decimal("85.7")

    april = by_month[APRIL]
    assert [c.percent for c in april.by_building] == [Decimal("0.0"), None]
    assert by_month[FEBRUARY].total.percent == Decimal("100.0")
    assert by_month[datetime.date(2025, 6, 1)].total.rate is None

    assert [(c.billed_minor, c.paid_minor) for c in report.building_totals] == [
        (23_000, 10_000),
        (21_500, 21_500),
    ]
    assert (report.total.billed_minor, report.total.paid_minor) == (44_500, 31_500)
    assert report.total.percent == Decimal("70.8")  # 31 500 / 44 500 = 70.786…


def test_a_rate_is_rounded_half_up_only_when_shown():
    # 1 / 8 = 12.5 %; 1 / 1600 = 0.0625 % shows as 0.1
    assert reports.Collection(billed_minor=8, paid_minor=1).percent == Decimal("12.5")
    assert reports.Collection(billed_minor=1600, paid_minor=1).percent == Decimal("0.1")
    assert reports.Collection(billed_minor=3, paid_minor=2).rate == Decimal(2) / Decimal(3)
