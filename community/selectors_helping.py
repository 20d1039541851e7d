"""Reads of neighbour help, each scoped to who asks: requests and offers of the estates a
user belongs to (anything else is ``NotFound``, 404), an estate's board of open requests,
a person's own requests and offers, and the helpers' rating averages. The rules that
change a request are in ``community.services.helping``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from community.models import HelpOffer, HelpRating, HelpRequest, Neighbourhood, User
from community.selectors import hidden_author_ids
from core.errors import NotFound

Status = HelpRequest.Status
OfferStatus = HelpOffer.Status


def help_requests_visible(user: User) -> QuerySet[HelpRequest]:
    """Requests of the estates ``user`` belongs to in any way (visitor, member, staff)."""
    return HelpRequest.objects.filter(neighbourhood__memberships__user_id=user.pk)


def help_request_for(user: User, request_id: int) -> HelpRequest:
    """One request the user may see, else 404 (as if it did not exist)."""
    request = (
        help_requests_visible(user)
        .select_related("requester", "helper", "neighbourhood", "hold")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound()
    return request


def help_offer_for(user: User, offer_id: int) -> HelpOffer:
    offer = (
        HelpOffer.objects.filter(pk=offer_id, request__neighbourhood__memberships__user_id=user.pk)
        .select_related("request", "helper")
        .first()
    )
    if offer is None:
        raise NotFound()
    return offer


def help_board(user: User, neighbourhood: Neighbourhood) -> QuerySet[HelpRequest]:
    """Open requests of an estate, newest first, without those of people ``user`` blocked."""
    return (
        HelpRequest.objects.filter(
            neighbourhood=neighbourhood, status=Status.OPEN, expires_at__gt=timezone.now()
        )
        .exclude(requester_id__in=hidden_author_ids(user))
        .select_related("requester")
        .annotate(offer_count=Count("offers", filter=Q(offers__status=OfferStatus.OFFERED)))
        .order_by("-created_at", "-id")
    )


def help_requests_of(user: User, neighbourhood: Neighbourhood) -> QuerySet[HelpRequest]:
    return (
        HelpRequest.objects.filter(neighbourhood=neighbourhood, requester_id=user.pk)
        .select_related("helper")
        .order_by("-created_at", "-id")
    )


def help_offers_of(user: User, neighbourhood: Neighbourhood) -> QuerySet[HelpOffer]:
    return (
        HelpOffer.objects.filter(helper_id=user.pk, request__neighbourhood=neighbourhood)
        .select_related("request", "request__requester")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class RatingSummary:
    average: float | None
    count: int


def rating_summary(user_id: int) -> RatingSummary:
    """The average of the stars neighbours gave ``user_id`` for help, for profiles."""
    row = HelpRating.objects.filter(ratee_id=user_id).aggregate(
        average=Avg("stars"), count=Count("id")
    )
    average = row["average"]
    return RatingSummary(round(float(average), 1) if average is not None else None, row["count"])


def rating_summaries(user_ids: list[int]) -> dict[int, RatingSummary]:
    """Averages for many people in one query (offer lists)."""
    rows = (
        HelpRating.objects.filter(ratee_id__in=user_ids)
        .values("ratee_id")
        .annotate(average=Avg("stars"), count=Count("id"))
    )
    found = {
        row["ratee_id"]: RatingSummary(round(float(row["average"]), 1), row["count"])
        for row in rows
    }
    return {uid: found.get(uid, RatingSummary(None, 0)) for uid in user_ids}
