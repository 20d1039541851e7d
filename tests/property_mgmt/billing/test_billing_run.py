"""The monthly billing run: preview, approval, issue, idempotency, resumption and its
fixed number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse

from core.errors import NotFound
from core.models import Notification
from property_mgmt.errors import BillingRunAlreadyIssued
from property_mgmt.models import (
    Bill,
    BillEvent,
    BillingRun,
    BillLine,
    Building,
    FeeRate,
    Household,
    Unit,
)
from property_mgmt.services import billing
from property_mgmt.services import fees as fee_services
from property_mgmt.services.collection import billing_policy
from property_mgmt.tasks.billing import monthly_billing
from tests.property_mgmt.billing.conftest import (
    JUNE,
    add_units,
    occupy,
    queries_of,
    set_rate,
    standard_rates,
)
from tests.property_mgmt.conftest import make_manager, unit_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed_estate(estate, manager):
    """Four occupied units of eight, and the month's readings and a charge:

    * 1号楼-101 (89.50 m²): water 14 m³, electricity 200 kWh;
    * 1号楼-102 (120.00 m²): a ¥20.00 key card;
    * 2号楼-101 (89.50 m²) in building 2, which pays ¥3.00/m² from 16 June;
    * P-001, a parking space.
    1号楼-201 has a household member still waiting for confirmation: not occupied.
    """
    standard_rates(manager, estate)
    building_2 = Building.objects.get(neighbourhood=estate, name="2号楼")
    set_rate(
        manager,
        estate,
        FeeRate.Kind.PROPERTY,
        "3.00",
        effective_from=date(2026, 6, 16),
        building=building_2,
    )
    garage = Building.objects.create(neighbourhood=estate, name="车库", floors=1)
    space = Unit.objects.create(
        building=garage, number="P-001", area_m2=Decimal("12.50"), kind=Unit.Kind.PARKING
    )
    flat = unit_of(estate, "1号楼", "101")
    residents = {
        "wang": occupy(flat),
        "wang_family": occupy(flat, relation=Household.Relation.FAMILY),
        "li": occupy(unit_of(estate, "1号楼", "102")),
        "zhao": occupy(unit_of(estate, "2号楼", "101")),
        "chen": occupy(space),
    }
    Household.objects.create(
        unit=unit_of(estate, "1号楼", "201"), phone="+8613900000000", relation="owner"
    )
    for meter, may, june in (("water", "100", "114"), ("electricity", "1000", "1200")):
        for period, value in ((date(2026, 5, 1), may), (JUNE, june)):
            fee_services.reading_record(
                manager=manager, unit=flat, meter=meter, period=period, reading=Decimal(value)
            )
    fee_services.one_off_charge_add(
        manager=manager,
        unit=unit_of(estate, "1号楼", "102"),
        description="门禁卡",
        amount_minor=20_00,
        period=JUNE,
    )
    return residents


def issue(manager, estate, period=JUNE):
    run = billing.billing_preview(manager=manager, neighbourhood=estate, period=period).run
    return billing.billing_issue(run=run, approved_by=manager)


def bills_by_unit(estate):
    return {
        f"{bill.unit.building.name}-{bill.unit.number}": bill
        for bill in Bill.objects.filter(neighbourhood=estate).select_related("unit__building")
    }


def test_the_run_bills_only_occupied_units_with_their_lines_and_due_date(
    manager, estate, billed_estate
):
    # When the manager previews and approves June
    run = issue(manager, estate)

    # Then there is one bill per occupied unit, none for empty or unconfirmed ones
    bills = bills_by_unit(estate)
    assert sorted(bills) == ["1号楼-101", "1号楼-102", "2号楼-101", "车库-P-001"]
    lines = {
        unit: [(line.kind, line.amount_minor) for line in bill.lines.order_by("id")]
        for unit, bill in bills.items()
    }
    assert lines == {
        # 89.50 × 2.50; water 10 × 3.50 + 4 × 5.00; 200 kWh × 0.60
        "1号楼-101": [("property", 223_75), ("water", 55_00), ("electricity", 120_00)],
        # 120.00 × 2.50, and the key card
        "1号楼-102": [("property", 300_00), ("one_off", 20_00)],
        # 89.50 × (2.50 × 15 + 3.00 × 15) / 30 = 246.125, half up
        "2号楼-101": [("property", 246_13)],
        # one space, not the per-m² fee
        "车库-P-001": [("parking", 300_00)],
    }
    assert {unit: bill.total_minor for unit, bill in bills.items()} == {
        "1号楼-101": 398_75,
        "1号楼-102": 320_00,
        "2号楼-101": 246_13,
        "车库-P-001": 300_00,
    }
    # And every bill is open, monthly, of this run, due on the policy's 15th of June
    assert {(b.status, b.kind, b.period, b.due_date, b.run_id) for b in bills.values()} == {
        ("open", "monthly", JUNE, date(2026, 6, 15), run.pk)
    }
    assert (run.status, run.bill_count, run.total_minor) == ("issued", 4, 1264_88)
    assert run.approved_by == manager and run.issued_at is not None
    # And each bill has its ISSUED event with the manager as actor
    events = BillEvent.objects.filter(bill__neighbourhood=estate)
    assert sorted((e.kind, e.amount_minor, e.actor_id) for e in events) == sorted(
        ("issued", b.total_minor, manager.pk) for b in bills.values()
    )


def test_the_due_day_follows_the_estates_policy(manager, estate, billed_estate):
    policy = billing_policy(estate)
    policy.due_day = 25
    policy.save(update_fields=["due_day"])
    issue(manager, estate)
    assert set(Bill.objects.values_list("due_date", flat=True)) == {date(2026, 6, 25)}


def test_every_confirmed_household_member_is_told_in_their_inbox(manager, estate, billed_estate):
    issue(manager, estate)
    told = Notification.objects.filter(kind=billing.NOTIFICATION_KIND)
    assert sorted(n.user_id for n in told) == sorted(u.pk for u in billed_estate.values())
    wang = told.get(user=billed_estate["wang"])
    assert wang.title == "Your property bill for 2026-06: CN¥398.75"
    assert wang.body == "1号楼-101, due 2026-06-15."
    bill_id = bills_by_unit(estate)["1号楼-101"].pk
    assert wang.data["bill_id"] == bill_id
    # And it links to the resident's bill page, once that page exists
    try:
        assert wang.url == reverse("my-bill", args=[bill_id])
    except NoReverseMatch:
        assert wang.url == ""


def test_the_preview_computes_the_same_bills_and_saves_none(manager, estate, billed_estate):
    preview = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE)
    assert not Bill.objects.exists()
    assert (preview.run.status, preview.run.bill_count, preview.run.total_minor) == (
        "preview",
        4,
        1264_88,
    )
    assert preview.plan.skipped == 0
    assert preview.plan.totals_by_kind() == {
        "property": 769_88,
        "water": 55_00,
        "electricity": 120_00,
        "one_off": 20_00,
        "parking": 300_00,
    }
    # And the bills issued afterwards are those of the preview
    run = billing.billing_issue(run=preview.run, approved_by=manager)
    assert run.total_minor == preview.plan.total_minor


def test_issuing_twice_changes_nothing(manager, estate, billed_estate):
    run = issue(manager, estate)

    def snapshot():
        return (
            list(Bill.objects.order_by("id").values_list("id", "total_minor", "status")),
            BillLine.objects.count(),
            BillEvent.objects.count(),
            Notification.objects.filter(kind=billing.NOTIFICATION_KIND).count(),
            BillingRun.objects.values_list("status", "bill_count", "total_minor").get(),
        )

    before = snapshot()
    # When it is issued again, and the monthly task runs for the same month
    again = billing.billing_issue(run=run, approved_by=manager)
    billing.billing_issue_month(neighbourhood_id=estate.pk, period=JUNE)
    # Then nothing changed
    assert again.status == "issued"
    assert snapshot() == before
    # And a preview of an issued month is refused
    with pytest.raises(BillingRunAlreadyIssued):
        billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE)


def test_a_run_killed_while_issuing_is_resumed(manager, estate, billed_estate):
    # Given a run approved and claimed, whose worker died before its transaction committed
    run = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE).run
    BillingRun.objects.filter(pk=run.pk).update(status=BillingRun.Status.ISSUING)
    assert not Bill.objects.exists()
    # When the task runs again
    resumed = billing.billing_issue(run=run)
    # Then all the bills are there, once
    assert (resumed.status, resumed.bill_count, Bill.objects.count()) == ("issued", 4, 4)


def test_a_unit_already_billed_is_not_billed_again(manager, estate, billed_estate):
    # Given 1号楼-101 already has its June bill (a run resumed after a partial write)
    run = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE).run
    flat = unit_of(estate, "1号楼", "101")
    existing = Bill.objects.create(
        unit=flat,
        neighbourhood=estate,
        period=JUNE,
        title="June",
        total_minor=1,
        due_date=date(2026, 6, 15),
        run=run,
    )
    # When the run is issued
    run = billing.billing_issue(run=run, approved_by=manager)
    # Then the other three got bills, that one was left alone, and the run counts all four
    assert Bill.objects.filter(unit=flat).get() == existing
    assert not existing.lines.exists()
    assert run.bill_count == 4
    assert BillEvent.objects.count() == 3


def test_the_monthly_task_issues_every_managed_estate_once(estate, other_estate, billed_estate):
    other_manager = make_manager(other_estate)
    set_rate(other_manager, other_estate, FeeRate.Kind.PROPERTY, "2.00")
    occupy(unit_of(other_estate))

    assert monthly_billing.delay("2026-06-01").get() == 2
    assert monthly_billing.delay("2026-06-01").get() == 2

    runs = BillingRun.objects.order_by("neighbourhood_id")
    assert [(r.neighbourhood_id, r.status, r.bill_count, r.approved_by) for r in runs] == [
        (estate.pk, "issued", 4, None),
        (other_estate.pk, "issued", 1, None),
    ]
    assert Bill.objects.count() == 5
    assert Bill.objects.get(neighbourhood=other_estate).total_minor == 179_00  # 89.50 × 2.00


def test_approval_queues_the_issue_and_the_task_writes_the_bills(
    manager, estate, billed_estate, django_capture_on_commit_callbacks
):
    run = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE).run
    with django_capture_on_commit_callbacks(execute=True) as queued:
        approved = billing.billing_approve(run=run, approved_by=manager)
    assert len(queued) == 1
    approved.refresh_from_db()
    assert (approved.status, approved.approved_by, approved.bill_count) == ("issued", manager, 4)
    # Approving again queues nothing
    with django_capture_on_commit_callbacks(execute=True) as queued:
        billing.billing_approve(run=run, approved_by=manager)
    assert queued == []


def test_a_manager_of_another_estate_cannot_preview_or_approve(estate, other_estate, manager):
    stranger = make_manager(other_estate)
    with pytest.raises(NotFound):
        billing.billing_preview(manager=stranger, neighbourhood=estate, period=JUNE)
    run = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE).run
    with pytest.raises(NotFound):
        billing.billing_approve(run=run, approved_by=stranger)
    assert BillingRun.objects.get().status == "preview"


def test_a_unit_with_nothing_to_charge_gets_no_bill(manager, estate):
    # Given an occupied flat but no rates at all
    occupy(unit_of(estate))
    preview = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE)
    assert (preview.plan.occupied, preview.plan.skipped, preview.run.bill_count) == (1, 1, 0)
    run = billing.billing_issue(run=preview.run, approved_by=manager)
    assert (run.status, run.bill_count, Bill.objects.count()) == ("issued", 0, 0)


def _estate_of(estate, manager, occupied):
    """``occupied`` flats in a new building, each with two residents, a water reading (12
    m³) and a one-off charge: every kind of row the run writes."""
    standard_rates(manager, estate)
    for unit in add_units(estate, occupied):
        occupy(unit)
        occupy(unit, relation=Household.Relation.FAMILY)
        for period, value in ((date(2026, 5, 1), "10"), (JUNE, "22")):
            fee_services.reading_record(
                manager=manager, unit=unit, meter="water", period=period, reading=Decimal(value)
            )
        fee_services.one_off_charge_add(
            manager=manager, unit=unit, description="维修", amount_minor=5_00, period=JUNE
        )


def test_the_runs_queries_do_not_grow_with_the_number_of_units(db):
    from tests.property_mgmt.conftest import make_estate

    counts = {}
    for size in (5, 40):
        estate = make_estate(f"小区{size}", buildings=0, company=f"物业{size}")
        manager = make_manager(estate)
        _estate_of(estate, manager, size)
        preview = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE)
        counts[size] = (
            queries_of(
                lambda e=estate, m=manager: billing.billing_preview(
                    manager=m, neighbourhood=e, period=JUNE
                )
            ),
            queries_of(
                lambda r=preview.run, m=manager: billing.billing_issue(run=r, approved_by=m)
            ),
        )
        assert Bill.objects.filter(neighbourhood=estate).count() == size
        # 3 lines a bill: property, water (12 m³) and the repair
        assert BillLine.objects.filter(bill__neighbourhood=estate).count() == 3 * size
        assert (
            Notification.objects.filter(kind=billing.NOTIFICATION_KIND)
            .filter(data__estate_id=estate.pk)
            .count()
            == 2 * size
        )
    assert counts[5] == counts[40]
    preview_queries, issue_queries = counts[40]
    assert preview_queries <= 15 and issue_queries <= 25, counts
