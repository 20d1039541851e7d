from django.db.models import Count, Prefetch, QuerySet

from community.models import Neighbourhood, User
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
