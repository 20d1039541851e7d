"""The monthly billing run: preview, approval, and issuing one bill per occupied unit.

A run is one estate's month (``BillingRun``, unique per estate and month) and moves
``PREVIEW -> ISSUING -> ISSUED``:

* ``billing_preview`` computes every bill (``billing_plan``: a fixed number of queries
  whatever the number of units; amounts from ``property_mgmt.fees``) and records the totals
  on the run, in ``PREVIEW``. Nothing is billed.
* ``billing_approve`` (a manager) or the monthly task moves it to ``ISSUING`` and commits,
  so rates, readings and charges of that month are refused from then on; then
  ``billing_issue`` writes, in one transaction under the run's row lock: the bills
  (``INSERT … ON CONFLICT DO NOTHING`` against the one-monthly-bill-per-unit constraint),
  their lines, an ``ISSUED`` event each and an inbox entry for each confirmed household
  member, all in bulk, and marks the run ``ISSUED``.

Idempotent: issuing again finds the run ``ISSUED`` and does nothing; a run killed while
issuing rolled back whole and stays ``ISSUING``, so running it again (the task is retried,
or the monthly task runs again) resumes it. Two issuers at once queue on the run's row lock;
the second finds it issued.

Who is billed: units with at least one confirmed household member. Flats and shops pay the
property fee by floor area; a parking space pays parking for one space (not the per-m² fee);
water and electricity bill the usage of the month's readings; the month's one-off charges
are added. A unit with nothing to charge gets no bill. Bills fall due on the estate policy's
``due_day`` of the month billed. Stored titles and line descriptions are in the site's
language (``LANGUAGE_CODE``), the inbox entries in each resident's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from community.models import Neighbourhood
from core.errors import NotFound
from core.models import Notification
from core.money import Money
from property_mgmt import fees
from property_mgmt.errors import BillingRunAlreadyIssued
from property_mgmt.models import (
    Bill,
    BillEvent,
    BillingRun,
    BillLine,
    FeeRate,
    Household,
    MeterReading,
    OneOffCharge,
    PropertyCompany,
    Unit,
)
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.services.collection import billing_policy
from property_mgmt.services.fees import rate_value

NOTIFICATION_KIND = "property_bill_issued"
METER_FEES = (
    (MeterReading.Meter.WATER, FeeRate.Kind.WATER, BillLine.Kind.WATER),
    (MeterReading.Meter.ELECTRICITY, FeeRate.Kind.ELECTRICITY, BillLine.Kind.ELECTRICITY),
)


@dataclass(frozen=True)
class LinePlan:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount_minor: int


@dataclass
class BillPlan:
    """One unit's bill as it would be issued."""

    unit_id: int
    building: str
    number: str
    lines: list[LinePlan] = field(default_factory=list)
    recipients: list[tuple[int, str]] = field(default_factory=list)  # (user id, language)

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


@dataclass
class BillingPlan:
    """Every bill of an estate's month, computed and not saved."""

    neighbourhood: Neighbourhood
    period: date
    due_date: date
    title: str
    bills: list[BillPlan]
    occupied: int  # occupied units, including those with nothing to bill

    @property
    def total_minor(self) -> int:
        return sum(bill.total_minor for bill in self.bills)

    @property
    def skipped(self) -> int:
        return self.occupied - len(self.bills)

    def totals_by_kind(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for bill in self.bills:
            for line in bill.lines:
                totals[line.kind] += line.amount_minor
        return dict(totals)


@dataclass
class BillingPreview:
    run: BillingRun
    plan: BillingPlan


# --- computing -------------------------------------------------------------------------------


def _yuan(price: Decimal) -> str:
    """¥2.50, ¥2.125: at least two decimals, no trailing zeros past them."""
    text = f"{price.normalize():f}"
    whole, _dot, decimals = text.partition(".")
    return f"¥{whole}.{decimals.ljust(2, '0')}"


def _prices(segments: list[fees.Segment]) -> str:
    if len(segments) == 1 and segments[0].days == segments[0].month_days:
        return _yuan(segments[0].rate.price)
    return ", ".join(
        force_str(
            _("%(price)s on days %(first)s–%(last)s")
            % {"price": _yuan(s.rate.price), "first": s.start.day, "last": s.end.day}
        )
        for s in segments
    )


def _effective_price(amount_minor: int, quantity: Decimal) -> Decimal:
    """What a metered line came to per unit used, for display only."""
    if not quantity:
        return Decimal(0)
    return (Decimal(amount_minor) / 100 / quantity).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def billing_plan(
    neighbourhood: Neighbourhood, period: date, *, language: str | None = None
) -> BillingPlan:
    """Compute every bill of ``neighbourhood``'s month without saving anything.

    Reads in a fixed number of queries whatever the number of units (policy, occupied
    units, confirmed household members, rates, readings, charges), then computes in Python;
    units of one building and kind share their rate segments. Descriptions are in
    ``language`` (the site's by default).
    """
    period = fees.month_start(period)
    policy = billing_policy(neighbourhood)
    after = fees.next_month(period)
    confirmed = Household.objects.filter(unit_id=OuterRef("pk"), status=Household.Status.CONFIRMED)
    units = list(
        Unit.objects.filter(building__neighbourhood=neighbourhood)
        .filter(Exists(confirmed))
        .order_by("building__name", "number")
        .values_list("pk", "kind", "area_m2", "building_id", "building__name", "number")
    )
    recipients: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for unit_id, user_id, user_language in (
        Household.objects.filter(
            unit__building__neighbourhood=neighbourhood,
            status=Household.Status.CONFIRMED,
            user__isnull=False,
        )
        .order_by("unit_id", "user_id")
        .values_list("unit_id", "user_id", "user__preferred_language")
    ):
        if (user_id, user_language) not in recipients[unit_id]:
            recipients[unit_id].append((user_id, user_language or settings.LANGUAGE_CODE))
    rates: dict[str, list[fees.Rate]] = defaultdict(list)
    for rate in FeeRate.objects.filter(neighbourhood=neighbourhood, effective_from__lt=after):
        rates[rate.kind].append(rate_value(rate))
    usage = {
        (unit_id, meter): used
        for unit_id, meter, used in MeterReading.objects.filter(
            unit__building__neighbourhood=neighbourhood, period=period
        ).values_list("unit_id", "meter", "usage")
    }
    charges: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for unit_id, description, amount in (
        OneOffCharge.objects.filter(unit__building__neighbourhood=neighbourhood, period=period)
        .order_by("id")
        .values_list("unit_id", "description", "amount_minor")
    ):
        charges[unit_id].append((description, amount))

    segment_cache: dict[tuple[str, int, str], list[fees.Segment]] = {}

    def segments(kind: str, building_id: int, unit_kind: str) -> list[fees.Segment]:
        key = (kind, building_id, unit_kind)
        if key not in segment_cache:
            covering = fees.rates_for_unit(
                rates.get(kind, ()), building_id=building_id, unit_kind=unit_kind
            )
            segment_cache[key] = fees.month_segments(period, covering)
        return segment_cache[key]

    amounts: dict[tuple[str, int, str, Decimal], int] = {}

    def amount_of(kind: str, building_id: int, unit_kind: str, measure: Decimal) -> int:
        """A line's fen, computed once per rate scope and measure: flats of one size in one
        building, or the same usage under one tariff, cost the same."""
        key = (kind, building_id, unit_kind, measure)
        if key not in amounts:
            found = segments(kind, building_id, unit_kind)
            if not found:
                amounts[key] = 0
            elif kind in (FeeRate.Kind.WATER, FeeRate.Kind.ELECTRICITY):
                amounts[key] = fees.metered_fee(measure, found)
            else:
                amounts[key] = fees.prorated_fee(measure, found)
        return amounts[key]

    with translation.override(language or settings.LANGUAGE_CODE):
        labels = {
            "property": force_str(_("Property fee, %(area)s m² at %(prices)s")),
            "parking": force_str(_("Parking, one space at %(prices)s")),
            BillLine.Kind.WATER: force_str(_("Water, %(usage)s m³")),
            BillLine.Kind.ELECTRICITY: force_str(_("Electricity, %(usage)s kWh")),
        }
        title = force_str(_("Property bill %(month)s") % {"month": f"{period:%Y-%m}"})
        price_texts: dict[tuple[str, int, str], str] = {}

        def prices(kind: str, building_id: int, unit_kind: str) -> str:
            key = (kind, building_id, unit_kind)
            if key not in price_texts:
                price_texts[key] = _prices(segments(*key))
            return price_texts[key]

        bills: list[BillPlan] = []
        for unit_id, unit_kind, area, building_id, building_name, number in units:
            plan = BillPlan(unit_id, building_name, number, recipients=recipients.get(unit_id, []))
            fixed_kind = FeeRate.Kind.PARKING if unit_kind == Unit.Kind.PARKING else None
            fixed_kind = fixed_kind or FeeRate.Kind.PROPERTY
            fixed = segments(fixed_kind, building_id, unit_kind)
            if fixed:
                measure = Decimal(1) if fixed_kind == FeeRate.Kind.PARKING else area
                amount = amount_of(fixed_kind, building_id, unit_kind, measure)
                if amount:
                    plan.lines.append(
                        LinePlan(
                            kind=fixed_kind,
                            description=labels[fixed_kind]
                            % {"area": area, "prices": prices(fixed_kind, building_id, unit_kind)},
                            quantity=measure,
                            unit_price=fees.average_price(fixed),
                            amount_minor=amount,
                        )
                    )
            for meter, rate_kind, line_kind in METER_FEES:
                used = usage.get((unit_id, meter))
                if not used:
                    continue
                amount = amount_of(rate_kind, building_id, unit_kind, used)
                if amount:
                    plan.lines.append(
                        LinePlan(
                            kind=line_kind,
                            description=labels[line_kind] % {"usage": used},
                            quantity=used,
                            unit_price=_effective_price(amount, used),
                            amount_minor=amount,
                        )
                    )
            for description, amount in charges.get(unit_id, ()):
                plan.lines.append(
                    LinePlan(
                        kind=BillLine.Kind.ONE_OFF,
                        description=description,
                        quantity=Decimal(1),
                        unit_price=Decimal(amount) / 100,
                        amount_minor=amount,
                    )
                )
            if plan.lines:
                bills.append(plan)
    return BillingPlan(
        neighbourhood=neighbourhood,
        period=period,
        due_date=period.replace(day=policy.due_day),
        title=title,
        bills=bills,
        occupied=len(units),
    )


# --- preview and approval --------------------------------------------------------------------


def billing_preview(
    *, manager: Any | None, neighbourhood: Neighbourhood, period: date, language: str | None = None
) -> BillingPreview:
    """Compute the month's bills and record their count and total on the month's run, in
    ``PREVIEW`` (created if needed). ``manager`` None is the monthly task.

    Locks the run row; refuses (``billing_run_already_issued``) once it is issuing or issued.
    """
    if manager is not None:
        managed_neighbourhood(manager, neighbourhood.pk)
    period = fees.month_start(period)
    plan = billing_plan(neighbourhood, period, language=language)
    with transaction.atomic(durable=True):
        BillingRun.objects.get_or_create(neighbourhood=neighbourhood, period=period)
        run = BillingRun.objects.select_for_update().get(neighbourhood=neighbourhood, period=period)
        if run.status != BillingRun.Status.PREVIEW:
            raise BillingRunAlreadyIssued()
        run.bill_count = len(plan.bills)
        run.total_minor = plan.total_minor
        run.requested_by = manager
        run.save(update_fields=["bill_count", "total_minor", "requested_by"])
    return BillingPreview(run=run, plan=plan)


def _claim(run_id: int, approved_by: Any | None) -> BillingRun:
    """``PREVIEW -> ISSUING`` under the run's row lock; returns the locked row. Requires an
    open transaction."""
    run = BillingRun.objects.select_for_update().get(pk=run_id)
    if run.status == BillingRun.Status.PREVIEW:
        run.status = BillingRun.Status.ISSUING
        run.approved_by = approved_by
        run.save(update_fields=["status", "approved_by"])
    return run


def billing_approve(*, run: BillingRun, approved_by: Any) -> BillingRun:
    """A manager approves the run: it becomes ``ISSUING`` and the bills are written by the
    ``property_mgmt.billing_run_issue`` task after commit. Approving an issued run changes
    nothing; approving one stuck in ``ISSUING`` (a killed worker) queues it again."""
    managed_neighbourhood(approved_by, run.neighbourhood_id)
    from property_mgmt.tasks.billing import billing_run_issue

    with transaction.atomic(durable=True):
        claimed = _claim(run.pk, approved_by)
        if claimed.status == BillingRun.Status.ISSUING:
            transaction.on_commit(lambda: billing_run_issue.delay(claimed.pk))
    # With eager tasks (development) the bills are already there: show what is true.
    claimed.refresh_from_db()
    return claimed


# --- issuing ---------------------------------------------------------------------------------


def billing_issue(*, run: BillingRun, approved_by: Any | None = None) -> BillingRun:
    """Issue the run's bills; see the module docstring for the guarantees.

    Two transactions: the first claims the run (``PREVIEW -> ISSUING``, committed so that a
    killed issue leaves a run to resume); the second locks the run row again and, unless
    it is already ``ISSUED``, writes everything in bulk and marks it ``ISSUED``. A fixed
    number of queries whatever the number of units. Side effects: inbox entries for the
    household members of each new bill (read from the inbox; no live push for a whole
    estate at once).
    """
    with transaction.atomic(durable=True):
        claimed = _claim(run.pk, approved_by)
    if claimed.status == BillingRun.Status.ISSUED:
        return claimed
    with transaction.atomic(durable=True):
        locked = BillingRun.objects.select_for_update(of=("self",)).select_related("neighbourhood")
        current = locked.get(pk=run.pk)
        if current.status != BillingRun.Status.ISSUED:
            _write_bills(current)
    return current


def _write_bills(run: BillingRun) -> None:
    neighbourhood = run.neighbourhood
    plan = billing_plan(neighbourhood, run.period)
    monthly = Bill.objects.filter(
        neighbourhood=neighbourhood, period=run.period, kind=Bill.Kind.MONTHLY
    )
    billed_before = set(monthly.values_list("unit_id", flat=True))
    todo = [bill for bill in plan.bills if bill.unit_id not in billed_before]
    Bill.objects.bulk_create(
        [
            Bill(
                unit_id=bill.unit_id,
                neighbourhood=neighbourhood,
                kind=Bill.Kind.MONTHLY,
                period=run.period,
                title=plan.title,
                status=Bill.Status.OPEN,
                total_minor=bill.total_minor,
                due_date=plan.due_date,
                run=run,
            )
            for bill in todo
        ],
        # The unique monthly bill per unit decides, whatever else inserted one meanwhile.
        ignore_conflicts=True,
    )
    bill_ids = {
        unit_id: pk
        for pk, unit_id in monthly.filter(run=run).values_list("pk", "unit_id")
        if unit_id not in billed_before
    }
    created = [(bill, bill_ids[bill.unit_id]) for bill in todo if bill.unit_id in bill_ids]
    BillLine.objects.bulk_create(
        BillLine(
            bill_id=bill_id,
            kind=line.kind,
            description=line.description[:200],
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount_minor=line.amount_minor,
        )
        for bill, bill_id in created
        for line in bill.lines
    )
    BillEvent.objects.bulk_create(
        BillEvent(
            bill_id=bill_id,
            kind=BillEvent.Kind.ISSUED,
            amount_minor=bill.total_minor,
            actor_id=run.approved_by_id,
        )
        for bill, bill_id in created
    )
    Notification.objects.bulk_create(_notifications(plan, created))
    totals = Bill.objects.filter(run=run).aggregate(count=Count("id"), total=Sum("total_minor"))
    run.bill_count = totals["count"]
    run.total_minor = totals["total"] or 0
    run.status = BillingRun.Status.ISSUED
    run.issued_at = timezone.now()
    run.save(update_fields=["bill_count", "total_minor", "status", "issued_at"])


_URL_SENTINEL = 987654321


def _bill_url_maker() -> Callable[[int], str]:
    """The residents' bill page address for a bill id, reversed once per run rather than
    once per bill (``reverse`` costs about as much as writing the bill)."""
    try:
        template = reverse("my-bill", args=[_URL_SENTINEL])
    except NoReverseMatch:  # the residents' bill page is another part of the app
        return lambda bill_id: ""
    return lambda bill_id: template.replace(str(_URL_SENTINEL), str(bill_id))


def _notifications(
    plan: BillingPlan, created: Iterable[tuple[BillPlan, int]]
) -> Iterable[Notification]:
    """One inbox entry per household member of each new bill, in their language; texts and
    amounts are formatted once per language and amount, not once per resident."""
    texts: dict[str, tuple[str, str]] = {}
    amounts: dict[tuple[str, int], str] = {}
    month = f"{plan.period:%Y-%m}"
    bill_url = _bill_url_maker()
    for bill, bill_id in created:
        url = bill_url(bill_id)
        for user_id, language in bill.recipients:
            if language not in texts:
                with translation.override(language):
                    texts[language] = (
                        force_str(_("Your property bill for %(month)s: %(amount)s")),
                        force_str(_("%(unit)s, due %(due)s.")),
                    )
            key = (language, bill.total_minor)
            if key not in amounts:
                amounts[key] = Money(bill.total_minor, "CNY").format(language)
            title, body = texts[language]
            yield Notification(
                user_id=user_id,
                kind=NOTIFICATION_KIND,
                title=(title % {"month": month, "amount": amounts[key]})[:200],
                body=body
                % {"unit": f"{bill.building}-{bill.number}", "due": plan.due_date.isoformat()},
                url=url,
                data={"bill_id": bill_id, "estate_id": plan.neighbourhood.pk},
            )


def billing_issue_month(*, neighbourhood_id: int, period: date) -> BillingRun:
    """The monthly task's run for one estate: preview (unless already past it), then issue,
    with nobody's approval. Safe to run any number of times."""
    neighbourhood = Neighbourhood.objects.get(pk=neighbourhood_id)
    period = fees.month_start(period)
    run = BillingRun.objects.filter(neighbourhood=neighbourhood, period=period).first()
    if run is None or run.status == BillingRun.Status.PREVIEW:
        try:
            run = billing_preview(manager=None, neighbourhood=neighbourhood, period=period).run
        except BillingRunAlreadyIssued:
            run = BillingRun.objects.get(neighbourhood=neighbourhood, period=period)
    return billing_issue(run=run, approved_by=None)


# --- reads -----------------------------------------------------------------------------------


def billed_neighbourhood_ids() -> list[int]:
    """Estates some property company manages: the ones the monthly task bills."""
    return list(
        PropertyCompany.neighbourhoods.through.objects.order_by("neighbourhood_id")
        .values_list("neighbourhood_id", flat=True)
        .distinct()
    )


def billing_runs_of(neighbourhood: Neighbourhood) -> QuerySet[BillingRun]:
    return BillingRun.objects.filter(neighbourhood=neighbourhood).select_related(
        "approved_by", "requested_by"
    )


def billing_run_of(neighbourhood: Neighbourhood, run_id: int) -> BillingRun:
    """The estate's run ``run_id``; another estate's is 404."""
    run = billing_runs_of(neighbourhood).filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return run


def run_bills_sample(run: BillingRun, limit: int = 20) -> list[Bill]:
    """The first bills of an issued run with their units and lines (three queries)."""
    return list(
        Bill.objects.filter(run=run)
        .select_related("unit__building")
        .prefetch_related("lines")
        .order_by("unit__building__name", "unit__number")[:limit]
    )
