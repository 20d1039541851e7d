"""Fee rates, meter readings and one-off charges: what the monthly billing run bills.

Every change is made by estate staff (anyone else gets 404, as if the estate did not exist)
and none may alter a month whose bills are already issued: each service locks the estate's
billing-run rows of the months it touches (``FOR UPDATE``), the same rows the billing run
locks when it starts issuing, so a change either lands before the run reads it or is refused.

Amounts: rates are ``Decimal`` yuan with at most four places; readings ``Decimal`` with two;
one-off charges are integer fen. Nothing here rounds: see ``property_mgmt.fees``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Neighbourhood
from property_mgmt import fees
from property_mgmt.errors import (
    ChargeInvalid,
    ChargeMonthBilled,
    FeeRateInvalid,
    FeeRateMonthBilled,
    ReadingAboveNext,
    ReadingBelowPrevious,
    ReadingInFuture,
    ReadingInvalid,
    ReadingMonthBilled,
    ReadingsFileUnreadable,
    ReadingsImportInvalid,
)
from property_mgmt.models import BillingRun, Building, FeeRate, MeterReading, OneOffCharge, Unit
from property_mgmt.selectors import managed_neighbourhood

METERED = {FeeRate.Kind.WATER, FeeRate.Kind.ELECTRICITY}
MAX_PRICE = Decimal("999999.9999")
MAX_READING = Decimal("9999999999.99")
MAX_CHARGE_MINOR = 100_000_000_00
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 20_000
BILLED = (BillingRun.Status.ISSUING, BillingRun.Status.ISSUED)

# Column names a manager's sheet may use, in English or Chinese.
COLUMNS = {
    "building": {"building", "楼栋", "楼号", "楼"},
    "unit": {"unit", "房号", "单元", "房间"},
    "meter": {"meter", "表", "表类", "类型"},
    "reading": {"reading", "读数", "示数"},
}
METER_NAMES = {
    "water": MeterReading.Meter.WATER,
    "水": MeterReading.Meter.WATER,
    "水表": MeterReading.Meter.WATER,
    "electricity": MeterReading.Meter.ELECTRICITY,
    "电": MeterReading.Meter.ELECTRICITY,
    "电表": MeterReading.Meter.ELECTRICITY,
}


def _billed_from(neighbourhood_id: int, period: date, *, only_that_month: bool = False) -> bool:
    """Lock the estate's runs from ``period`` on (or of that month) and say if any has
    started issuing. Requires an open transaction."""
    runs = BillingRun.objects.select_for_update().filter(neighbourhood_id=neighbourhood_id)
    runs = runs.filter(period=period) if only_that_month else runs.filter(period__gte=period)
    return any(status in BILLED for status in runs.values_list("status", flat=True))


def _this_month() -> date:
    return fees.month_start(timezone.localdate())


# --- rates -----------------------------------------------------------------------------------


def rate_value(rate: FeeRate) -> fees.Rate:
    """A ``FeeRate`` row as the fee engine's ``Rate``."""
    return fees.Rate(
        effective_from=rate.effective_from,
        price=rate.price,
        tiers=fees.parse_tiers(rate.tiers) if rate.tiers else (),
        building_id=rate.building_id,
        unit_kind=rate.unit_kind,
        id=rate.pk,
    )


def _check_price(price: Decimal, field: str) -> None:
    if not price.is_finite() or price < 0 or price > MAX_PRICE or price != round(price, 4):
        raise FeeRateInvalid(
            fields={field: [_("Enter a price of at least 0 with at most four decimal places.")]}
        )


def fee_rate_set(
    *,
    manager: Any,
    neighbourhood: Neighbourhood,
    kind: str,
    effective_from: date,
    price: Decimal | None = None,
    tiers: Sequence[Sequence[Any]] | None = None,
    building: Building | None = None,
    unit_kind: str = "",
) -> FeeRate:
    """Set a price from ``effective_from`` on, for the estate, one building or one unit kind.

    Property and parking take ``price``; water and electricity take ``tiers``
    (``[["10", "3.50"], [None, "5.00"]]``) or a flat ``price`` (one open-ended tier). A second
    rate for the same scope and day replaces the first.

    Locks the estate's billing runs from that month on; refuses (``fee_rate_month_billed``)
    if one has started issuing, since the rate would reach a month already billed.
    """
    managed_neighbourhood(manager, neighbourhood.pk)
    if kind not in FeeRate.Kind.values:
        raise FeeRateInvalid(fields={"kind": [_("Choose a fee.")]})
    if building is not None and building.neighbourhood_id != neighbourhood.pk:
        raise FeeRateInvalid(fields={"building": [_("Choose a building of this estate.")]})
    if unit_kind and unit_kind not in Unit.Kind.values:
        raise FeeRateInvalid(fields={"unit_kind": [_("Choose a kind of unit.")]})
    stored_tiers: list[list[str | None]] = []
    if kind in METERED:
        if tiers:
            try:
                parsed = fees.parse_tiers(tiers)
            except ValueError:
                raise FeeRateInvalid(
                    fields={
                        "tiers": [
                            _(
                                "Give each tier an upper limit above the one before and a "
                                "price; leave the last tier's limit empty."
                            )
                        ]
                    }
                ) from None
        elif price is not None:
            parsed = ((None, price),)
        else:
            raise FeeRateInvalid(fields={"tiers": [_("Give a price or tiers.")]})
        for _bound, tier_price in parsed:
            _check_price(tier_price, "tiers")
        price = parsed[0][1]
        stored_tiers = fees.tiers_as_json(parsed)
    elif price is None:
        raise FeeRateInvalid(fields={"price": [_("Give a price.")]})
    elif tiers:
        raise FeeRateInvalid(fields={"tiers": [_("Only water and electricity have tiers.")]})
    _check_price(price, "price")

    with transaction.atomic(durable=True):
        if _billed_from(neighbourhood.pk, fees.month_start(effective_from)):
            raise FeeRateMonthBilled()
        rate, _created = FeeRate.objects.update_or_create(
            neighbourhood=neighbourhood,
            kind=kind,
            building=building,
            unit_kind=unit_kind,
            effective_from=effective_from,
            defaults={"price": price, "tiers": stored_tiers, "created_by": manager},
        )
    return rate


def fee_rates_of(neighbourhood: Neighbourhood) -> QuerySet[FeeRate]:
    """The estate's rates by fee and date, with their buildings (one query)."""
    return (
        FeeRate.objects.filter(neighbourhood=neighbourhood)
        .select_related("building")
        .order_by("kind", "-effective_from", "building__name", "unit_kind", "id")
    )


# --- readings --------------------------------------------------------------------------------


def _clean_reading(value: Any) -> Decimal:
    try:
        reading = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not reading.is_finite() or reading < 0 or reading > MAX_READING:
        raise ValueError("out of range")
    if reading != round(reading, 2):
        raise ValueError("more than two decimal places")
    return reading


def reading_record(
    *, manager: Any, unit: Unit, meter: str, period: date, reading: Decimal
) -> MeterReading:
    """Record ``unit``'s ``meter`` at ``period``'s month; usage is the rise since the meter's
    previous reading (the first reading of a meter is its baseline: usage 0, so a meter
    that did not start at zero is never billed for what it showed before).

    Entering a month again corrects it, and the next month's usage follows. Refuses a
    reading below the previous one (``reading_below_previous``) or above the next
    (``reading_above_next``), a future month, and any month from one whose bills were
    issued on (``reading_month_billed``): the next reading then covers the gap.

    Locks the estate's billing runs from that month on, then the meter's readings.
    """
    neighbourhood_id = Building.objects.values_list("neighbourhood_id", flat=True).get(
        pk=unit.building_id
    )
    managed_neighbourhood(manager, neighbourhood_id)
    if meter not in MeterReading.Meter.values:
        raise ReadingInvalid(fields={"meter": [_("Choose water or electricity.")]})
    period = fees.month_start(period)
    if period > _this_month():
        raise ReadingInFuture()
    try:
        value = _clean_reading(reading)
    except ValueError:
        raise ReadingInvalid(
            fields={"reading": [_("Enter a reading of at least 0 with at most two decimals.")]}
        ) from None
    with transaction.atomic(durable=True):
        if _billed_from(neighbourhood_id, period):
            raise ReadingMonthBilled()
        readings = list(
            MeterReading.objects.select_for_update()
            .filter(unit=unit, meter=meter)
            .order_by("period")
        )
        earlier = [r for r in readings if r.period < period]
        later = [r for r in readings if r.period > period]
        previous = earlier[-1] if earlier else None
        following = later[0] if later else None
        if previous is not None and value < previous.reading:
            raise ReadingBelowPrevious()
        if following is not None and value > following.reading:
            raise ReadingAboveNext()
        usage = value - previous.reading if previous is not None else Decimal(0)
        current, _created = MeterReading.objects.update_or_create(
            unit=unit,
            meter=meter,
            period=period,
            defaults={"reading": value, "usage": usage, "entered_by": manager},
        )
        if following is not None:
            following.usage = following.reading - value
            following.save(update_fields=["usage"])
    return current


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


def _read_csv(data: bytes | str | IO[bytes]) -> list[dict[str, str]]:
    if not isinstance(data, (bytes, str)):
        data = data.read(IMPORT_MAX_BYTES + 1)
    if isinstance(data, bytes):
        if len(data) > IMPORT_MAX_BYTES:
            raise ReadingsFileUnreadable()
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ReadingsFileUnreadable()
    else:
        text = str(data)
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:
            raise ReadingsFileUnreadable()
        names: list[str | None] = []
        for raw in header:
            key = raw.strip().lower()
            names.append(next((name for name, aliases in COLUMNS.items() if key in aliases), None))
        if set(COLUMNS) - set(names):
            raise ReadingsFileUnreadable()
        rows = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append(
                {name: value.strip() for name, value in zip(names, values, strict=False) if name}
            )
            if len(rows) > IMPORT_MAX_ROWS:
                raise ReadingsFileUnreadable()
    except csv.Error:
        raise ReadingsFileUnreadable() from None
    return rows


def readings_import(
    *, manager: Any, neighbourhood: Neighbourhood, period: date, data: bytes | str | IO[bytes]
) -> int:
    """Import a month's readings from CSV (columns building, unit, meter, reading), all or
    nothing: every row is checked (known unit, water or electricity, a number with at most
    two decimals, not below the previous reading, no later month already read, no row
    twice) and if any is bad, ``readings_import_invalid`` lists each bad row with its column
    and reason, and nothing is written. Returns how many readings were written.

    Reads in a fixed number of queries, writes in bulk. Locks the estate's billing runs from
    that month on (refuses with ``reading_month_billed``), then the month's readings rows.
    """
    managed_neighbourhood(manager, neighbourhood.pk)
    period = fees.month_start(period)
    if period > _this_month():
        raise ReadingInFuture()
    rows = _read_csv(data)
    if not rows:
        raise ReadingsFileUnreadable()
    with transaction.atomic(durable=True):
        if _billed_from(neighbourhood.pk, period):
            raise ReadingMonthBilled()
        units = {
            (building, number): pk
            for pk, building, number in Unit.objects.filter(
                building__neighbourhood=neighbourhood
            ).values_list("pk", "building__name", "number")
        }
        in_estate = MeterReading.objects.filter(unit__building__neighbourhood=neighbourhood)
        current = {
            (r.unit_id, r.meter): r
            for r in in_estate.filter(period=period).select_for_update(of=("self",))
        }
        latest_before = (
            MeterReading.objects.filter(
                unit_id=OuterRef("unit_id"), meter=OuterRef("meter"), period__lt=period
            )
            .order_by("-period")
            .values("pk")[:1]
        )
        previous = {
            (unit_id, meter): reading
            for unit_id, meter, reading in in_estate.filter(
                period__lt=period, pk=Subquery(latest_before)
            ).values_list("unit_id", "meter", "reading")
        }
        read_later = set(in_estate.filter(period__gt=period).values_list("unit_id", "meter"))

        errors: list[RowError] = []
        seen: set[tuple[int, str]] = set()
        planned: list[tuple[int, str, Decimal, Decimal]] = []
        for number, row in enumerate(rows, start=2):
            unit_id = units.get((row.get("building", ""), row.get("unit", "")))
            meter = METER_NAMES.get(row.get("meter", "").lower())
            if unit_id is None:
                errors.append(RowError(number, "unit", str(_("No such unit in this estate."))))
            if meter is None:
                errors.append(RowError(number, "meter", str(_("Write water or electricity."))))
            try:
                value = _clean_reading(row.get("reading", ""))
            except ValueError:
                errors.append(
                    RowError(
                        number,
                        "reading",
                        str(_("Enter a reading of at least 0 with at most two decimals.")),
                    )
                )
                continue
            if unit_id is None or meter is None:
                continue
            key = (unit_id, str(meter))
            if key in seen:
                errors.append(RowError(number, "unit", str(_("This unit's meter appears twice."))))
                continue
            seen.add(key)
            before = previous.get(key)
            if before is not None and value < before:
                errors.append(
                    RowError(
                        number,
                        "reading",
                        str(
                            _("Lower than the previous reading (%(previous)s).")
                            % {"previous": before}
                        ),
                    )
                )
                continue
            if key in read_later:
                errors.append(
                    RowError(
                        number,
                        "reading",
                        str(_("A later month is already read: correct this one on its own.")),
                    )
                )
                continue
            usage = value - before if before is not None else Decimal(0)
            planned.append((unit_id, str(meter), value, usage))
        if errors:
            raise ReadingsImportInvalid(extra={"rows": [e.as_dict() for e in errors]})

        creates, updates = [], []
        for unit_id, meter_name, value, usage in planned:
            existing = current.get((unit_id, meter_name))
            if existing is None:
                creates.append(
                    MeterReading(
                        unit_id=unit_id,
                        meter=meter_name,
                        period=period,
                        reading=value,
                        usage=usage,
                        entered_by=manager,
                    )
                )
            else:
                existing.reading, existing.usage, existing.entered_by = value, usage, manager
                updates.append(existing)
        MeterReading.objects.bulk_create(creates)
        MeterReading.objects.bulk_update(updates, ["reading", "usage", "entered_by"])
    return len(planned)


def readings_of(neighbourhood: Neighbourhood, period: date) -> QuerySet[MeterReading]:
    """The month's readings of the estate with their units and buildings (one query)."""
    return (
        MeterReading.objects.filter(
            unit__building__neighbourhood=neighbourhood, period=fees.month_start(period)
        )
        .select_related("unit__building")
        .order_by("unit__building__name", "unit__number", "meter")
    )


# --- one-off charges -------------------------------------------------------------------------


def one_off_charge_add(
    *, manager: Any, unit: Unit, description: str, amount_minor: int, period: date
) -> OneOffCharge:
    """Charge ``unit`` ``amount_minor`` fen once, on the bill of ``period``'s month.

    Locks that month's billing run; refuses (``charge_month_billed``) if it has started
    issuing, since the charge would then never be billed.
    """
    neighbourhood_id = Building.objects.values_list("neighbourhood_id", flat=True).get(
        pk=unit.building_id
    )
    managed_neighbourhood(manager, neighbourhood_id)
    description = description.strip()
    if not description or not 0 < amount_minor <= MAX_CHARGE_MINOR:
        raise ChargeInvalid()
    period = fees.month_start(period)
    with transaction.atomic(durable=True):
        if _billed_from(neighbourhood_id, period, only_that_month=True):
            raise ChargeMonthBilled()
        return OneOffCharge.objects.create(
            unit=unit,
            description=description[:100],
            amount_minor=amount_minor,
            period=period,
            created_by=manager,
        )


def charges_of(neighbourhood: Neighbourhood) -> QuerySet[OneOffCharge]:
    """The estate's one-off charges, latest month first, with their units (one query)."""
    return (
        OneOffCharge.objects.filter(unit__building__neighbourhood=neighbourhood)
        .select_related("unit__building")
        .order_by("-period", "-id")
    )


def unit_in_estate(neighbourhood: Neighbourhood, building: str, number: str) -> Unit | None:
    """The unit numbered ``number`` in the building named ``building`` of the estate."""
    return (
        Unit.objects.filter(
            building__neighbourhood=neighbourhood, building__name=building.strip(), number=number
        )
        .select_related("building")
        .first()
    )
