"""Managers' reads of an estate's bills: the filtered bill list, arrears, collection rates.

Every function takes an estate the caller was already checked to manage
(``property_mgmt.selectors.managed_neighbourhood``) and runs a fixed number of queries
whatever the number of bills, units or household members. These are pure reads: once the
design's read replica exists they can be routed to it unchanged.

Money stays in fen (integers). The collection rate is a ``Decimal`` ratio; it is shown as a
percentage with one decimal, rounded half up, and only at display time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth

from community.models import Neighbourhood
from community.services.neighbourhoods import phone_for_staff
from property_mgmt.models import Bill, BillLine, Building, Household

# Bills that still owe money: "overdue" is set by the daily task, but a bill past its due
# date is owed whether or not that task has run yet today.
UNPAID_STATUSES = (Bill.Status.OPEN, Bill.Status.OVERDUE)
# Waived and cancelled bills were never going to be collected: they count on neither side.
UNCOLLECTABLE_STATUSES = (Bill.Status.WAIVED, Bill.Status.CANCELLED)
COLLECTION_MONTHS = 12
LINE_KINDS: tuple[str, ...] = tuple(BillLine.Kind.values)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def masked_phone(phone: str) -> str:
    """Staff see the last four digits only (``*******5678``), as on the residents list."""
    try:
        return phone_for_staff(phone)
    except Exception:  # an imported number that does not parse is still masked
        digits = "".join(ch for ch in phone if ch.isdigit())
        return "*" * max(len(digits) - 4, 0) + digits[-4:]


# --- bills -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillFilter:
    """What a manager narrows the bill list by; empty fields do not filter."""

    building_id: int | None = None
    unit_id: int | None = None
    unit_number: str = ""
    status: str = ""
    period: datetime.date | None = None  # any day of the month; the month counts
    due_from: datetime.date | None = None
    due_to: datetime.date | None = None

    def q(self) -> Q:
        q = Q()
        if self.building_id is not None:
            q &= Q(unit__building_id=self.building_id)
        if self.unit_id is not None:
            q &= Q(unit_id=self.unit_id)
        if self.unit_number:
            q &= Q(unit__number=self.unit_number)
        if self.status:
            q &= Q(status=self.status)
        if self.period is not None:
            q &= Q(period=month_start(self.period))
        if self.due_from is not None:
            q &= Q(due_date__gte=self.due_from)
        if self.due_to is not None:
            q &= Q(due_date__lte=self.due_to)
        return q


def estate_bills(neighbourhood: Neighbourhood, filters: BillFilter | None = None) -> QuerySet[Bill]:
    """The estate's bills matching ``filters``, by building, unit and month (newest first),
    with unit and building joined in (one query a page)."""
    return (
        Bill.objects.filter(neighbourhood=neighbourhood)
        .filter((filters or BillFilter()).q())
        .select_related("unit__building")
        .order_by("unit__building__name", "unit__number", "-period", "-due_date", "pk")
    )


@dataclass(frozen=True)
class BillTotals:
    count: int
    total_minor: int
    paid_minor: int
    unpaid_minor: int


def bill_totals(bills: QuerySet[Bill]) -> BillTotals:
    """Count and sums of a filtered bill list in one query."""
    sums = bills.order_by().aggregate(
        count=Count("pk"),
        total=Coalesce(Sum("total_minor"), 0),
        paid=Coalesce(Sum("total_minor", filter=Q(status=Bill.Status.PAID)), 0),
        unpaid=Coalesce(Sum("total_minor", filter=Q(status__in=UNPAID_STATUSES)), 0),
    )
    return BillTotals(sums["count"], sums["total"], sums["paid"], sums["unpaid"])


def with_line_totals(bills: QuerySet[Bill]) -> QuerySet[Bill]:
    """Annotate ``line_<kind>_minor`` for every line kind, summed in the same query
    (conditional aggregation grouped by bill), for the CSV export."""
    return bills.annotate(
        **{
            f"line_{kind}_minor": Coalesce(
                Sum("lines__amount_minor", filter=Q(lines__kind=kind)), 0
            )
            for kind in LINE_KINDS
        }
    )


def estate_payments(
    neighbourhood: Neighbourhood, filters: BillFilter | None = None
) -> QuerySet[Bill]:
    """Paid bills with their wallet payment and payer, oldest payment first (reconciliation
    reads the way money arrived). A payment that settled several bills shows on each."""
    base = filters or BillFilter()
    return (
        Bill.objects.filter(neighbourhood=neighbourhood, status=Bill.Status.PAID)
        .filter(base.q())
        .select_related("unit__building", "payment", "paid_by")
        .order_by("paid_at", "pk")
    )


# --- arrears -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str  # masked
    relation: str  # Household.Relation
    relation_label: str


@dataclass
class ArrearsRow:
    bill: Bill
    days_overdue: int
    contacts: list[Contact]

    @property
    def owed_minor(self) -> int:
        return self.bill.total_minor


@dataclass
class BuildingArrears:
    building_id: int
    name: str
    bills: int
    owed_minor: int


@dataclass
class Arrears:
    today: datetime.date
    rows: list[ArrearsRow]
    buildings: list[BuildingArrears]
    bills: int = 0
    owed_minor: int = 0


def arrears_bills(neighbourhood: Neighbourhood, today: datetime.date) -> QuerySet[Bill]:
    """Unpaid bills past their due date, longest overdue first, each with its unit, building
    and the unit's confirmed household members (prefetched: two queries for any number)."""
    # Owners first: they answer for the bill; then tenants, then family.
    relation_rank = Case(
        When(relation=Household.Relation.OWNER, then=Value(0)),
        When(relation=Household.Relation.TENANT, then=Value(1)),
        default=Value(2),
    )
    members = (
        Household.objects.filter(status=Household.Status.CONFIRMED)
        .select_related("user")
        .order_by(relation_rank, "pk")
    )
    return (
        Bill.objects.filter(
            neighbourhood=neighbourhood, status__in=UNPAID_STATUSES, due_date__lt=today
        )
        .select_related("unit__building")
        .prefetch_related(Prefetch("unit__households", queryset=members, to_attr="confirmed"))
        .order_by("due_date", "unit__building__name", "unit__number", "pk")
    )


def arrears_row(bill: Bill, today: datetime.date) -> ArrearsRow:
    contacts = [
        Contact(
            name=member.name or (member.user.display_name if member.user else ""),
            phone=masked_phone(member.phone),
            relation=member.relation,
            relation_label=member.get_relation_display(),
        )
        for member in getattr(bill.unit, "confirmed", [])
    ]
    return ArrearsRow(bill=bill, days_overdue=(today - bill.due_date).days, contacts=contacts)


def arrears_rows(bills: Iterable[Bill], today: datetime.date) -> list[ArrearsRow]:
    return [arrears_row(bill, today) for bill in bills]


def arrears_by_building(neighbourhood: Neighbourhood, today: datetime.date) -> Arrears:
    """Totals of what is overdue, by building and for the estate, in one query; ``rows``
    is left empty for the caller to page ``arrears_bills`` into."""
    grouped = (
        Bill.objects.filter(
            neighbourhood=neighbourhood, status__in=UNPAID_STATUSES, due_date__lt=today
        )
        .values("unit__building_id", "unit__building__name")
        .annotate(bills=Count("pk"), owed=Sum("total_minor"))
        .order_by("unit__building__name")
    )
    buildings = [
        BuildingArrears(
            building_id=row["unit__building_id"],
            name=row["unit__building__name"],
            bills=row["bills"],
            owed_minor=row["owed"] or 0,
        )
        for row in grouped
    ]
    return Arrears(
        today=today,
        rows=[],
        buildings=buildings,
        bills=sum(b.bills for b in buildings),
        owed_minor=sum(b.owed_minor for b in buildings),
    )


# --- collection rate ---------------------------------------------------------------------


@dataclass
class Collection:
    """Billed and paid fen of one building (or the whole estate) in one month."""

    billed_minor: int = 0
    paid_minor: int = 0

    @property
    def rate(self) -> Decimal | None:
        """paid / billed as an exact-enough ``Decimal``; ``None`` when nothing was billed."""
        if not self.billed_minor:
            return None
        return Decimal(self.paid_minor) / Decimal(self.billed_minor)

    @property
    def percent(self) -> Decimal | None:
        """The rate as a percentage with one decimal, rounded half up (``66.7``)."""
        rate = self.rate
        if rate is None:
            return None
        return (rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def add(self, other: Collection) -> None:
        self.billed_minor += other.billed_minor
        self.paid_minor += other.paid_minor


@dataclass
class CollectionMonth:
    month: datetime.date
    total: Collection
    by_building: list[Collection]  # in the order of ``CollectionReport.buildings``


@dataclass
class CollectionReport:
    buildings: list[Building]
    months: list[CollectionMonth]  # oldest first
    building_totals: list[Collection] = field(default_factory=list)
    total: Collection = field(default_factory=Collection)


def _bill_month() -> Any:
    """The month a bill counts in: its billing period, or for a one-off bill without one,
    the month it falls due."""
    return Coalesce(F("period"), TruncMonth("due_date", output_field=DateField()))


def collection_report(
    neighbourhood: Neighbourhood, *, today: datetime.date, months: int = COLLECTION_MONTHS
) -> CollectionReport:
    """Billed and paid totals for each of the last ``months`` months (this one included) and
    each building, and the rate paid / billed.

    Two queries: the buildings, and one GROUP BY month and building with conditional sums.
    Waived and cancelled bills are left out of both sides; a bill counts as paid whenever it
    was paid, in the month it was billed for. Months and buildings without bills show zeros.
    """
    first = add_months(month_start(today), -(months - 1))
    last = month_start(today)
    buildings = list(Building.objects.filter(neighbourhood=neighbourhood).order_by("name"))
    grouped = (
        Bill.objects.filter(neighbourhood=neighbourhood)
        .exclude(status__in=UNCOLLECTABLE_STATUSES)
        .annotate(month=_bill_month())
        .filter(month__gte=first, month__lte=last)
        .values("month", "unit__building_id")
        .annotate(
            billed=Sum("total_minor"),
            paid=Coalesce(Sum("total_minor", filter=Q(status=Bill.Status.PAID)), 0),
        )
        .order_by()
    )
    cells: dict[tuple[datetime.date, int], Collection] = {}
    for row in grouped:
        month = row["month"]
        if isinstance(month, datetime.datetime):  # SQLite's TruncMonth may hand back a datetime
            month = month.date()
        cells[(month, row["unit__building_id"])] = Collection(row["billed"] or 0, row["paid"])

    report = CollectionReport(
        buildings=buildings, months=[], building_totals=[Collection() for _ in buildings]
    )
    for offset in range(months):
        month = add_months(first, offset)
        per_building = [cells.get((month, b.pk), Collection()) for b in buildings]
        total = Collection()
        for index, cell in enumerate(per_building):
            total.add(cell)
            report.building_totals[index].add(cell)
        report.total.add(total)
        report.months.append(CollectionMonth(month=month, total=total, by_building=per_building))
    return report
