"""Estates as residents and staff browse them: my estates, the directory, members lists.

Following and the membership states themselves live in ``membership.py``; this module adds
what the estate pages and the API need around them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from community.errors import MembershipNotFollowed, NotEstateStaff
from community.models import Membership, Neighbourhood
from community.phones import display_phone
from community.selectors import is_estate_staff, membership_of, visible_neighbourhood
from community.services.membership import neighbourhood_follow, neighbourhood_unfollow
from core.errors import NotFound

SEARCH_LIMIT = 20


# --- reads ---------------------------------------------------------------------------------


def my_memberships(user: Any) -> QuerySet[Membership]:
    """Every estate ``user`` follows, lives in or works for, with the estate loaded."""
    return (
        Membership.objects.filter(user_id=user.pk)
        .select_related("neighbourhood")
        .order_by("neighbourhood__name", "neighbourhood_id")
    )


def estate_search(user: Any, query: str) -> list[tuple[Neighbourhood, str | None]]:
    """Estates whose name, city or district contains ``query``, with the caller's status in
    each (None: not following). Names and cities are public: it is how people find an
    estate to follow; everything inside it stays behind a membership."""
    query = query.strip()
    if not query:
        return []
    rows = list(
        Neighbourhood.objects.filter(
            Q(name__icontains=query) | Q(city__icontains=query) | Q(district__icontains=query)
        ).order_by("name", "pk")[:SEARCH_LIMIT]
    )
    statuses = dict(
        Membership.objects.filter(
            user_id=user.pk, neighbourhood_id__in=[estate.pk for estate in rows]
        ).values_list("neighbourhood_id", "status")
    )
    return [(estate, statuses.get(estate.pk)) for estate in rows]


def estate_members(user: Any, neighbourhood_id: int) -> QuerySet[Membership]:
    """The estate's memberships for its staff, residents first by building. 404 if the
    caller has nothing to do with the estate; ``NotEstateStaff`` for its residents."""
    visible_neighbourhood(user, neighbourhood_id)
    if not is_estate_staff(user, neighbourhood_id):
        raise NotEstateStaff()
    return (
        Membership.objects.filter(neighbourhood_id=neighbourhood_id)
        .select_related("user")
        .order_by("status", "building_ref", "user_id")
    )


def phone_for_staff(e164: str) -> str:
    """Staff recognise a resident by the last four digits; the rest stays hidden."""
    digits = display_phone(e164).replace(" ", "")
    if len(digits) <= 4:
        return digits
    return "*" * (len(digits) - 4) + digits[-4:]


def estate_building_refs(neighbourhood_id: int) -> list[int]:
    """The buildings known in the estate so far: those its members were confirmed in."""
    refs = (
        Membership.objects.filter(neighbourhood_id=neighbourhood_id, building_ref__isnull=False)
        .values_list("building_ref", flat=True)
        .order_by("building_ref")
        .distinct()
    )
    return [ref for ref in refs if ref is not None]


# --- writes --------------------------------------------------------------------------------


def estate_follow(*, user: Any, neighbourhood_id: int) -> Membership:
    """Follow any estate of the directory (idempotent); 404 if there is no such estate.
    An existing member or staff membership is returned unchanged."""
    neighbourhood = Neighbourhood.objects.filter(pk=neighbourhood_id).first()
    if neighbourhood is None:
        raise NotFound()
    return neighbourhood_follow(user=user, neighbourhood=neighbourhood)


def estate_unfollow(*, user: Any, neighbourhood_id: int) -> None:
    """Stop following (idempotent). A confirmed resident or staff cannot unfollow: the
    property side ends those, so say so instead of silently doing nothing."""
    neighbourhood = Neighbourhood.objects.filter(pk=neighbourhood_id).first()
    if neighbourhood is None:
        raise NotFound()
    membership = membership_of(user, neighbourhood_id)
    if membership is not None and membership.status != Membership.Status.VISITOR:
        raise MembershipNotFollowed()
    neighbourhood_unfollow(user=user, neighbourhood=neighbourhood)
