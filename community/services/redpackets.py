"""拼手气红包: a total split into random shares that a circle's members claim.

Money. Sending places one escrow hold of the total in the sender's wallet (lifetime
``LIFETIME``; the packet's ``expires_at`` is the hold's, to the microsecond). Each claim
captures one share of it to the claimant (``hold_take``, not final, so the rest stays
held); the last share is captured with ``final=True``. What nobody claimed returns to the
sender when the packet expires, through ``hold_release``.

Locks. A claim locks the packet row first (``select_for_update``, that row only), then the
wallet locks the hold and the accounts. Claims on one packet therefore run one after
another: each sees the true remaining amount and share count, so the shares sum to the
total exactly and are never over-claimed (the table's CHECK constraints say so too). One
claim per member is a unique constraint; the lock makes the ``already claimed`` answer
come before it is needed.

Decisions:

* The sender cannot claim a share of their own packet. The wallet refuses to capture a
  hold into the wallet it was taken from, and a share paid back to the sender would only
  be an unclaimed share with extra steps.
* Shares are drawn at claim time by the "double average" method with ``SystemRandom``:
  for ``R`` fen left and ``n`` shares left, the last share is ``R``; otherwise a uniform
  integer in ``[1, floor(2R/n) - 1]``, capped so that every later share can still get a fen.
* Expiry is ours and the wallet's: both look at the same instant. Whichever runs first
  releases the hold; ``red_packets_expire_due`` then records what returned
  (``refunded_minor``) and tells the sender, once, because it moves the packet out of
  ``open`` under its lock.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.errors import (
    RedPacketAlreadyClaimed,
    RedPacketCircleOnly,
    RedPacketClaimsTooFast,
    RedPacketNotOpen,
    RedPacketOwn,
    VerificationNeeded,
)
from community.models import Circle, CircleMember, RedPacket, RedPacketClaim, User
from community.services.membership import require_member
from core.errors import NotFound, ValidationFailed
from core.money import Money
from core.notifications import lazy_format, notify
from wallet.models import Account, Hold
from wallet.services import payments
from wallet.services.accounts import system_account, wallet_account
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded

# ¥200.00 a packet, the usual cap for group red packets.
MAX_TOTAL_MINOR = 200_00
MAX_SHARES = 100
MAX_GREETING = 60
LIFETIME = timedelta(hours=24)
CLAIMS_PER_WINDOW = 30
CLAIM_WINDOW = timedelta(minutes=10)
MIN_LEVEL = 1

Status = RedPacket.Status
_rng = random.SystemRandom()


@dataclass(frozen=True)
class ClaimResult:
    claim: RedPacketClaim
    packet: RedPacket


_say = lazy_format


def _url(packet: RedPacket) -> str:
    return f"/red-packets/{packet.pk}/"


# --- the split ----------------------------------------------------------------------------


def draw_share(remaining_minor: int, remaining_shares: int, rng: random.Random = _rng) -> int:
    """One share by the double-average method; pure, so it can be tested on its own.

    Needs ``remaining_minor >= remaining_shares >= 1``; returns at least 1 fen and leaves at
    least 1 fen for each later share.
    """
    if remaining_shares < 1 or remaining_minor < remaining_shares:
        raise ValueError("every share needs at least one fen")
    if remaining_shares == 1:
        return remaining_minor
    upper = (2 * remaining_minor) // remaining_shares - 1
    upper = min(upper, remaining_minor - (remaining_shares - 1))
    return rng.randint(1, max(1, upper))


def split_total(total_minor: int, shares: int, rng: random.Random = _rng) -> list[int]:
    """All shares of a packet, drawn as claims would draw them one after another."""
    amounts = []
    remaining = total_minor
    for left in range(shares, 0, -1):
        amount = draw_share(remaining, left, rng)
        amounts.append(amount)
        remaining -= amount
    return amounts


# --- sending ------------------------------------------------------------------------------


def _require_active_member(user: User, circle_id: int) -> None:
    if not CircleMember.objects.filter(
        circle_id=circle_id, user_id=user.pk, status=CircleMember.Status.ACTIVE
    ).exists():
        raise RedPacketCircleOnly()


def _require_verified(user: User) -> None:
    if int(getattr(user, "verification_level", 0) or 0) < MIN_LEVEL:
        raise VerificationNeeded()


def red_packet_send(
    *,
    sender: User,
    circle: Circle,
    total_minor: int,
    shares: int,
    greeting: str = "",
    currency: str = "CNY",
    pin: str | None = None,
    idempotency: Idempotency | None = None,
) -> RedPacket:
    """Send a red packet of ``shares`` random shares to a circle.

    The sender is a confirmed resident of the circle's estate, an active member of the
    circle and verified (level I or above). ``shares`` <= total <= ``MAX_TOTAL_MINOR``, so
    every share is at least one fen. PIN and limits are checked before the transaction;
    then one durable transaction places the escrow hold of the total and creates the
    packet, with the idempotency record. After commit a task tells the circle's members
    (``red_packet``).
    """
    require_member(sender, circle.neighbourhood_id)
    _require_active_member(sender, circle.pk)
    _require_verified(sender)
    errors: dict[str, list[Any]] = {}
    if not isinstance(shares, int) or not 1 <= shares <= MAX_SHARES:
        errors["shares"] = [_("Between 1 and 100 shares.")]
    if not isinstance(total_minor, int) or total_minor > MAX_TOTAL_MINOR:
        errors["total_minor"] = [_("A red packet holds at most ¥200.00.")]
    elif isinstance(shares, int) and total_minor < max(shares, 1):
        errors["total_minor"] = [_("Every share needs at least ¥0.01.")]
    if len(greeting) > MAX_GREETING:
        errors["greeting"] = [_("Keep the greeting under 60 characters.")]
    if errors:
        raise ValidationFailed(fields=errors)
    authorisation = payments.authorise_debit(
        payer=sender, amount_minor=total_minor, currency=currency, pin=pin, idempotency=idempotency
    )

    def work() -> RedPacket:
        placed = payments.hold_place(
            payer=sender,
            payee=system_account(Account.SystemCode.ESCROW, currency),
            amount_minor=total_minor,
            currency=currency,
            description=f"🧧 {circle.name}",
            authorisation=authorisation,
            lifetime=LIFETIME,
        )
        packet = RedPacket.objects.create(
            circle=circle,
            sender=sender,
            total_minor=total_minor,
            shares=shares,
            currency=currency,
            greeting=greeting.strip(),
            hold=placed.hold,
            expires_at=placed.hold.expires_at,
        )
        _announce_after_commit(packet.pk)
        return packet

    return execute(idempotency, work)


def _announce_after_commit(packet_id: int) -> None:
    from community.tasks.money import red_packet_announce

    transaction.on_commit(lambda: red_packet_announce.delay(packet_id))


def red_packet_announce(*, packet_id: int) -> int:
    """Tell every active member of the packet's circle but the sender (``red_packet``).

    Run by a task after the send commits, so a circle of hundreds costs the sender
    nothing. Safe to run twice: members already told are skipped.
    """
    packet = RedPacket.objects.select_related("sender", "circle").filter(pk=packet_id).first()
    if packet is None or packet.status != Status.OPEN:
        return 0
    from core.models import Notification

    told = set(
        Notification.objects.filter(kind="red_packet", data__red_packet_id=packet.pk).values_list(
            "user_id", flat=True
        )
    )
    members = (
        User.objects.filter(
            circle_memberships__circle_id=packet.circle_id,
            circle_memberships__status=CircleMember.Status.ACTIVE,
        )
        .exclude(pk=packet.sender_id)
        .exclude(pk__in=told)
    )
    count = 0
    for member in members.iterator():
        with transaction.atomic():
            notify(
                member,
                kind="red_packet",
                title=_say(
                    _("%(name)s sent a red packet to %(circle)s"),
                    name=packet.sender,
                    circle=packet.circle.name,
                ),
                body=packet.greeting or _("Best wishes!"),
                url=_url(packet),
                data={"red_packet_id": packet.pk, "circle_id": packet.circle_id},
            )
        count += 1
    return count


# --- claiming -----------------------------------------------------------------------------


def _count_claim_attempt(user_id: int) -> None:
    """At most ``CLAIMS_PER_WINDOW`` claims a user per window (a fixed window in the cache:
    shared by every process when the cache is Redis)."""
    seconds = int(CLAIM_WINDOW.total_seconds())
    key = f"community:red-packet-claims:{user_id}:{int(time.time()) // seconds}"
    cache.add(key, 0, timeout=seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:
        # Evicted between add and incr: start the window again.
        cache.set(key, 1, timeout=seconds + 5)
        count = 1
    if count > CLAIMS_PER_WINDOW:
        raise RedPacketClaimsTooFast()


def red_packet_claim(
    *, user: User, packet: RedPacket, idempotency: Idempotency | None = None
) -> ClaimResult:
    """Open a red packet: take one random share into the claimant's wallet.

    An active, verified member of the circle, not the sender, once per packet, at most
    ``CLAIMS_PER_WINDOW`` claims per window. Locks the packet row, then the wallet locks
    the hold and accounts: the share is drawn from what is really left, captured from the
    hold (the last one with ``final=True``), and the packet's counters move in the same
    transaction. The last claim finishes the packet and tells the sender
    (``red_packet_finished``).
    """
    if user.pk == packet.sender_id:
        raise RedPacketOwn()
    _require_verified(user)
    _require_active_member(user, packet.circle_id)
    replay_if_recorded(idempotency)
    _count_claim_attempt(user.pk)

    def work() -> ClaimResult:
        locked = (
            RedPacket.objects.select_for_update(of=("self",), no_key=True)
            .select_related("sender")
            .get(pk=packet.pk)
        )
        now = timezone.now()
        if (
            locked.status != Status.OPEN
            or locked.expires_at <= now
            or locked.claimed_count >= locked.shares
        ):
            raise RedPacketNotOpen()
        if RedPacketClaim.objects.filter(packet=locked, user_id=user.pk).exists():
            raise RedPacketAlreadyClaimed()
        left = locked.shares - locked.claimed_count
        share = draw_share(locked.total_minor - locked.claimed_minor, left)
        taken = payments.hold_take(
            hold_id=locked.hold_id,
            amount_minor=share,
            final=left == 1,
            to=wallet_account(user, locked.currency),
        )
        try:
            with transaction.atomic():
                claim = RedPacketClaim.objects.create(
                    packet=locked, user=user, amount_minor=share, payment=taken.payment
                )
        except IntegrityError:
            raise RedPacketAlreadyClaimed() from None
        locked.claimed_minor += share
        locked.claimed_count += 1
        if locked.claimed_count == locked.shares:
            locked.status = Status.FINISHED
        locked.save(update_fields=["claimed_minor", "claimed_count", "status"])
        if locked.status == Status.FINISHED:
            notify(
                locked.sender,
                kind="red_packet_finished",
                title=_say(
                    _("All %(shares)s shares of your red packet were claimed"),
                    shares=locked.shares,
                ),
                url=_url(locked),
                data={"red_packet_id": locked.pk},
            )
        return ClaimResult(claim, locked)

    return execute(idempotency, work)


# --- expiry -------------------------------------------------------------------------------


def red_packets_expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Return what nobody claimed of packets past their time; each packet in its own
    durable transaction (packet lock, then the hold's).

    Idempotent: a packet leaves ``open`` under its lock, so a second run (or a concurrent
    one) finds nothing to do. If the wallet's hold expiry released the hold first, nothing
    is released twice: the packet only records what the hold gave back. Returns how many
    packets expired.
    """
    now = now or timezone.now()
    due = list(
        RedPacket.objects.filter(status=Status.OPEN, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    expired = 0
    for packet_id in due:
        with transaction.atomic(durable=True):
            locked = (
                RedPacket.objects.select_for_update(of=("self",), no_key=True)
                .select_related("sender")
                .get(pk=packet_id)
            )
            if locked.status != Status.OPEN or locked.expires_at > now:
                continue
            hold = payments.hold_release(
                locked.hold_id, Hold.Status.EXPIRED, only_if_due=True, now=now
            ) or Hold.objects.get(pk=locked.hold_id)
            if hold.status == Hold.Status.ACTIVE:
                # Not due by the hold's own clock yet: the next run takes it.
                continue
            returned = 0
            if hold.status in (Hold.Status.EXPIRED, Hold.Status.VOIDED):
                returned = hold.amount_minor - hold.captured_minor
            locked.status = Status.EXPIRED
            locked.refunded_minor = returned
            locked.save(update_fields=["status", "refunded_minor"])
            notify(
                locked.sender,
                kind="red_packet_expired",
                title=_say(
                    _("Your red packet expired: %(claimed)s of %(shares)s shares were claimed"),
                    claimed=locked.claimed_count,
                    shares=locked.shares,
                ),
                body=(
                    _say(
                        _("%(amount)s returned to your wallet."),
                        amount=Money(returned, locked.currency),
                    )
                    if returned
                    else ""
                ),
                url=_url(locked),
                data={"red_packet_id": locked.pk, "refunded_minor": returned},
            )
            expired += 1
    return expired


# --- reads (pages and API) ----------------------------------------------------------------


def red_packet_for(user: User, packet_id: int) -> RedPacket:
    """A packet of a circle in one of the user's estates, else 404."""
    packet = (
        RedPacket.objects.filter(pk=packet_id, circle__neighbourhood__memberships__user_id=user.pk)
        .select_related("sender", "circle")
        .first()
    )
    if packet is None:
        raise NotFound()
    return packet


def circle_for(user: User, circle_id: int) -> Circle:
    """A circle of one of the user's estates, else 404."""
    circle = Circle.objects.filter(
        pk=circle_id, neighbourhood__memberships__user_id=user.pk
    ).first()
    if circle is None:
        raise NotFound()
    return circle


def red_packet_claims(packet: RedPacket) -> list[RedPacketClaim]:
    """Who opened the packet and what they got, in order; the best luck marked once the
    packet is finished (the largest share, the earliest of equals)."""
    claims = list(
        RedPacketClaim.objects.filter(packet=packet)
        .select_related("user")
        .order_by("created_at", "id")
    )
    best = None
    if packet.status == Status.FINISHED and claims:
        best = max(claims, key=lambda c: (c.amount_minor, -c.pk))
    for claim in claims:
        claim.best_luck = claim is best  # type: ignore[attr-defined]
    return claims


def circle_red_packets(
    circle: Circle, user: User, *, open_only: bool = True
) -> QuerySet[RedPacket]:
    """A circle's packets, newest first, each with ``claimed_by_me`` for ``user``."""
    packets = RedPacket.objects.filter(circle=circle)
    if open_only:
        packets = packets.filter(status=Status.OPEN, expires_at__gt=timezone.now())
    return (
        packets.select_related("sender")
        .annotate(
            claimed_by_me=Exists(
                RedPacketClaim.objects.filter(packet=OuterRef("pk"), user_id=user.pk)
            )
        )
        .order_by("-created_at", "-id")
    )
