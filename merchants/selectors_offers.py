"""Reads of coupon campaigns: a shop's campaigns for its owner, the offers of an estate for
a resident, a resident's coupons, and who an offer is for.

Scoping: a shop's campaigns are its owner's (another shop's are 404, a cashier of the same
shop is told ``shop_owner_only``); an estate's offers are for people who belong to the
estate (404 otherwise), and so is every campaign of its shops. Every list takes a fixed
number of queries however many rows it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Circle, CircleMember, Neighbourhood
from community.selectors import membership_of, visible_neighbourhood
from community.selectors_circles import circles_for
from core.errors import NotFound
from merchants.errors import NotShopOwner
from merchants.models import Campaign, Coupon, Shop, ShopStaff
from wallet.models import Account, Payment

# A payment counts as a visit unless it was given back in full or cancelled.
VISIT_STATUSES = (Payment.Status.COMPLETED, Payment.Status.PARTIALLY_REFUNDED)


# --- the owner's campaigns -----------------------------------------------------------------


def owner_shop(user: Any, shop_id: int) -> Shop:
    """The shop ``shop_id`` if ``user`` owns it; 404 if they do not work there at all,
    ``NotShopOwner`` (403) for its cashiers."""
    role = (
        ShopStaff.objects.filter(shop_id=shop_id, user_id=user.pk)
        .select_related("shop", "shop__neighbourhood")
        .first()
    )
    if role is None:
        raise NotFound()
    if role.role != ShopStaff.Role.OWNER:
        raise NotShopOwner(_("Only the shop's owner may run its offers."))
    return role.shop


def shop_campaigns(shop: Shop) -> QuerySet[Campaign]:
    """The shop's campaigns, newest first, with their circles (one query)."""
    return Campaign.objects.filter(shop=shop).select_related("circle")


def shop_campaign(shop: Shop, campaign_id: int) -> Campaign:
    campaign = shop_campaigns(shop).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound()
    return campaign


def estate_circles(shop: Shop) -> QuerySet[Circle]:
    """The circles of the shop's estate, which an offer may be for."""
    return Circle.objects.filter(neighbourhood_id=shop.neighbourhood_id).order_by("name", "pk")


# --- who an offer is for -------------------------------------------------------------------


@dataclass(frozen=True)
class AudienceFacts:
    """What the audience rules need to know about one person in one estate."""

    member: bool  # any membership of the estate
    building_ref: int | None
    verification_level: int
    circle_ids: frozenset[int] = frozenset()  # circles they are an active member of
    last_paid: dict[int, datetime] = field(default_factory=dict)  # shop id -> last payment


def audience_facts(
    user: Any,
    estate_id: int,
    shop_ids: list[int],
    *,
    circles: bool = True,
    visits: bool = True,
) -> AudienceFacts:
    """The facts for ``user`` in the estate; circles and visits only when asked (each one
    query more)."""
    membership = membership_of(user, estate_id)
    circle_ids: frozenset[int] = frozenset()
    if circles and membership is not None:
        circle_ids = frozenset(
            circle.pk
            for circle in circles_for(user, estate_id)
            if getattr(circle, "my_status", None) == CircleMember.Status.ACTIVE
        )
    return AudienceFacts(
        member=membership is not None,
        building_ref=membership.building_ref if membership else None,
        verification_level=int(user.verification_level),
        circle_ids=circle_ids,
        last_paid=last_paid_at(user, shop_ids) if visits else {},
    )


def last_paid_at(user: Any, shop_ids: list[int]) -> dict[int, datetime]:
    """When ``user`` last paid each of the shops from their own wallet, for the payments
    that still stand (one query)."""
    if not shop_ids:
        return {}
    rows = (
        Payment.objects.filter(
            payer__owner_id=user.pk,
            payer__kind=Account.Kind.CUSTOMER,
            payee__kind=Account.Kind.MERCHANT,
            payee__owner_ref__in=[f"shop:{shop_id}" for shop_id in shop_ids],
            status__in=VISIT_STATUSES,
        )
        .values("payee__owner_ref")
        .annotate(last=Max("created_at"))
    )
    return {int(row["payee__owner_ref"].removeprefix("shop:")): row["last"] for row in rows}


def in_audience(campaign: Campaign, facts: AudienceFacts, *, now: datetime) -> bool:
    """Whether the person the facts describe is one the campaign is for.

    Everyone must belong to the shop's estate; then the campaign's audience decides, and
    ``verified_only`` asks for verification level I or above on top of it.
    """
    if not facts.member:
        return False
    if campaign.verified_only and facts.verification_level < 1:
        return False
    audience = campaign.audience
    if audience == Campaign.Audience.BUILDINGS:
        return facts.building_ref is not None and facts.building_ref in campaign.building_refs
    if audience == Campaign.Audience.CIRCLE:
        return campaign.circle_id in facts.circle_ids
    last = facts.last_paid.get(campaign.shop_id)
    if audience == Campaign.Audience.NEW_CUSTOMERS:
        return last is None
    if audience == Campaign.Audience.LAPSED_CUSTOMERS:
        return last is not None and last <= now - timedelta(days=campaign.lapsed_days)
    return True  # the whole neighbourhood


# --- offers for residents ------------------------------------------------------------------


def running(now: datetime, prefix: str = "") -> Q:
    """Campaigns that take claims and payments now, of shops still trading (``prefix``:
    the path to the campaign from the model filtered, such as ``"campaign__"``)."""
    return Q(
        **{
            f"{prefix}status": Campaign.Status.ACTIVE,
            f"{prefix}starts_at__lte": now,
            f"{prefix}ends_at__gt": now,
            f"{prefix}shop__status": Shop.Status.APPROVED,
        }
    )


@dataclass(frozen=True)
class Offer:
    campaign: Campaign
    left: int  # coupons still to claim
    mine: int  # coupons of it the person holds, used or not

    @property
    def can_claim(self) -> bool:
        return self.left > 0 and self.mine < self.campaign.per_resident_limit


def estate_offers(user: Any, estate_id: int) -> tuple[Neighbourhood, list[Offer]]:
    """The running offers of an estate's approved shops that ``user`` is in the audience
    of (404 if they do not belong to the estate), soonest ending first.

    At most seven queries however many offers: the estate, the campaigns with their shops,
    the membership, the circles (two), the visits and the person's coupons.
    """
    estate = visible_neighbourhood(user, estate_id)
    now = timezone.now()
    campaigns = list(
        Campaign.objects.filter(running(now), shop__neighbourhood=estate)
        .select_related("shop")
        .order_by("ends_at", "pk")
    )
    if not campaigns:
        return estate, []
    audiences = {campaign.audience for campaign in campaigns}
    facts = audience_facts(
        user,
        estate.pk,
        sorted({campaign.shop_id for campaign in campaigns}),
        circles=Campaign.Audience.CIRCLE in audiences,
        visits=bool(
            audiences & {Campaign.Audience.NEW_CUSTOMERS, Campaign.Audience.LAPSED_CUSTOMERS}
        ),
    )
    shown = [campaign for campaign in campaigns if in_audience(campaign, facts, now=now)]
    held = coupon_counts(user, [campaign.pk for campaign in shown])
    return estate, [
        Offer(
            campaign,
            left=campaign.budget_count - campaign.claimed_count,
            mine=held.get(campaign.pk, 0),
        )
        for campaign in shown
    ]


def coupon_counts(user: Any, campaign_ids: list[int]) -> dict[int, int]:
    if not campaign_ids:
        return {}
    rows = (
        Coupon.objects.filter(user_id=user.pk, campaign_id__in=campaign_ids)
        .values("campaign_id")
        .annotate(n=Count("pk"))
    )
    return {row["campaign_id"]: row["n"] for row in rows}


def claimable_campaign(user: Any, campaign_id: int) -> Campaign:
    """A campaign of a shop in an estate ``user`` belongs to, else 404 (whether it runs and
    whom it is for are the claim's own checks)."""
    campaign = (
        Campaign.objects.filter(pk=campaign_id, shop__neighbourhood__memberships__user_id=user.pk)
        .select_related("shop")
        .first()
    )
    if campaign is None:
        raise NotFound()
    return campaign


def shop_offers(shop_ids: list[int]) -> dict[int, list[Campaign]]:
    """The running campaigns with coupons left of each shop, for the directory (one query)."""
    if not shop_ids:
        return {}
    found: dict[int, list[Campaign]] = {}
    campaigns = Campaign.objects.filter(
        running(timezone.now()), shop_id__in=shop_ids, claimed_count__lt=F("budget_count")
    ).order_by("ends_at", "pk")
    for campaign in campaigns:
        found.setdefault(campaign.shop_id, []).append(campaign)
    return found


# --- a resident's coupons ------------------------------------------------------------------


def my_coupons(user: Any) -> QuerySet[Coupon]:
    """All of ``user``'s coupons with their campaign and shop, newest first (one query)."""
    return Coupon.objects.filter(user_id=user.pk).select_related(
        "campaign", "campaign__shop", "campaign__shop__neighbourhood"
    )


def my_coupon(user: Any, coupon_id: int) -> Coupon:
    coupon = my_coupons(user).filter(pk=coupon_id).first()
    if coupon is None:
        raise NotFound()
    return coupon


def usable_coupons(user: Any, shop: Shop) -> list[Coupon]:
    """``user``'s unused coupons of ``shop``'s running campaigns (one query)."""
    return list(
        Coupon.objects.filter(
            running(timezone.now(), "campaign__"),
            user_id=user.pk,
            redeemed_at__isnull=True,
            campaign__shop_id=shop.pk,
        ).select_related("campaign")
    )
