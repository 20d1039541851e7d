"""Bills after issue: adjustments, waivers, cancellations, ad-hoc bills and late fees.

Every change to an issued bill locks the bill row first (``select_for_update``) inside a
durable transaction, so it never interleaves with a payment: the payment service locks bills
in primary-key order and refuses a bill that is no longer payable, and these services refuse
a bill that is no longer open or overdue. Every change leaves a ``BillEvent`` with its actor
and reason. A bill's ``total_minor`` is always the sum of its lines; services that add lines
recompute it from the lines rather than adding to the cached figure.

Late fees (``late_fees_accrue``), decisions:

* A bill is overdue from the first day after ``due_date + grace_days``; that day it turns
  ``overdue`` (one ``OVERDUE`` event) and gets its first late-fee line. The grace days are
  not charged retroactively: they are grace.
* Each day overdue adds one ``LATE_FEE`` line dated ``accrued_on``: the principal (the sum of
  the bill's lines that are not late fees, adjustments included) times the estate's
  ``late_fee_daily_rate``, exact in ``Decimal`` and rounded to the fen once, half up.
* The late fees of a bill never exceed ``principal * late_fee_cap_rate``, that cap rounded
  down to the fen so the sum never passes the exact cap; the day that reaches it takes only
  what is left, and later days add no line.
* The task charges the day it is run for. A day the task missed is not charged later (the
  error is in the resident's favour); an operator may run the task for that day explicitly.
* Running it twice on one day adds nothing: the unique ``(bill, accrued_on)`` constraint on
  late-fee lines, inserts that ignore conflicts, and totals recomputed from the lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext

from community.models import Neighbourhood
from community.selectors import is_estate_staff
from core.errors import NotFound
from property_mgmt.errors import (
    AdhocBillInvalid,
    BillAdjustmentInvalid,
    BillNotChangeable,
    BillReasonMissing,
    BillTotalBelowZero,
)
from property_mgmt.models import Bill, BillEvent, BillingPolicy, BillLine, Unit
from property_mgmt.services.collection import billing_policy
from wallet.services.idempotency import Idempotency, execute

Status = Bill.Status
# Bills a resident still owes: the only ones that may change or accrue late fees.
UNPAID = (Status.OPEN, Status.OVERDUE)
MAX_REASON = 300
MAX_ADHOC_LINES = 20
MAX_LINE_MINOR = 10**10  # ¥100,000,000.00: far above any property charge, far below overflow
LATE_FEE_BATCH = 500
FEN = Decimal(1)


def _require_staff(manager: Any, neighbourhood_id: int) -> None:
    """Staff of another estate are told nothing exists (as the pages and API answer)."""
    if not is_estate_staff(manager, neighbourhood_id):
        raise NotFound()


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BillReasonMissing()
    return reason[:MAX_REASON]


def _lock_changeable(bill_id: int) -> Bill:
    """The bill, row-locked, if it is still open or overdue."""
    locked = Bill.objects.select_for_update().get(pk=bill_id)
    if locked.status not in UNPAID:
        raise BillNotChangeable()
    return locked


def _total_of_lines(bill_id: int) -> int:
    return int(
        BillLine.objects.filter(bill_id=bill_id).aggregate(s=Coalesce(Sum("amount_minor"), 0))["s"]
    )


# --- a manager's changes -------------------------------------------------------------------


def bill_adjust(
    *,
    manager: Any,
    bill: Bill,
    amount_minor: int,
    reason: str,
    idempotency: Idempotency | None = None,
) -> Bill:
    """Add (positive) or take off (negative) ``amount_minor`` as an ``ADJUSTMENT`` line.

    Locks the bill row; refuses a bill that is paid, waived or cancelled, and an amount
    that would take the total below zero. Records an ``ADJUSTED`` event with the manager,
    the amount and the reason. The total is recomputed from the lines. With
    ``idempotency``, a repeated request replays the first answer instead of adjusting twice.
    Adjustments count in the principal that later late fees are computed on.
    """
    _require_staff(manager, bill.neighbourhood_id)
    if not amount_minor or abs(amount_minor) > MAX_LINE_MINOR:
        raise BillAdjustmentInvalid()
    reason = _clean_reason(reason)

    def work() -> Bill:
        locked = _lock_changeable(bill.pk)
        if locked.total_minor + amount_minor < 0:
            raise BillTotalBelowZero()
        BillLine.objects.create(
            bill=locked,
            kind=BillLine.Kind.ADJUSTMENT,
            description=reason[:200],
            quantity=Decimal(1),
            unit_price=Decimal(amount_minor) / 100,
            amount_minor=amount_minor,
        )
        locked.total_minor = _total_of_lines(locked.pk)
        locked.save(update_fields=["total_minor"])
        BillEvent.objects.create(
            bill=locked,
            kind=BillEvent.Kind.ADJUSTED,
            amount_minor=amount_minor,
            reason=reason,
            actor=manager,
        )
        return locked

    return execute(idempotency, work)


def _close(*, manager: Any, bill: Bill, reason: str, status: str, event: str) -> Bill:
    _require_staff(manager, bill.neighbourhood_id)
    reason = _clean_reason(reason)
    with transaction.atomic(durable=True):
        locked = _lock_changeable(bill.pk)
        locked.status = status
        locked.save(update_fields=["status"])
        BillEvent.objects.create(
            bill=locked, kind=event, amount_minor=locked.total_minor, reason=reason, actor=manager
        )
    return locked


def bill_waive(*, manager: Any, bill: Bill, reason: str) -> Bill:
    """Forgive what the bill asks: status ``WAIVED``, a ``WAIVED`` event with the total
    forgiven, the manager and the reason.

    Locks the bill row; refuses a bill that is paid, waived or cancelled (so a second
    click is refused, not recorded twice). The lines and total stay as the record of what
    was forgiven; no late fee accrues on a waived bill.
    """
    return _close(
        manager=manager,
        bill=bill,
        reason=reason,
        status=Status.WAIVED,
        event=BillEvent.Kind.WAIVED,
    )


def bill_cancel(*, manager: Any, bill: Bill, reason: str) -> Bill:
    """Withdraw a bill issued in error: status ``CANCELLED`` and a ``CANCELLED`` event.

    Unlike a waiver (a debt forgiven), a cancelled bill was never owed; reports leave it out
    of what was billed. Same locks and refusals as ``bill_waive``.
    """
    return _close(
        manager=manager,
        bill=bill,
        reason=reason,
        status=Status.CANCELLED,
        event=BillEvent.Kind.CANCELLED,
    )


@dataclass(frozen=True)
class AdhocLine:
    description: str
    amount_minor: int


def bill_create_adhoc(
    *,
    manager: Any,
    unit: Unit,
    title: str,
    lines: Sequence[AdhocLine | tuple[str, int]],
    due_date: date,
    idempotency: Idempotency | None = None,
) -> Bill:
    """Issue a one-off bill (kind ``ADHOC``) for ``unit``: one ``ONE_OFF`` line per entry.

    Each line's amount is positive fen; there are 1 to 20 lines; the due date is today or
    later. Writes the bill, its lines and an ``ISSUED`` event with the manager in one durable
    transaction (nothing to lock: the bill is new). With ``idempotency`` a repeated request
    returns the first bill instead of issuing a second.
    """
    neighbourhood_id = unit.building.neighbourhood_id
    _require_staff(manager, neighbourhood_id)
    title = (title or "").strip()[:100]
    entries = [
        line if isinstance(line, AdhocLine) else AdhocLine(str(line[0]), int(line[1]))
        for line in lines
    ]
    if (
        not title
        or not entries
        or len(entries) > MAX_ADHOC_LINES
        or any(
            not e.description.strip() or not 0 < e.amount_minor <= MAX_LINE_MINOR for e in entries
        )
        or due_date < timezone.localdate()
    ):
        raise AdhocBillInvalid()

    def work() -> Bill:
        bill = Bill.objects.create(
            unit=unit,
            neighbourhood_id=neighbourhood_id,
            kind=Bill.Kind.ADHOC,
            period=None,
            title=title,
            status=Status.OPEN,
            total_minor=sum(e.amount_minor for e in entries),
            due_date=due_date,
        )
        BillLine.objects.bulk_create(
            BillLine(
                bill=bill,
                kind=BillLine.Kind.ONE_OFF,
                description=e.description.strip()[:200],
                quantity=Decimal(1),
                unit_price=Decimal(e.amount_minor) / 100,
                amount_minor=e.amount_minor,
            )
            for e in entries
        )
        BillEvent.objects.create(
            bill=bill, kind=BillEvent.Kind.ISSUED, amount_minor=bill.total_minor, actor=manager
        )
        return bill

    return execute(idempotency, work)


# --- late fees -----------------------------------------------------------------------------


def late_fee_first_day(*, due_date: date, grace_days: int) -> date:
    """The first day a bill is overdue and charged: the day after the grace period."""
    return due_date + timedelta(days=grace_days + 1)


def late_fee_for_day(
    *, principal_minor: int, accrued_minor: int, daily_rate: Decimal, cap_rate: Decimal
) -> int:
    """One day's late fee in fen: ``principal * daily_rate`` rounded half up once, but no
    more than what is left under ``principal * cap_rate`` (that cap rounded down).

    0 when the principal is not positive or the cap is reached.
    """
    if principal_minor <= 0:
        return 0
    principal = Decimal(principal_minor)
    daily = int((principal * daily_rate).quantize(FEN, rounding=ROUND_HALF_UP))
    cap = int((principal * cap_rate).quantize(FEN, rounding=ROUND_DOWN))
    return max(0, min(daily, cap - accrued_minor))


@dataclass(frozen=True)
class LateFeeResult:
    became_overdue: int
    lines_added: int


def _policies_by_estate(estate_ids: set[int]) -> dict[int, BillingPolicy]:
    policies = {
        p.neighbourhood_id: p for p in BillingPolicy.objects.filter(neighbourhood_id__in=estate_ids)
    }
    # Estates without a policy get their company's default, once per estate (not per bill).
    for estate in Neighbourhood.objects.filter(pk__in=estate_ids - set(policies)):
        policies[estate.pk] = billing_policy(estate)
    return policies


def _overdue_filter(policies: dict[int, BillingPolicy], today: date) -> Q:
    """Bills past their due date plus grace: one clause per distinct grace period."""
    by_grace: dict[int, list[int]] = {}
    for estate_id, policy in policies.items():
        by_grace.setdefault(policy.grace_days, []).append(estate_id)
    condition = Q(pk__in=[])
    for grace, estate_ids in by_grace.items():
        condition |= Q(neighbourhood_id__in=estate_ids, due_date__lt=today - timedelta(days=grace))
    return condition


def late_fees_accrue(*, today: date | None = None, batch: int = LATE_FEE_BATCH) -> LateFeeResult:
    """Mark bills overdue and add ``today``'s late-fee line to each (see the module notes).

    Bulk: a fixed number of queries per ``batch`` bills, never one per bill. Each batch runs
    in its own durable transaction: it locks its bills (``select_for_update``, primary-key
    order, re-checking that they are still unpaid and past grace), sums their lines, inserts
    the late-fee lines ignoring conflicts (the one-a-day constraint makes a second run a
    no-op), turns ``open`` bills ``overdue`` with one ``OVERDUE`` event each (the event's
    unique constraint holds it to one) and recomputes the totals of bills that got a line.
    Idempotent per day; safe to run concurrently with itself and with payments.
    """
    today = today or timezone.localdate()
    estate_ids = set(
        Bill.objects.filter(status__in=UNPAID, due_date__lt=today, total_minor__gt=0)
        .order_by()
        .values_list("neighbourhood_id", flat=True)
        .distinct()
    )
    if not estate_ids:
        return LateFeeResult(0, 0)
    policies = _policies_by_estate(estate_ids)
    overdue = _overdue_filter(policies, today)
    candidate_ids = list(
        Bill.objects.filter(overdue, status__in=UNPAID, total_minor__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    became = added = 0
    for start in range(0, len(candidate_ids), batch):
        chunk_became, chunk_added = _accrue_batch(
            candidate_ids[start : start + batch], overdue, policies, today
        )
        became += chunk_became
        added += chunk_added
    return LateFeeResult(became, added)


def _accrue_batch(
    bill_ids: list[int], overdue: Q, policies: dict[int, BillingPolicy], today: date
) -> tuple[int, int]:
    with transaction.atomic(durable=True), translation.override(settings.LANGUAGE_CODE):
        # Locks in primary-key order, as the payment service takes them; a bill paid or
        # waived since the candidates were read drops out here.
        locked = list(
            Bill.objects.select_for_update()
            .filter(overdue, pk__in=bill_ids, status__in=UNPAID, total_minor__gt=0)
            .order_by("pk")
            .values_list("pk", "status", "neighbourhood_id")
        )
        if not locked:
            return 0, 0
        ids = [pk for pk, _status, _estate in locked]
        sums = {
            row["bill_id"]: row
            for row in BillLine.objects.filter(bill_id__in=ids)
            .order_by()
            .values("bill_id")
            .annotate(
                principal=Sum("amount_minor", filter=~Q(kind=BillLine.Kind.LATE_FEE)),
                accrued=Sum("amount_minor", filter=Q(kind=BillLine.Kind.LATE_FEE)),
                today_lines=Count("pk", filter=Q(kind=BillLine.Kind.LATE_FEE, accrued_on=today)),
            )
        }
        description = gettext("Late fee for %(day)s") % {"day": today.isoformat()}
        lines: list[BillLine] = []
        for pk, _status, estate_id in locked:
            row = sums.get(pk)
            if row is None or row["today_lines"]:
                continue
            policy = policies[estate_id]
            amount = late_fee_for_day(
                principal_minor=int(row["principal"] or 0),
                accrued_minor=int(row["accrued"] or 0),
                daily_rate=policy.late_fee_daily_rate,
                cap_rate=policy.late_fee_cap_rate,
            )
            if amount:
                lines.append(
                    BillLine(
                        bill_id=pk,
                        kind=BillLine.Kind.LATE_FEE,
                        description=description,
                        quantity=Decimal(1),
                        unit_price=Decimal(amount) / 100,
                        amount_minor=amount,
                        accrued_on=today,
                    )
                )
        if lines:
            BillLine.objects.bulk_create(lines, ignore_conflicts=True)
            line_sums = (
                BillLine.objects.filter(bill_id=OuterRef("pk"))
                .order_by()
                .values("bill_id")
                .annotate(s=Sum("amount_minor"))
                .values("s")
            )
            Bill.objects.filter(pk__in=[line.bill_id for line in lines]).update(
                total_minor=Coalesce(Subquery(line_sums), 0)
            )
        newly_overdue = [pk for pk, status, _estate in locked if status == Status.OPEN]
        if newly_overdue:
            Bill.objects.filter(pk__in=newly_overdue).update(status=Status.OVERDUE)
            BillEvent.objects.bulk_create(
                (BillEvent(bill_id=pk, kind=BillEvent.Kind.OVERDUE) for pk in newly_overdue),
                ignore_conflicts=True,
            )
        return len(newly_overdue), len(lines)


# --- reads (pages and API) -----------------------------------------------------------------


def estate_bill(*, neighbourhood_id: int, bill_id: int) -> Bill:
    """A bill of the estate (which the caller already manages) with its unit, lines
    and audit trail, in a fixed number of queries; another estate's bill is 404."""
    bill = (
        Bill.objects.select_related("unit__building", "paid_by")
        .prefetch_related(
            Prefetch("lines", queryset=BillLine.objects.order_by("id")),
            Prefetch("events", queryset=BillEvent.objects.select_related("actor")),
        )
        .filter(pk=bill_id, neighbourhood_id=neighbourhood_id)
        .first()
    )
    if bill is None:
        raise NotFound()
    return bill


def estate_units(neighbourhood: Neighbourhood) -> QuerySet[Unit]:
    """The estate's units in building and number order, for choosing one."""
    return (
        Unit.objects.filter(building__neighbourhood=neighbourhood)
        .select_related("building")
        .order_by("building__name", "number")
    )


def estate_unit(neighbourhood: Neighbourhood, unit_id: int) -> Unit:
    unit = estate_units(neighbourhood).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def is_changeable(bill: Bill) -> bool:
    return bill.status in UNPAID
