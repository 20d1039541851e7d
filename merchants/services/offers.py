"""Coupon campaigns: a shop's owner runs them, residents claim coupons, the till uses them.

Merchant-funded. A coupon lowers what the resident pays; the payment is the price less the
discount, from the resident's wallet to the shop's account, and nothing else moves (no
promotions account, no second posting). The campaign's counters say what it cost the shop.

What a coupon takes off (``discount_for``), in fen, for a price of ``gross``:

* amount off: ``min(amount, gross − 1)``;
* percent off: ``gross × percent / 100``, rounded once ``ROUND_HALF_UP``, at most the cap
  (``amount_minor``) and ``gross − 1``;
* spend X save Y: Y when ``gross >= X`` (the campaign's ``min_spend_minor``), else nothing;
* a minimum spend applies to every kind; the resident always pays at least 1 fen, so a
  price of 1 fen takes no coupon.

Budgets. Claiming locks the campaign row (``FOR NO KEY UPDATE``, that row only), checks
its status and window, the claimant's audience and the per-resident limit, and reserves
the coupon's largest possible discount (``amount_minor`` for every kind: the amount off,
the cap, or Y): ``claimed_count <= budget_count`` and ``reserved_minor <= budget_minor``
hold under the lock and as database constraints, so a claimed coupon can always be used
while the campaign runs, and the budget is never exceeded however many claim at once. The
reservation stays when the coupon is used (so a coupon given back by a refund still has
it); the campaign's money budget bounds what it promised, not only what it spent.

Audience (read through ``merchants.selectors_offers``, which reads community's
selectors): everyone must belong to the shop's estate; then the neighbourhood (any
membership), chosen buildings (the membership's ``building_ref``), members of a circle
(active), new customers (no standing payment from their wallet to the shop), customers
who have not come for ``lapsed_days``; ``verified_only`` asks for level I on top.

Using a coupon. ``best_coupon`` picks, among the resident's unused coupons of the shop's
running campaigns, the largest discount on the price, ties to the campaign that ends
first. The checkout computes the net before the wallet authorises it, then, inside its
transaction, locks its request (or code), the coupon (``coupon_lock``: the coupon row,
then the campaign row) and the wallet's rows, in that order, and ``redeem`` records the
use in the payment's transaction. A coupon used meanwhile by another payment, or whose
campaign stopped, is refused with ``coupon_unavailable`` before any money moves. The
coupon's ``redeemed_at`` is set under its lock and the database allows one standing
redemption per coupon: a coupon is never used twice.

Refunds. ``redemption_return`` runs in the refund's transaction when a payment becomes
fully refunded: if its campaign has not ended (paused still counts: it may resume) the
coupon is usable again and the counters go back; otherwise the coupon stays used. Call it
before the wallet's refund posting, so that the coupon and campaign rows are locked before
the wallet's (the checkout's order); the refund itself gives back what the resident paid.

Lock order, everywhere: the caller's business row (request, code, payment being refunded),
then the coupon, then the campaign, then the wallet's rows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound, ValidationFailed
from merchants.errors import (
    CampaignEnded,
    CampaignNotRunning,
    CampaignSoldOut,
    CouponLimitReached,
    CouponNotApplicable,
    CouponUnavailable,
    NotInAudience,
    ShopNotTrading,
)
from merchants.models import Campaign, Coupon, CouponRedemption, Shop
from merchants.selectors_offers import (
    audience_facts,
    estate_circles,
    in_audience,
    owner_shop,
    usable_coupons,
)
from wallet.models import Payment
from wallet.services import ledger
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded

NAME_MAX = 60
MAX_AMOUNT_MINOR = 10**10  # ¥100,000,000.00: far above any coupon, below overflow


class Pick(enum.Enum):
    """How a payer chose their coupon: ``BEST`` lets the checkout pick."""

    BEST = "best"


BEST = Pick.BEST
CouponPick = int | None | Literal[Pick.BEST]  # a coupon id, no coupon, or the best


@dataclass(frozen=True)
class CouponChoice:
    coupon: Coupon
    discount_minor: int


# --- what a coupon takes off ---------------------------------------------------------------


def discount_for(campaign: Campaign, gross_minor: int) -> int:
    """What a coupon of ``campaign`` takes off a price of ``gross_minor`` fen; 0 if it does
    not apply (below the minimum spend, or nothing left to take off)."""
    if gross_minor < 2 or gross_minor < campaign.min_spend_minor:
        return 0
    if campaign.kind == Campaign.Kind.PERCENT_OFF:
        share = (Decimal(gross_minor) * Decimal(campaign.percent or 0) / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        discount = min(int(share), campaign.amount_minor)
    else:  # amount off, and spend-save (whose X is the minimum spend above)
        discount = campaign.amount_minor
    return min(discount, gross_minor - 1)


def is_running(campaign: Campaign, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        campaign.status == Campaign.Status.ACTIVE and campaign.starts_at <= now < campaign.ends_at
    )


def coupon_state(coupon: Coupon, now: datetime | None = None) -> str:
    """``used``, ``usable``, ``paused`` (usable again when the shop resumes) or ``expired``."""
    now = now or timezone.now()
    campaign = coupon.campaign
    if coupon.redeemed_at is not None:
        return "used"
    if campaign.status == Campaign.Status.ENDED or now >= campaign.ends_at:
        return "expired"
    if campaign.status == Campaign.Status.PAUSED:
        return "paused"
    return "usable"


# --- campaigns (the shop's owner) ----------------------------------------------------------


def _field_error(name: str, message: Any) -> ValidationFailed:
    return ValidationFailed(fields={name: [message]})


def _check_amount(name: str, value: int, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _field_error(name, _("Enter a whole number of fen."))
    if value < minimum or value > MAX_AMOUNT_MINOR:
        raise _field_error(name, _("Enter an amount between the limits."))


def campaign_create(
    *,
    owner: Any,
    shop: Shop,
    name: str,
    kind: str,
    amount_minor: int,
    budget_count: int,
    budget_minor: int,
    ends_at: datetime,
    starts_at: datetime | None = None,
    percent: int | None = None,
    min_spend_minor: int = 0,
    per_resident_limit: int = 1,
    audience: str = Campaign.Audience.NEIGHBOURHOOD,
    building_refs: list[int] | None = None,
    circle_id: int | None = None,
    lapsed_days: int = 30,
    verified_only: bool = False,
) -> Campaign:
    """A new running campaign of ``shop``, funded by the shop.

    Only the owner (404 for others, ``shop_owner_only`` for its cashiers) of an approved
    shop (``shop_not_trading``). Field checks answer ``validation_failed`` with the field:
    a name; a known kind; an amount (the amount off, Y, or the cap) above zero; a percent of
    1–99 for percent off; for spend-save a spend X above Y; a budget of at least one
    coupon and at least one coupon's amount; a limit of 1–99 per resident; an end after the
    start and in the future; for buildings at least one building, for a circle one of the
    estate's circles, for lapsed customers at least one day. No locks: nothing else refers
    to the campaign yet.
    """
    owner_shop(owner, shop.pk)
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotTrading()
    name = " ".join(str(name or "").split())
    if not name:
        raise _field_error("name", _("This field is required."))
    if len(name) > NAME_MAX:
        raise _field_error("name", _("At most %(n)s characters.") % {"n": NAME_MAX})
    if kind not in Campaign.Kind.values:
        raise _field_error("kind", _("Choose one of the kinds of offer."))
    _check_amount("amount_minor", amount_minor, minimum=1)
    _check_amount("min_spend_minor", min_spend_minor, minimum=0)
    if kind == Campaign.Kind.PERCENT_OFF:
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 99:
            raise _field_error("percent", _("Enter a percentage from 1 to 99."))
    else:
        percent = None
    if kind == Campaign.Kind.SPEND_SAVE and min_spend_minor <= amount_minor:
        raise _field_error("min_spend_minor", _("The spend must be more than the saving."))
    if isinstance(budget_count, bool) or not isinstance(budget_count, int) or budget_count < 1:
        raise _field_error("budget_count", _("Offer at least one coupon."))
    _check_amount("budget_minor", budget_minor, minimum=amount_minor)
    if not 1 <= per_resident_limit <= 99:
        raise _field_error("per_resident_limit", _("Enter a number from 1 to 99."))
    now = timezone.now()
    starts_at = starts_at or now
    if ends_at <= max(starts_at, now):
        raise _field_error("ends_at", _("The offer must end after it starts, in the future."))
    if audience not in Campaign.Audience.values:
        raise _field_error("audience", _("Choose who the offer is for."))
    refs: list[int] = []
    circle = None
    if audience == Campaign.Audience.BUILDINGS:
        refs = sorted({int(ref) for ref in building_refs or [] if int(ref) > 0})
        if not refs:
            raise _field_error("building_refs", _("Choose at least one building."))
    if audience == Campaign.Audience.CIRCLE:
        circle = estate_circles(shop).filter(pk=circle_id).first() if circle_id else None
        if circle is None:
            raise _field_error("circle", _("Choose a circle of the shop's neighbourhood."))
    if audience == Campaign.Audience.LAPSED_CUSTOMERS and not 1 <= lapsed_days <= 365:
        raise _field_error("lapsed_days", _("Enter a number of days from 1 to 365."))
    with transaction.atomic(durable=True):
        return Campaign.objects.create(
            shop=shop,
            name=name,
            kind=kind,
            amount_minor=amount_minor,
            percent=percent,
            min_spend_minor=min_spend_minor,
            budget_count=budget_count,
            budget_minor=budget_minor,
            per_resident_limit=per_resident_limit,
            starts_at=starts_at,
            ends_at=ends_at,
            audience=audience,
            building_refs=refs,
            circle=circle,
            lapsed_days=lapsed_days,
            verified_only=verified_only,
            created_by=owner,
        )


_MOVES = {
    "pause": ({Campaign.Status.ACTIVE}, Campaign.Status.PAUSED),
    "resume": ({Campaign.Status.PAUSED}, Campaign.Status.ACTIVE),
    "end": ({Campaign.Status.ACTIVE, Campaign.Status.PAUSED}, Campaign.Status.ENDED),
}


def _campaign_move(owner: Any, campaign: Campaign, move: str) -> Campaign:
    owner_shop(owner, campaign.shop_id)
    allowed, target = _MOVES[move]
    with transaction.atomic(durable=True):
        locked = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
        if locked.status == Campaign.Status.ENDED:
            raise CampaignEnded()
        if locked.status not in allowed:
            return locked  # already where the owner wants it: a double tap changes nothing
        locked.status = target
        locked.save(update_fields=["status"])
        return locked


def campaign_pause(*, owner: Any, campaign: Campaign) -> Campaign:
    """Stop claims and payments with its coupons until resumed. Owner only; locks the
    campaign row, so a claim or payment under way finishes first. An ended campaign
    answers ``campaign_ended``."""
    return _campaign_move(owner, campaign, "pause")


def campaign_resume(*, owner: Any, campaign: Campaign) -> Campaign:
    """Run a paused campaign again (within its window). As ``campaign_pause``."""
    return _campaign_move(owner, campaign, "resume")


def campaign_end(*, owner: Any, campaign: Campaign) -> Campaign:
    """End for good: unused coupons expire. As ``campaign_pause``."""
    return _campaign_move(owner, campaign, "end")


# --- claiming (residents) ------------------------------------------------------------------


def coupon_claim(
    *, user: Any, campaign: Campaign, idempotency: Idempotency | None = None
) -> Coupon:
    """Claim one coupon of ``campaign`` for ``user``.

    Before the lock: the shop trades (``campaign_not_running``) and the person's audience
    facts (membership, circles, visits; 404 if they do not belong to the estate). Then
    locks the campaign row and checks on it: it runs (``campaign_not_running``), its
    audience takes the person (``not_in_audience``, 403), they hold fewer than
    ``per_resident_limit`` coupons of it (``coupon_limit_reached``; their claims queue on
    the same lock), and one more coupon and its largest discount fit both budgets
    (``campaign_sold_out``). Writes the coupon and the counters. The Idempotency-Key makes
    a double tap claim once. No side effects.
    """
    replay_if_recorded(idempotency)
    shop = Shop.objects.select_related("neighbourhood").get(pk=campaign.shop_id)
    if shop.status != Shop.Status.APPROVED:
        raise CampaignNotRunning()
    facts = audience_facts(
        user,
        shop.neighbourhood_id,
        [shop.pk],
        circles=campaign.audience == Campaign.Audience.CIRCLE,
        visits=campaign.audience
        in {Campaign.Audience.NEW_CUSTOMERS, Campaign.Audience.LAPSED_CUSTOMERS},
    )
    if not facts.member:
        raise NotFound()

    def work() -> Coupon:
        locked = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
        now = timezone.now()
        if not is_running(locked, now):
            raise CampaignNotRunning()
        if not in_audience(locked, facts, now=now):
            raise NotInAudience()
        if Coupon.objects.filter(campaign=locked, user_id=user.pk).count() >= (
            locked.per_resident_limit
        ):
            raise CouponLimitReached()
        if (
            locked.claimed_count >= locked.budget_count
            or locked.reserved_minor + locked.amount_minor > locked.budget_minor
        ):
            raise CampaignSoldOut()
        coupon = Coupon.objects.create(campaign=locked, user=user)
        locked.claimed_count += 1
        locked.reserved_minor += locked.amount_minor
        locked.save(update_fields=["claimed_count", "reserved_minor"])
        coupon.campaign = locked
        return coupon

    return execute(idempotency, work)


# --- using a coupon (the checkout) ---------------------------------------------------------


def applicable_coupons(user: Any, shop: Shop, gross_minor: int) -> list[CouponChoice]:
    """``user``'s coupons that take something off ``gross_minor`` at ``shop`` now, best
    first: the largest discount, ties to the campaign that ends first (then the oldest
    coupon). One query."""
    choices = [
        CouponChoice(coupon, discount)
        for coupon in usable_coupons(user, shop)
        if (discount := discount_for(coupon.campaign, gross_minor)) > 0
    ]
    choices.sort(key=lambda c: (-c.discount_minor, c.coupon.campaign.ends_at, c.coupon.pk))
    return choices


def best_coupon(user: Any, shop: Shop, gross_minor: int) -> CouponChoice | None:
    """The coupon the checkout suggests for ``gross_minor`` at ``shop``, if any."""
    choices = applicable_coupons(user, shop, gross_minor)
    return choices[0] if choices else None


def choose_coupon(
    user: Any,
    shop: Shop,
    gross_minor: int,
    pick: CouponPick = BEST,
    *,
    choices: list[CouponChoice] | None = None,
) -> CouponChoice | None:
    """The coupon a payment will use: the best one, the one the payer picked, or none.

    A picked coupon that is used already answers ``coupon_unavailable``; one that is not
    the payer's is 404; one that does not apply here ``coupon_not_applicable``. Read before
    the payment's transaction; ``coupon_lock`` checks again under the locks. ``choices``:
    ``applicable_coupons`` when the caller has them already.
    """
    if pick is None:
        return None
    if choices is None:
        choices = applicable_coupons(user, shop, gross_minor)
    if pick is BEST:
        return choices[0] if choices else None
    for choice in choices:
        if choice.coupon.pk == pick:
            return choice
    coupon = Coupon.objects.filter(pk=pick, user_id=user.pk).first()
    if coupon is None:
        raise NotFound()
    if coupon.redeemed_at is not None:
        raise CouponUnavailable()
    raise CouponNotApplicable()


def coupon_lock(
    choice: CouponChoice, *, payer: Any, shop: Shop, gross_minor: int
) -> tuple[Coupon, Campaign]:
    """Inside the payment's transaction, before the wallet's rows: lock the coupon row,
    then its campaign row, and check again that the coupon is the payer's, unused, of a
    running campaign of ``shop`` and worth the same discount on ``gross_minor``; otherwise
    ``coupon_unavailable`` (409), which rolls the payment back before any money moves."""
    ledger.require_transaction()
    coupon = (
        Coupon.objects.select_for_update(no_key=True)
        .filter(pk=choice.coupon.pk, user_id=payer.pk)
        .first()
    )
    if coupon is None or coupon.redeemed_at is not None:
        raise CouponUnavailable()
    campaign = Campaign.objects.select_for_update(no_key=True).get(pk=coupon.campaign_id)
    if (
        campaign.shop_id != shop.pk
        or not is_running(campaign)
        or discount_for(campaign, gross_minor) != choice.discount_minor
    ):
        raise CouponUnavailable()
    coupon.campaign = campaign
    return coupon, campaign


def redeem(
    *, coupon: Coupon, payment: Payment, gross_minor: int, discount_minor: int
) -> CouponRedemption:
    """Record ``coupon`` used on ``payment`` (a price of ``gross_minor`` less
    ``discount_minor``), in the payment's transaction (required).

    Locks the coupon, then the campaign (already held when the checkout called
    ``coupon_lock`` first), re-checks as ``coupon_lock`` does, and that the payment is the
    net from the coupon's holder to the campaign's shop (``coupon_not_applicable``
    otherwise). Writes the redemption, marks the coupon used, and adds one use, the
    discount and the price to the campaign's counters. No side effects.
    """
    ledger.require_transaction()
    if payment.payer.owner_id != coupon.user_id:
        raise CouponNotApplicable()
    shop = Shop.objects.get(pk=coupon.campaign.shop_id)
    choice = CouponChoice(coupon, discount_minor)
    locked, campaign = coupon_lock(
        choice, payer=payment.payer.owner, shop=shop, gross_minor=gross_minor
    )
    if (
        payment.payee.owner_ref != f"shop:{shop.pk}"
        or discount_minor <= 0
        or payment.amount_minor != gross_minor - discount_minor
    ):
        raise CouponNotApplicable()
    now = timezone.now()
    redemption = CouponRedemption.objects.create(
        coupon=locked, payment=payment, gross_minor=gross_minor, discount_minor=discount_minor
    )
    locked.redeemed_at = now
    locked.save(update_fields=["redeemed_at"])
    campaign.redeemed_count += 1
    campaign.discount_minor += discount_minor
    campaign.sales_minor += gross_minor
    campaign.save(update_fields=["redeemed_count", "discount_minor", "sales_minor"])
    return redemption


def redemption_return(*, payment: Payment) -> bool:
    """Give the coupon used on ``payment`` back, in the transaction (required) of the
    refund that makes the payment fully refunded.

    Locks the coupon, then the campaign. If the campaign has not ended (nor passed its end;
    a paused one may resume), the redemption is marked returned, the coupon usable again
    and one use, its discount and its price come off the counters; returns True. Otherwise
    (or if the payment used no coupon, or it was given back already) changes nothing and
    returns False. Call it before the wallet's refund posting (see the module's lock order).
    """
    ledger.require_transaction()
    redemption = (
        CouponRedemption.objects.filter(payment=payment, returned_at__isnull=True)
        .only("pk", "coupon_id")
        .first()
    )
    if redemption is None:
        return False
    coupon = Coupon.objects.select_for_update(no_key=True).get(pk=redemption.coupon_id)
    campaign = Campaign.objects.select_for_update(no_key=True).get(pk=coupon.campaign_id)
    redemption = CouponRedemption.objects.get(pk=redemption.pk)
    now = timezone.now()
    if redemption.returned_at is not None:
        return False
    if campaign.status == Campaign.Status.ENDED or now >= campaign.ends_at:
        return False
    redemption.returned_at = now
    redemption.save(update_fields=["returned_at"])
    coupon.redeemed_at = None
    coupon.save(update_fields=["redeemed_at"])
    campaign.redeemed_count -= 1
    campaign.discount_minor -= redemption.discount_minor
    campaign.sales_minor -= redemption.gross_minor
    campaign.save(update_fields=["redeemed_count", "discount_minor", "sales_minor"])
    return True
