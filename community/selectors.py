"""Reads the community app reuses. Every one is scoped to the person who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from community.models import Block, Membership, Neighbourhood
from core.errors import NotFound


def neighbourhoods_for(user: Any) -> QuerySet[Neighbourhood]:
    """The estates a user follows, lives in or works for: all they may see."""
    return Neighbourhood.objects.filter(memberships__user_id=user.pk).distinct()


def membership_of(user: Any, neighbourhood_id: int) -> Membership | None:
    return Membership.objects.filter(user_id=user.pk, neighbourhood_id=neighbourhood_id).first()


def visible_neighbourhood(user: Any, neighbourhood_id: int) -> Neighbourhood:
    """The estate if ``user`` belongs to it in any way; otherwise 404, as if it did not exist."""
    neighbourhood = neighbourhoods_for(user).filter(pk=neighbourhood_id).first()
    if neighbourhood is None:
        raise NotFound()
    return neighbourhood


def is_confirmed_member(user: Any, neighbourhood_id: int) -> bool:
    return Membership.objects.filter(
        user_id=user.pk, neighbourhood_id=neighbourhood_id, status=Membership.Status.MEMBER
    ).exists()


def is_estate_staff(user: Any, neighbourhood_id: int) -> bool:
    return Membership.objects.filter(
        user_id=user.pk, neighbourhood_id=neighbourhood_id, status=Membership.Status.STAFF
    ).exists()


def staff_neighbourhood_ids(user: Any) -> set[int]:
    return set(
        Membership.objects.filter(user_id=user.pk, status=Membership.Status.STAFF).values_list(
            "neighbourhood_id", flat=True
        )
    )


def hidden_author_ids(user: Any) -> set[int]:
    """People whose content ``user`` does not see: those they blocked."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(Block.objects.filter(blocker_id=user.pk).values_list("blocked_id", flat=True))


def has_blocked(blocker_id: int, blocked_id: int) -> bool:
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()
