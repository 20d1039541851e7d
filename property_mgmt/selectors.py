from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from community.models import Neighbourhood, User
from community.selectors import staff_neighbourhood_ids
from core.errors import NotFound
from property_mgmt.models import Building, PropertyCompany


def companies_for_staff(user: User) -> QuerySet[PropertyCompany]:
    """Companies ``user`` works for, each with its estates and their buildings' unit counts.

    A fixed number of queries however many estates and buildings there are.
    """
    buildings = Building.objects.annotate(unit_count=Count("units")).order_by("name")
    estates = Neighbourhood.objects.prefetch_related(Prefetch("buildings", queryset=buildings))
    return (
        PropertyCompany.objects.filter(staff__user=user)
        .prefetch_related(Prefetch("neighbourhoods", queryset=estates))
        .order_by("name")
        .distinct()
    )


def managed_neighbourhood(user: Any, neighbourhood_id: int) -> Neighbourhood:
    """An estate ``user`` is property staff of; any other is 404, as if it did not exist."""
    if neighbourhood_id not in staff_neighbourhood_ids(user):
        raise NotFound()
    return Neighbourhood.objects.get(pk=neighbourhood_id)


def managed_neighbourhoods(user: Any) -> QuerySet[Neighbourhood]:
    return Neighbourhood.objects.filter(pk__in=staff_neighbourhood_ids(user)).order_by("name")
