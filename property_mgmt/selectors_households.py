"""Reads of an estate's records: buildings with their occupancy, units, household members,
and a resident's homes. Scoped by the caller (managers pass an estate they run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from community.models import Membership, Neighbourhood
from community.selectors import visible_neighbourhood
from core.errors import NotFound
from property_mgmt.models import Building, Household, Unit

# A household row that still counts: waiting for confirmation or confirmed.
OPEN_STATUSES = [Household.Status.PENDING, Household.Status.CONFIRMED]


@dataclass(frozen=True)
class BuildingOccupancy:
    building: Building
    units: int
    occupied: int


def estate_buildings(neighbourhood: Neighbourhood) -> list[BuildingOccupancy]:
    """Each building with its unit count and how many units have a confirmed household.

    Two queries however many buildings.
    """
    occupied_units = Unit.objects.filter(
        building__neighbourhood=neighbourhood, households__status=Household.Status.CONFIRMED
    ).distinct()
    occupied_by_building: dict[int, int] = {}
    for building_id in occupied_units.values_list("building_id", flat=True):
        occupied_by_building[building_id] = occupied_by_building.get(building_id, 0) + 1
    buildings = Building.objects.filter(neighbourhood=neighbourhood).annotate(
        unit_count=Count("units")
    )
    return [
        BuildingOccupancy(
            building=b,
            units=b.unit_count,
            occupied=occupied_by_building.get(b.pk, 0),
        )
        for b in buildings.order_by("name")
    ]


def estate_units(neighbourhood: Neighbourhood, *, building_id: int | None = None) -> QuerySet[Unit]:
    """Units of an estate with their building and counts of confirmed and pending members."""
    units = Unit.objects.filter(building__neighbourhood=neighbourhood)
    if building_id is not None:
        units = units.filter(building_id=building_id)
    return (
        units.select_related("building")
        .annotate(
            confirmed_count=Count(
                "households", filter=Q(households__status=Household.Status.CONFIRMED)
            ),
            pending_count=Count(
                "households", filter=Q(households__status=Household.Status.PENDING)
            ),
        )
        .order_by("building__name", "floor", "number", "pk")
    )


def estate_unit(neighbourhood: Neighbourhood, unit_id: int) -> Unit:
    """A unit of this estate, or 404."""
    unit = (
        Unit.objects.select_related("building")
        .filter(pk=unit_id, building__neighbourhood=neighbourhood)
        .first()
    )
    if unit is None:
        raise NotFound()
    return unit


def estate_building(neighbourhood: Neighbourhood, building_id: int) -> Building:
    building = Building.objects.filter(pk=building_id, neighbourhood=neighbourhood).first()
    if building is None:
        raise NotFound()
    return building


def unit_members(unit: Unit) -> QuerySet[Household]:
    """Who lives (or waits to be confirmed) in ``unit``: open rows, owners first."""
    return (
        Household.objects.filter(unit=unit, status__in=OPEN_STATUSES)
        .select_related("unit__building", "user")
        .order_by("relation", "pk")
    )


def estate_households(
    neighbourhood: Neighbourhood, *, status: str | None = None
) -> QuerySet[Household]:
    """Household rows of an estate with unit, building and account; newest first."""
    rows = Household.objects.filter(unit__building__neighbourhood=neighbourhood)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("unit__building", "user").order_by("-created_at", "-pk")


def pending_households(neighbourhood: Neighbourhood) -> QuerySet[Household]:
    """The confirmation queue: oldest first, so nobody waits longest."""
    return estate_households(neighbourhood, status=Household.Status.PENDING).order_by(
        "created_at", "pk"
    )


def estate_household(neighbourhood: Neighbourhood, household_id: int) -> Household:
    """A household row of this estate, or 404."""
    household = (
        Household.objects.select_related("unit__building", "user")
        .filter(pk=household_id, unit__building__neighbourhood=neighbourhood)
        .first()
    )
    if household is None:
        raise NotFound()
    return household


def my_homes(user: Any) -> list[Household]:
    """The caller's open household rows, each with its unit, building and estate.

    Only a confirmed row shows who else lives there (``members``: the confirmed members),
    so asking to be added to a unit reveals nothing about its residents. Two queries
    however many homes.
    """
    confirmed = Household.objects.filter(status=Household.Status.CONFIRMED).order_by(
        "relation", "pk"
    )
    rows = list(
        Household.objects.filter(user_id=user.pk, status__in=OPEN_STATUSES)
        .select_related("unit__building__neighbourhood")
        .prefetch_related(Prefetch("unit__households", queryset=confirmed, to_attr="confirmed"))
        .order_by("unit__building__neighbourhood__name", "unit__building__name", "unit__number")
    )
    for row in rows:
        row.members = (  # type: ignore[attr-defined]
            getattr(row.unit, "confirmed", [])
            if row.status == Household.Status.CONFIRMED
            else [row]
        )
    return rows


def requestable_estates(user: Any) -> QuerySet[Neighbourhood]:
    """Estates the resident follows or lives in, where they may ask to be added to a unit."""
    return (
        Neighbourhood.objects.filter(
            memberships__user_id=user.pk,
            memberships__status__in=[Membership.Status.VISITOR, Membership.Status.MEMBER],
        )
        .distinct()
        .order_by("name")
    )


def unit_for_request(user: Any, neighbourhood_id: int, building_id: int, number: str) -> Unit:
    """The unit a resident names in "I live here", in an estate they follow; else 404."""
    estate = visible_neighbourhood(user, neighbourhood_id)
    unit = (
        Unit.objects.select_related("building")
        .filter(
            building_id=building_id,
            building__neighbourhood=estate,
            number=" ".join(str(number or "").split()),
        )
        .first()
    )
    if unit is None:
        raise NotFound(_("There is no unit with this number in that building."))
    return unit
