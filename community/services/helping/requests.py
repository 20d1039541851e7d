"""Asking for help and getting it: open a request (the reward goes into escrow), offer,
withdraw an offer, accept one, mark the job done, confirm it (the helper is paid), or
cancel. Each change locks the request row first (see the package docstring).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.errors import (
    HelpAlreadyDone,
    HelpAlreadyOffered,
    HelpNotAllowed,
    HelpNotOpen,
    HelpOfferNotAvailable,
    HelpOfferRefused,
    HelpOwnRequest,
    HelpWrongState,
)
from community.models import HelpOffer, HelpRequest, Neighbourhood, User
from community.selectors import has_blocked
from community.services.helping._common import (
    HOLD_GRACE,
    HelpResult,
    OfferStatus,
    Status,
    _close,
    _complete,
    _lock,
    _return_reward,
    _say,
    _url,
)
from community.services.membership import require_member
from core.errors import ValidationFailed
from core.notifications import notify
from wallet.models import Account
from wallet.services import payments
from wallet.services.accounts import system_account
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded

DEFAULT_OPEN_FOR = timedelta(days=3)
MIN_OPEN_FOR = timedelta(hours=1)
MAX_OPEN_FOR = timedelta(days=14)


def _require_open(request: HelpRequest, now: datetime) -> None:
    if request.status != Status.OPEN or request.expires_at <= now:
        raise HelpNotOpen()


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
