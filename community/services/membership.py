"""Who belongs to which estate.

A resident follows an estate to browse it (visitor); the property app confirms household
members (member), which may raise their verification level to III; property staff get a
staff membership for each estate their company manages.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.errors import NotAMember
from community.models import LevelChange, Membership, Neighbourhood
from community.selectors import is_confirmed_member
from community.services.verification import level_recompute
from core.notifications import notify


def neighbourhood_follow(*, user: Any, neighbourhood: Neighbourhood) -> Membership:
    """Follow an estate to browse its circles and notices (idempotent)."""
    try:
        with transaction.atomic():
            membership, _created = Membership.objects.get_or_create(
                user_id=user.pk, neighbourhood=neighbourhood
            )
    except IntegrityError:
        membership = Membership.objects.get(user_id=user.pk, neighbourhood=neighbourhood)
    return membership


def neighbourhood_unfollow(*, user: Any, neighbourhood: Neighbourhood) -> None:
    """Stop following an estate; a confirmed member or staff membership stays."""
    Membership.objects.filter(
        user_id=user.pk, neighbourhood=neighbourhood, status=Membership.Status.VISITOR
    ).delete()


def _set_status(user: Any, neighbourhood: Neighbourhood, status: str, **fields: Any) -> Membership:
    membership, _created = Membership.objects.select_for_update().get_or_create(
        user_id=user.pk, neighbourhood=neighbourhood, defaults={"status": status, **fields}
    )
    if not _created:
        membership.status = status
        for name, value in fields.items():
            setattr(membership, name, value)
        membership.save(update_fields=["status", *fields])
    return membership


@transaction.atomic
def membership_confirm(
    *,
    neighbourhood: Neighbourhood,
    user: Any,
    confirmed_by: Any,
    building_ref: int | None = None,
) -> Membership:
    """Confirm ``user`` as living in ``neighbourhood`` (called by the property app when a
    manager confirms a household member). Raises the user to level III if they are at II.
    """
    membership = _set_status(
        user,
        neighbourhood,
        Membership.Status.MEMBER,
        building_ref=building_ref,
        confirmed_by=confirmed_by,
        confirmed_at=timezone.now(),
    )
    level_recompute(user=user, source=LevelChange.Source.HOUSEHOLD, actor=confirmed_by)
    notify(
        user,
        kind="membership_confirmed",
        title=_("You are now a confirmed resident of %(estate)s") % {"estate": neighbourhood},
        body=_("You can post in its circles and ask neighbours for help."),
        url=f"/estates/{neighbourhood.pk}/",
    )
    return membership


def membership_place(*, neighbourhood: Neighbourhood, user: Any, building_ref: int | None) -> None:
    """Record which building a confirmed member lives in (the property app's household
    record says so); announcements for that building reach them from now on."""
    Membership.objects.filter(
        user_id=user.pk, neighbourhood=neighbourhood, status=Membership.Status.MEMBER
    ).update(building_ref=building_ref)


@transaction.atomic
def membership_end(*, neighbourhood: Neighbourhood, user: Any, actor: Any, reason: str) -> None:
    """The user no longer lives there: back to visitor; level III may fall to II."""
    Membership.objects.filter(
        user_id=user.pk, neighbourhood=neighbourhood, status=Membership.Status.MEMBER
    ).update(status=Membership.Status.VISITOR, confirmed_at=None, building_ref=None)
    level_recompute(user=user, source=LevelChange.Source.HOUSEHOLD, actor=actor, reason=reason)


@transaction.atomic
def staff_membership_grant(*, user: Any, neighbourhood: Neighbourhood) -> Membership:
    """Property staff of the company that manages ``neighbourhood`` (called by that app)."""
    return _set_status(user, neighbourhood, Membership.Status.STAFF)


def staff_membership_revoke(*, user: Any, neighbourhood: Neighbourhood) -> None:
    Membership.objects.filter(
        user_id=user.pk, neighbourhood=neighbourhood, status=Membership.Status.STAFF
    ).delete()


def require_member(user: Any, neighbourhood_id: int) -> None:
    """Posting, helping and red packets are for confirmed residents only."""
    if not is_confirmed_member(user, neighbourhood_id):
        raise NotAMember()
