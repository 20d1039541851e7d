"""邻里互助: a resident asks for a hand, neighbours offer, the reward waits in escrow.

Money. A reward is a wallet hold for the escrow account, placed in the transaction that
opens the request; its lifetime is the open window plus ``HOLD_GRACE``. Completion captures
all of it to the helper's wallet (``hold_take``, final); cancellation and expiry void it; a
dispute lets the estate's property staff pay the helper, return it, or split it.

Locks. The help request row first (``select_for_update`` on that row only), then the
wallet's helpers lock the hold and the accounts in their own order. Every change of state
re-reads the request under that lock, so two accepts, or a completion racing a
cancellation, are decided by who locks first; the loser gets ``help_not_open`` or
``help_wrong_state``. Services that move money run in one durable transaction, through
``wallet.services.idempotency.execute`` when the caller sends an Idempotency-Key.

Deadlines, kept by ``help_requests_sweep`` (a beat task every few minutes):

* an open request past ``expires_at`` expires and its hold is voided;
* a request the helper marked done completes by itself ``CONFIRM_WINDOW`` later unless the
  requester confirmed or disputed it first;
* a request still holding money ``HOLD_SAFETY`` before the hold's own expiry is settled
  here, never by the wallet's expiry: marked done -> the helper is paid; accepted but not
  done -> the reward returns to the requester (status expired); disputed and not decided
  by staff in time -> the reward returns to the requester and the dispute is closed with a
  note saying so. If the wallet's expiry got there first anyway (a stopped beat), the money
  is already back with the requester and the request is closed without moving any.

Notifications go through ``core.notifications.notify`` (inbox now, live push on commit);
the wallet adds its own payment notices when a reward is captured.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from community.errors import (
    HelpAlreadyDone,
    HelpAlreadyOffered,
    HelpAlreadyRated,
    HelpDisputeExists,
    HelpNotAllowed,
    HelpNotOpen,
    HelpOfferNotAvailable,
    HelpOfferRefused,
    HelpOwnRequest,
    HelpWrongState,
    NotEstateStaff,
)
from community.models import (
    HelpDispute,
    HelpOffer,
    HelpRating,
    HelpRequest,
    Membership,
    Neighbourhood,
    User,
)
from community.selectors import has_blocked, hidden_author_ids, is_estate_staff
from community.services.membership import require_member
from core.errors import NotFound, ValidationFailed
from core.money import Money
from core.notifications import notify
from wallet.errors import HoldNotActive
from wallet.models import Account, Hold, Payment
from wallet.services import payments
from wallet.services.accounts import system_account, wallet_account
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded

DEFAULT_OPEN_FOR = timedelta(days=3)
MIN_OPEN_FOR = timedelta(hours=1)
MAX_OPEN_FOR = timedelta(days=14)
# The hold outlives the open window by this much, time for the help itself and a dispute.
HOLD_GRACE = timedelta(days=10)
CONFIRM_WINDOW = timedelta(days=3)
# We settle a request this long before its hold would expire, so the wallet never has to.
HOLD_SAFETY = timedelta(days=1)

Status = HelpRequest.Status
OfferStatus = HelpOffer.Status


class DisputeOutcome:
    HELPER = "helper"
    REQUESTER = "requester"
    SPLIT = "split"
    CHOICES = (HELPER, REQUESTER, SPLIT)


@dataclass(frozen=True)
class HelpResult:
    """A request after a change, and the capture that paid the helper, if one did."""

    request: HelpRequest
    payment: Payment | None = None


def _interpolate(message: Promise, params: dict[str, Any]) -> str:
    return str(message) % params


# Rendered when ``notify`` forces it, inside the recipient's language; Money params format
# in that language too.
_lazy_interpolate = lazy(_interpolate, str)


def _say(message: Promise, **params: Any) -> Any:
    return _lazy_interpolate(message, params)


def _url(request: HelpRequest) -> str:
    return f"/help/{request.pk}/"


def _reward(request: HelpRequest) -> Money:
    return Money(request.reward_minor, request.currency)


def _lock(request_id: int) -> HelpRequest:
    """The request row, locked for the rest of the transaction (that row only: a join
    would lock wallet rows out of order)."""
    return (
        HelpRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("requester", "helper", "neighbourhood")
        .get(pk=request_id)
    )


def _require_open(request: HelpRequest, now: datetime) -> None:
    if request.status != Status.OPEN or request.expires_at <= now:
        raise HelpNotOpen()


def _pay_helper(request: HelpRequest, amount_minor: int | None = None) -> Payment | None:
    """Capture the reward (all, or ``amount_minor`` of it) to the helper; the rest of the
    hold returns to the requester. Runs under the request lock."""
    if request.hold_id is None or amount_minor == 0:
        _return_reward(request)
        return None
    assert request.helper is not None
    result = payments.hold_take(
        hold_id=request.hold_id,
        amount_minor=amount_minor,
        final=True,
        to=wallet_account(request.helper, request.currency),
    )
    return result.payment


def _return_reward(request: HelpRequest) -> None:
    """Void the hold: the reward is the requester's to spend again."""
    if request.hold_id is None:
        return
    # HoldNotActive: the wallet's own expiry already returned it; nothing left to give back.
    with contextlib.suppress(HoldNotActive):
        payments.hold_release(request.hold_id, Hold.Status.VOIDED, only_if_due=False)


def _hold_usable(request: HelpRequest, now: datetime) -> bool:
    if request.hold_id is None:
        return True
    return Hold.objects.filter(
        pk=request.hold_id, status=Hold.Status.ACTIVE, expires_at__gt=now
    ).exists()


def _close(request: HelpRequest, status: str, now: datetime) -> None:
    request.status = status
    request.closed_at = now
    request.save(update_fields=["status", "closed_at"])


# --- opening, offering, choosing ----------------------------------------------------------


def help_request_open(
    *,
    requester: User,
    neighbourhood: Neighbourhood,
    title: str,
    details: str = "",
    reward_minor: int = 0,
    currency: str = "CNY",
    open_for: timedelta = DEFAULT_OPEN_FOR,
    pin: str | None = None,
    idempotency: Idempotency | None = None,
) -> HelpRequest:
    """Ask the estate for help; a reward is held in the requester's wallet at once.

    Confirmed members only. The PIN and limits are checked before the transaction (a wrong
    PIN is counted even though nothing else happens); then one durable transaction creates
    the request and the escrow hold (lifetime ``open_for + HOLD_GRACE``) together, with the
    idempotency record. Available balance drops by the reward; the balance does not.
    """
    require_member(requester, neighbourhood.pk)
    title = title.strip()
    errors: dict[str, list[Any]] = {}
    if not title:
        errors["title"] = [_("Say what you need help with.")]
    if not MIN_OPEN_FOR <= open_for <= MAX_OPEN_FOR:
        errors["open_for"] = [_("Keep a request open between one hour and 14 days.")]
    if not isinstance(reward_minor, int) or reward_minor < 0:
        errors["reward_minor"] = [_("The reward cannot be negative.")]
    if errors:
        raise ValidationFailed(fields=errors)
    authorisation = None
    if reward_minor > 0:
        authorisation = payments.authorise_debit(
            payer=requester,
            amount_minor=reward_minor,
            currency=currency,
            pin=pin,
            idempotency=idempotency,
        )
    else:
        replay_if_recorded(idempotency)

    def work() -> HelpRequest:
        request = HelpRequest.objects.create(
            neighbourhood=neighbourhood,
            requester=requester,
            title=title,
            details=details.strip(),
            reward_minor=reward_minor,
            currency=currency,
            expires_at=timezone.now() + open_for,
        )
        if authorisation is not None:
            # Placed after the row exists, so the hold outlives expires_at by at least
            # HOLD_GRACE: the sweep's deadlines are computed from expires_at.
            placed = payments.hold_place(
                payer=requester,
                payee=system_account(Account.SystemCode.ESCROW, currency),
                amount_minor=reward_minor,
                currency=currency,
                description=f"#{request.pk} {title}",
                authorisation=authorisation,
                lifetime=open_for + HOLD_GRACE,
            )
            request.hold = placed.hold
            request.save(update_fields=["hold"])
        return request

    return execute(idempotency, work)


def help_offer(*, helper: User, request: HelpRequest, message: str = "") -> HelpOffer:
    """Offer to help. A confirmed member of the same estate, not the requester, not
    blocked by them; once per request (a withdrawn offer may be made again). Locks the
    request so that an offer never lands on a request being accepted at that moment.
    Notifies the requester (``help_offer``)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        locked = _lock(request.pk)
        if locked.requester_id == helper.pk:
            raise HelpOwnRequest()
        require_member(helper, locked.neighbourhood_id)
        if has_blocked(locked.requester_id, helper.pk):
            raise HelpOfferRefused()
        _require_open(locked, now)
        offer = HelpOffer.objects.filter(request=locked, helper_id=helper.pk).first()
        if offer is None:
            offer = HelpOffer.objects.create(request=locked, helper=helper, message=message)
        elif offer.status == OfferStatus.WITHDRAWN:
            offer.status, offer.message = OfferStatus.OFFERED, message
            offer.save(update_fields=["status", "message"])
        else:
            raise HelpAlreadyOffered()
        notify(
            locked.requester,
            kind="help_offer",
            title=_say(_("%(name)s offers to help: %(title)s"), name=helper, title=locked.title),
            body=message,
            url=_url(locked),
            data={"help_request_id": locked.pk, "offer_id": offer.pk},
        )
    return offer


def help_offer_withdraw(*, helper: User, offer: HelpOffer) -> HelpOffer:
    """Take an offer back. An accepted helper may still back out before marking the job
    done: the request opens again (its other offers become choosable again) and the reward
    stays held. Locks the request row first."""
    with transaction.atomic(durable=True):
        locked = _lock(offer.request_id)
        current = HelpOffer.objects.get(pk=offer.pk)
        if current.helper_id != helper.pk:
            raise HelpNotAllowed()
        if current.status == OfferStatus.OFFERED:
            current.status = OfferStatus.WITHDRAWN
            current.save(update_fields=["status"])
            return current
        if (
            current.status != OfferStatus.ACCEPTED
            or locked.status != Status.ACCEPTED
            or locked.done_at is not None
        ):
            raise HelpOfferNotAvailable()
        current.status = OfferStatus.WITHDRAWN
        current.save(update_fields=["status"])
        HelpOffer.objects.filter(request=locked, status=OfferStatus.DECLINED).update(
            status=OfferStatus.OFFERED
        )
        locked.status, locked.helper, locked.accepted_at = Status.OPEN, None, None
        locked.save(update_fields=["status", "helper", "accepted_at"])
        notify(
            locked.requester,
            kind="help_withdrawn",
            title=_say(
                _("%(name)s can no longer help: %(title)s"), name=helper, title=locked.title
            ),
            body=_("Your request is open again; choose another neighbour."),
            url=_url(locked),
            data={"help_request_id": locked.pk},
        )
    return current


def help_accept(*, requester: User, offer: HelpOffer) -> HelpRequest:
    """Choose one helper. Locks the request; it must be open and not expired.

    Two accepts at the same moment: the second waits for the first's lock, then finds the
    request no longer open (``help_not_open``). The partial unique constraint on accepted
    offers backs this up in the database. The other offers are declined; the chosen helper
    (``help_accepted``) and the others (``help_declined``) are told.
    """
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            locked = _lock(offer.request_id)
            if locked.requester_id != requester.pk:
                raise HelpNotAllowed()
            _require_open(locked, now)
            chosen = HelpOffer.objects.select_related("helper").get(pk=offer.pk)
            if chosen.status != OfferStatus.OFFERED:
                raise HelpOfferNotAvailable()
            chosen.status = OfferStatus.ACCEPTED
            chosen.save(update_fields=["status"])
            others = list(
                HelpOffer.objects.filter(request=locked, status=OfferStatus.OFFERED)
                .exclude(pk=chosen.pk)
                .select_related("helper")
            )
            HelpOffer.objects.filter(pk__in=[o.pk for o in others]).update(
                status=OfferStatus.DECLINED
            )
            locked.status, locked.helper, locked.accepted_at = Status.ACCEPTED, chosen.helper, now
            locked.save(update_fields=["status", "helper", "accepted_at"])
            data = {"help_request_id": locked.pk}
            notify(
                chosen.helper,
                kind="help_accepted",
                title=_say(
                    _("%(name)s chose you to help: %(title)s"), name=requester, title=locked.title
                ),
                url=_url(locked),
                data=data,
            )
            for other in others:
                notify(
                    other.helper,
                    kind="help_declined",
                    title=_say(_("Someone else is helping with: %(title)s"), title=locked.title),
                    body=_("Thank you for offering."),
                    url=_url(locked),
                    data=data,
                )
    except IntegrityError:
        # The one-accepted-offer constraint caught a race the lock did not (cannot happen
        # while the lock is taken first; kept as the database's word on it).
        raise HelpNotOpen() from None
    return locked


# --- doing, confirming, cancelling --------------------------------------------------------


def help_mark_done(*, helper: User, request: HelpRequest) -> HelpRequest:
    """The helper says the job is done; the requester has ``CONFIRM_WINDOW`` to confirm or
    dispute before the sweep completes it. Locks the request."""
    with transaction.atomic(durable=True):
        locked = _lock(request.pk)
        if locked.helper_id != helper.pk:
            raise HelpNotAllowed()
        if locked.status != Status.ACCEPTED or locked.done_at is not None:
            raise HelpWrongState()
        locked.done_at = timezone.now()
        locked.save(update_fields=["done_at"])
        notify(
            locked.requester,
            kind="help_done",
            title=_say(_("%(name)s has done it: %(title)s"), name=helper, title=locked.title),
            body=_(
                "Confirm it to pay the reward, or open a dispute. Without an answer it "
                "completes by itself in 3 days."
            ),
            url=_url(locked),
            data={"help_request_id": locked.pk},
        )
    return locked


def help_complete(
    *, requester: User, request: HelpRequest, idempotency: Idempotency | None = None
) -> HelpResult:
    """The requester confirms: the whole reward is captured to the helper's wallet and the
    request is completed. Locks the request, then the wallet locks the hold and accounts;
    a second completion finds it completed (``help_wrong_state``), so the hold is
    captured at most once. Notifies the helper (``help_completed``)."""
    replay_if_recorded(idempotency)

    def work() -> HelpResult:
        locked = _lock(request.pk)
        if locked.requester_id != requester.pk:
            raise HelpNotAllowed()
        if locked.status != Status.ACCEPTED:
            raise HelpWrongState()
        return _complete(locked, timezone.now())

    return execute(idempotency, work)


def _complete(locked: HelpRequest, now: datetime) -> HelpResult:
    payment = _pay_helper(locked)
    _close(locked, Status.COMPLETED, now)
    assert locked.helper is not None
    notify(
        locked.helper,
        kind="help_completed",
        title=_say(_("Thank you for helping: %(title)s"), title=locked.title),
        body=(
            _say(_("%(amount)s is in your wallet."), amount=_reward(locked))
            if payment is not None
            else ""
        ),
        url=_url(locked),
        data={"help_request_id": locked.pk},
    )
    return HelpResult(locked, payment)


def help_cancel(*, requester: User, request: HelpRequest) -> HelpRequest:
    """Withdraw a request that is open, or accepted but not yet marked done: the hold is
    voided and the reward is available again. Locks the request, then the hold. Tells the
    chosen helper, if any (``help_cancelled``)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        locked = _lock(request.pk)
        if locked.requester_id != requester.pk:
            raise HelpNotAllowed()
        if locked.status == Status.ACCEPTED and locked.done_at is not None:
            raise HelpAlreadyDone()
        if locked.status not in (Status.OPEN, Status.ACCEPTED):
            raise HelpWrongState()
        _return_reward(locked)
        _close(locked, Status.CANCELLED, now)
        HelpOffer.objects.filter(request=locked, status=OfferStatus.OFFERED).update(
            status=OfferStatus.DECLINED
        )
        if locked.helper is not None:
            notify(
                locked.helper,
                kind="help_cancelled",
                title=_say(
                    _("%(name)s no longer needs help: %(title)s"),
                    name=locked.requester,
                    title=locked.title,
                ),
                url=_url(locked),
                data={"help_request_id": locked.pk},
            )
    return locked


# --- ratings and disputes -----------------------------------------------------------------


def help_rate(*, rater: User, request: HelpRequest, stars: int, comment: str = "") -> HelpRating:
    """After completion (or a resolved dispute) each side rates the other once, 1-5 stars.
    The unique constraint on (request, rater) makes a second rating ``help_already_rated``."""
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationFailed(fields={"stars": [_("Give one to five stars.")]})
    if request.status not in (Status.COMPLETED, Status.RESOLVED) or request.helper_id is None:
        raise HelpWrongState()
    if rater.pk == request.requester_id:
        ratee_id = request.helper_id
    elif rater.pk == request.helper_id:
        ratee_id = request.requester_id
    else:
        raise HelpNotAllowed()
    try:
        with transaction.atomic():
            return HelpRating.objects.create(
                request=request,
                rater=rater,
                ratee_id=ratee_id,
                stars=stars,
                comment=comment.strip()[:200],
            )
    except IntegrityError:
        raise HelpAlreadyRated() from None


def help_dispute_open(*, user: User, request: HelpRequest, reason: str) -> HelpDispute:
    """Either side disputes an accepted request (done or not). The hold stays; the estate's
    property staff decide. Locks the request. Tells the other side and the staff
    (``help_dispute``)."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Say what went wrong.")]})
    with transaction.atomic(durable=True):
        locked = _lock(request.pk)
        if user.pk not in (locked.requester_id, locked.helper_id):
            raise HelpNotAllowed()
        if locked.status != Status.ACCEPTED:
            raise HelpWrongState()
        if HelpDispute.objects.filter(request=locked).exists():
            raise HelpDisputeExists()
        dispute = HelpDispute.objects.create(request=locked, opened_by=user, reason=reason[:300])
        locked.status = Status.DISPUTED
        locked.save(update_fields=["status"])
        other = locked.helper if user.pk == locked.requester_id else locked.requester
        staff = User.objects.filter(
            memberships__neighbourhood_id=locked.neighbourhood_id,
            memberships__status=Membership.Status.STAFF,
        )
        data = {"help_request_id": locked.pk, "dispute_id": dispute.pk}
        for recipient in [other, *staff]:
            if recipient is None:
                continue
            notify(
                recipient,
                kind="help_dispute",
                title=_say(_("A dispute was opened on: %(title)s"), title=locked.title),
                body=reason[:300],
                url=_url(locked),
                data=data,
            )
    return dispute


def help_dispute_resolve(
    *,
    staff: User,
    request: HelpRequest,
    outcome: str,
    helper_share_minor: int | None = None,
    note: str = "",
) -> HelpResult:
    """Property staff of the estate decide a dispute: pay the helper all of the reward,
    return all of it, or split it (``helper_share_minor`` to the helper, the rest back to
    the requester, exactly). Locks the request, then the dispute, then the wallet locks the
    hold and accounts. Audited on the dispute (who, when, what share, note); both sides are
    told (``help_dispute_resolved``)."""
    if not is_estate_staff(staff, request.neighbourhood_id):
        raise NotEstateStaff()
    if outcome not in DisputeOutcome.CHOICES:
        raise ValidationFailed(fields={"outcome": [_("Choose how to settle the dispute.")]})
    now = timezone.now()
    with transaction.atomic(durable=True):
        locked = _lock(request.pk)
        if locked.status != Status.DISPUTED:
            raise HelpWrongState()
        reward = locked.reward_minor
        if outcome == DisputeOutcome.HELPER:
            share = reward
        elif outcome == DisputeOutcome.REQUESTER:
            share = 0
        else:
            if (
                not isinstance(helper_share_minor, int)
                or reward < 2
                or not 0 < helper_share_minor < reward
            ):
                raise ValidationFailed(
                    fields={
                        "helper_share_minor": [
                            _("A split gives the helper more than nothing and less than all.")
                        ]
                    }
                )
            share = helper_share_minor
        dispute = HelpDispute.objects.select_for_update().get(request=locked)
        payment = _pay_helper(locked, share)
        _close(locked, Status.RESOLVED, now)
        dispute.status = HelpDispute.Status.RESOLVED
        dispute.helper_share_minor = share
        dispute.resolved_by = staff
        dispute.resolution_note = note.strip()[:300]
        dispute.resolved_at = now
        dispute.save(
            update_fields=[
                "status",
                "helper_share_minor",
                "resolved_by",
                "resolution_note",
                "resolved_at",
            ]
        )
        _tell_resolution(locked, share)
    return HelpResult(locked, payment)


def _tell_resolution(locked: HelpRequest, share: int) -> None:
    currency = locked.currency
    body = _say(
        _("The helper receives %(share)s; %(back)s returns to the requester."),
        share=Money(share, currency),
        back=Money(locked.reward_minor - share, currency),
    )
    for recipient in (locked.requester, locked.helper):
        if recipient is not None:
            notify(
                recipient,
                kind="help_dispute_resolved",
                title=_say(_("The dispute is settled: %(title)s"), title=locked.title),
                body=body if locked.reward_minor else "",
                url=_url(locked),
                data={"help_request_id": locked.pk, "helper_share_minor": share},
            )


# --- deadlines ----------------------------------------------------------------------------


def help_requests_sweep(*, now: datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Keep the deadlines (see the module docstring). Each request in its own durable
    transaction, re-checked under its lock, so running it twice, or alongside a person
    acting on the same request, changes each request once. Returns counts by outcome."""
    now = now or timezone.now()
    counts = {"expired": 0, "completed": 0, "returned": 0, "dispute_returned": 0}
    settle_before = now - (HOLD_GRACE - HOLD_SAFETY)

    open_due = HelpRequest.objects.filter(status=Status.OPEN, expires_at__lte=now)
    for request_id in _ids(open_due, batch):
        with transaction.atomic(durable=True):
            locked = _lock(request_id)
            if locked.status == Status.OPEN and locked.expires_at <= now:
                _expire_open(locked, now)
                counts["expired"] += 1

    done_due = HelpRequest.objects.filter(status=Status.ACCEPTED, done_at__lte=now - CONFIRM_WINDOW)
    for request_id in _ids(done_due, batch):
        with transaction.atomic(durable=True):
            locked = _lock(request_id)
            done_at = locked.done_at
            if locked.status == Status.ACCEPTED and done_at and done_at <= now - CONFIRM_WINDOW:
                counts[_settle_done(locked, now)] += 1

    hold_due = HelpRequest.objects.filter(
        status__in=(Status.ACCEPTED, Status.DISPUTED), expires_at__lte=settle_before
    )
    for request_id in _ids(hold_due, batch):
        with transaction.atomic(durable=True):
            locked = _lock(request_id)
            if locked.expires_at > settle_before:
                continue
            if locked.status == Status.ACCEPTED and locked.done_at is not None:
                counts[_settle_done(locked, now)] += 1
            elif locked.status == Status.ACCEPTED:
                _return_reward(locked)
                _close(locked, Status.EXPIRED, now)
                _tell_expired(locked)
                counts["returned"] += 1
            elif locked.status == Status.DISPUTED:
                _settle_undecided_dispute(locked, now)
                counts["dispute_returned"] += 1
    return counts


def _ids(queryset: QuerySet[HelpRequest], batch: int) -> list[int]:
    return list(queryset.order_by("expires_at", "pk").values_list("pk", flat=True)[:batch])


def _expire_open(locked: HelpRequest, now: datetime) -> None:
    _return_reward(locked)
    _close(locked, Status.EXPIRED, now)
    HelpOffer.objects.filter(request=locked, status=OfferStatus.OFFERED).update(
        status=OfferStatus.DECLINED
    )
    _tell_expired(locked)


def _tell_expired(locked: HelpRequest) -> None:
    notify(
        locked.requester,
        kind="help_expired",
        title=_say(_("Your request has ended: %(title)s"), title=locked.title),
        body=(
            _say(_("%(amount)s is available in your wallet again."), amount=_reward(locked))
            if locked.reward_minor
            else ""
        ),
        url=_url(locked),
        data={"help_request_id": locked.pk},
    )


def _settle_done(locked: HelpRequest, now: datetime) -> str:
    """Marked done and never disputed: the helper is paid, unless the hold is gone."""
    if _hold_usable(locked, now):
        _complete(locked, now)
        return "completed"
    _close(locked, Status.EXPIRED, now)
    _tell_expired(locked)
    return "returned"


def _settle_undecided_dispute(locked: HelpRequest, now: datetime) -> None:
    _return_reward(locked)
    _close(locked, Status.RESOLVED, now)
    HelpDispute.objects.filter(request=locked, status=HelpDispute.Status.OPEN).update(
        status=HelpDispute.Status.RESOLVED,
        helper_share_minor=0,
        resolution_note="not decided before the reward's hold ran out: returned to requester",
        resolved_at=now,
    )
    _tell_resolution(locked, 0)


# --- reads (pages and API) ----------------------------------------------------------------


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
