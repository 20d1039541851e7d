"""The fee engine: pure calculations on ``Decimal``, no database.

Rounding rule, the same for every line: a line's amount is computed exactly in ``Decimal``
(prices times measures times days; the one division, by the days of the month, is carried at
50 significant digits, far past any tie), then converted to fen **once**, ``ROUND_HALF_UP``.
No intermediate value is rounded, so a prorated line is never off by the rounding of its
parts.

Rates come in as ``Rate`` values (what ``FeeRate`` rows hold). Which rate applies to a unit on
a day: among the rates whose scope covers the unit, the most specific one in force that day
wins (building and unit kind > building > unit kind > estate-wide), and within one scope the
latest ``effective_from`` on or before the day. A month is cut into ``Segment`` values at
every day where that answer changes; a fee is then
``sum(price_i * measure * days_i) / days_in_month``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

FEN_PER_YUAN = 100
# Enough digits that the one division by the days of a month can never move a value across
# a half-fen boundary before it is rounded.
PRECISION = 50

Tier = tuple[Decimal | None, Decimal]  # (upper bound of the tier or None for "the rest", price)


@dataclass(frozen=True)
class Rate:
    """A price from a day on, for a scope: the whole estate, a building, a kind of unit."""

    effective_from: date
    price: Decimal = Decimal(0)
    tiers: tuple[Tier, ...] = ()
    building_id: int | None = None
    unit_kind: str = ""
    id: int | None = None

    @property
    def specificity(self) -> tuple[bool, bool]:
        """Compared as a tuple: a building beats a unit kind, which beats the estate."""
        return (self.building_id is not None, bool(self.unit_kind))

    def covers(self, *, building_id: int | None, unit_kind: str) -> bool:
        return (self.building_id is None or self.building_id == building_id) and (
            not self.unit_kind or self.unit_kind == unit_kind
        )


@dataclass(frozen=True)
class Segment:
    """Consecutive days of one month billed at one rate."""

    rate: Rate
    start: date
    days: int
    month_days: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


# --- months ----------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def days_in_month(period: date) -> int:
    return calendar.monthrange(period.year, period.month)[1]


def next_month(period: date) -> date:
    return (month_start(period) + timedelta(days=32)).replace(day=1)


def previous_month(period: date) -> date:
    return (month_start(period) - timedelta(days=1)).replace(day=1)


# --- which rate applies ----------------------------------------------------------------------


def rates_for_unit(rates: Iterable[Rate], *, building_id: int | None, unit_kind: str) -> list[Rate]:
    """The rates (of one fee) whose scope covers a unit of ``unit_kind`` in ``building_id``."""
    return [r for r in rates if r.covers(building_id=building_id, unit_kind=unit_kind)]


def applicable_rate(rates: Iterable[Rate], on: date) -> Rate | None:
    """The rate in force on ``on``: the most specific scope that has one in force, then the
    latest ``effective_from``. ``rates`` must already be those covering the unit."""
    in_force = [r for r in rates if r.effective_from <= on]
    if not in_force:
        return None
    return max(in_force, key=lambda r: (r.specificity, r.effective_from, r.id or 0))


def month_segments(period: date, rates: Sequence[Rate]) -> list[Segment]:
    """The days of ``period``'s month each rate covers, in order.

    ``rates`` are those of one fee covering one unit (see ``rates_for_unit``). The answer can
    only change on a day some rate takes effect, so only those days are examined. Days before
    any rate is in force are in no segment: they are not billed.
    """
    first = month_start(period)
    month_days = days_in_month(first)
    after = next_month(first)
    cuts = sorted({first, *(r.effective_from for r in rates if first < r.effective_from < after)})
    segments: list[Segment] = []
    for index, start in enumerate(cuts):
        stop = cuts[index + 1] if index + 1 < len(cuts) else after
        rate = applicable_rate(rates, start)
        if rate is None:
            continue
        days = (stop - start).days
        if segments and segments[-1].rate == rate:
            # A later rate of a less specific scope starting mid-month changes nothing.
            last = segments[-1]
            segments[-1] = Segment(last.rate, last.start, last.days + days, month_days)
        else:
            segments.append(Segment(rate, start, days, month_days))
    return segments


# --- amounts ---------------------------------------------------------------------------------


def to_fen(yuan: Decimal) -> int:
    """An exact amount in yuan, rounded to the fen once, half up."""
    return int((yuan * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _prorated_fen(weighted: Decimal, month_days: int) -> int:
    """``weighted`` is ``sum(amount_i * days_i)`` in yuan-days; divide once, round once."""
    with localcontext() as context:
        context.prec = PRECISION
        return to_fen(weighted / month_days)


def prorated_fee(measure: Decimal, segments: Sequence[Segment]) -> int:
    """``sum(price_i * measure * days_i) / days_in_month`` in fen, ``ROUND_HALF_UP`` once."""
    if not segments:
        return 0
    with localcontext() as context:
        context.prec = PRECISION
        weighted = sum((s.rate.price * measure * s.days for s in segments), Decimal(0))
    return _prorated_fen(weighted, segments[0].month_days)


def property_fee(area_m2: Decimal, segments: Sequence[Segment]) -> int:
    """The property fee of ``area_m2`` for a month, in fen.

    ``sum(price_i * area * days_i) / days_in_month``, exact, then ``ROUND_HALF_UP`` to the fen
    once: 89.50 m² at ¥2.50 for a whole month is ¥223.75.
    """
    return prorated_fee(area_m2, segments)


def parking_fee(spaces: Decimal | int, segments: Sequence[Segment]) -> int:
    """Parking for ``spaces`` spaces for a month, in fen; prorated and rounded as
    ``property_fee`` (exact, one ``ROUND_HALF_UP`` to the fen)."""
    return prorated_fee(Decimal(spaces), segments)


def tiered_charge(usage: Decimal, tiers: Sequence[Tier]) -> Decimal:
    """The exact charge in yuan (not rounded) for ``usage`` under a tiered tariff.

    ``tiers`` are (upper bound, price) with cumulative bounds and ``None`` for the rest:
    ``[(10, 3.50), (None, 5.00)]`` charges the first 10 units at 3.50 and the rest at 5.00,
    so 14 units cost 10 × 3.50 + 4 × 5.00 = 55.00. The caller rounds the line once.
    """
    if usage < 0:
        raise ValueError("usage cannot be negative")
    total = Decimal(0)
    floor = Decimal(0)
    for bound, price in tiers:
        top = usage if bound is None else min(usage, bound)
        if top > floor:
            total += (top - floor) * price
        if bound is None or usage <= bound:
            return total
        floor = bound
    raise ValueError("usage is above the last tier and the tariff has no open-ended tier")


def metered_fee(usage: Decimal, segments: Sequence[Segment]) -> int:
    """Water or electricity for a month's ``usage``, in fen.

    Each tariff in force during the month charges the whole usage, weighted by the days it
    was in force: ``sum(tiered_charge(usage, tiers_i) * days_i) / days_in_month``, exact, then
    ``ROUND_HALF_UP`` to the fen once. With one tariff all month it is simply the tiered charge.
    """
    if not segments:
        return 0
    with localcontext() as context:
        context.prec = PRECISION
        weighted = sum((tiered_charge(usage, s.rate.tiers) * s.days for s in segments), Decimal(0))
    return _prorated_fen(weighted, segments[0].month_days)


def average_price(segments: Sequence[Segment]) -> Decimal:
    """The day-weighted price, for display on a line (4 places); amounts never use it."""
    if not segments:
        return Decimal(0)
    with localcontext() as context:
        context.prec = PRECISION
        weighted = sum((s.rate.price * s.days for s in segments), Decimal(0))
        return (weighted / segments[0].month_days).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )


# --- tariffs as stored -----------------------------------------------------------------------


def parse_tiers(raw: object) -> tuple[Tier, ...]:
    """``[["10", "3.50"], [null, "5.00"]]`` as stored in ``FeeRate.tiers``, checked.

    Bounds must rise strictly and the last tier must be open-ended (``null``); prices are
    not negative. Raises ``ValueError`` with what is wrong.
    """
    if not isinstance(raw, (list, tuple)) or not raw:
        raise ValueError("a tariff needs at least one tier")
    tiers: list[Tier] = []
    previous: Decimal | None = Decimal(0)
    for index, item in enumerate(raw):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValueError(f"tier {index + 1} is not a pair of bound and price")
        bound_raw, price_raw = item
        try:
            bound = None if bound_raw in (None, "") else Decimal(str(bound_raw))
            price = Decimal(str(price_raw))
        except InvalidOperation:
            raise ValueError(f"tier {index + 1} is not a number") from None
        if not price.is_finite() or price < 0:
            raise ValueError(f"tier {index + 1} has a negative price")
        if previous is None:
            raise ValueError("only the last tier may be open-ended")
        if bound is not None and (not bound.is_finite() or bound <= previous):
            raise ValueError(f"tier {index + 1} must end above the tier before it")
        tiers.append((bound, price))
        previous = bound
    if tiers[-1][0] is not None:
        raise ValueError("the last tier must be open-ended")
    return tuple(tiers)


def tiers_as_json(tiers: Sequence[Tier]) -> list[list[str | None]]:
    return [[None if bound is None else str(bound), str(price)] for bound, price in tiers]
