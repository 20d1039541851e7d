"""Helpers of the billing tests: rates, occupied units and a month to bill.

June 2026 has 30 days, so a change on the 16th splits it 15 + 15; July has 31.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.models import Neighbourhood, User
from property_mgmt.models import Building, FeeRate, Unit
from property_mgmt.services import fees as fee_services
from tests.property_mgmt.conftest import make_household_member

JUNE = date(2026, 6, 1)
JULY = date(2026, 7, 1)
WATER_TIERS = [["10", "3.50"], [None, "5.00"]]


def set_rate(
    manager: User,
    estate: Neighbourhood,
    kind: str,
    price: str | None = None,
    *,
    effective_from: date = date(2026, 1, 1),
    **extra: Any,
) -> FeeRate:
    return fee_services.fee_rate_set(
        manager=manager,
        neighbourhood=estate,
        kind=kind,
        price=Decimal(price) if price is not None else None,
        effective_from=effective_from,
        **extra,
    )


def standard_rates(manager: User, estate: Neighbourhood) -> None:
    """Property ¥2.50/m², parking ¥300, water 10 m³ at ¥3.50 then ¥5.00, power ¥0.60/kWh."""
    set_rate(manager, estate, FeeRate.Kind.PROPERTY, "2.50")
    set_rate(manager, estate, FeeRate.Kind.PARKING, "300")
    set_rate(manager, estate, FeeRate.Kind.WATER, tiers=WATER_TIERS)
    set_rate(manager, estate, FeeRate.Kind.ELECTRICITY, "0.60")


def add_units(estate: Neighbourhood, count: int, *, building: str = "9号楼") -> list[Unit]:
    """``count`` more flats of 100.00 m² in a new building of ``estate``."""
    block = Building.objects.create(neighbourhood=estate, name=building, floors=30)
    return [
        Unit.objects.create(building=block, number=f"{n:04d}", area_m2=Decimal("100.00"))
        for n in range(count)
    ]


def occupy(unit: Unit, **extra: Any) -> User:
    return make_household_member(unit, **extra)


def queries_of(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)
