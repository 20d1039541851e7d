"""Deadlines: ``help_requests_sweep``, run by a beat task, expires open requests,
completes work nobody confirmed or disputed, and settles every request still holding money
before the wallet's hold would expire (the rules are in the package docstring).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import HelpDispute, HelpOffer, HelpRequest
from community.services.helping._common import (
    HOLD_GRACE,
    OfferStatus,
    Status,
    _close,
    _complete,
    _lock,
    _return_reward,
    _reward,
    _say,
    _tell_resolution,
    _url,
)
from core.notifications import notify
from wallet.models import Hold

CONFIRM_WINDOW = timedelta(days=3)
# We settle a request this long before its hold would expire, so the wallet never has to.
HOLD_SAFETY = timedelta(days=1)


def _hold_usable(request: HelpRequest, now: datetime) -> bool:
    if request.hold_id is None:
        return True
    return Hold.objects.filter(
        pk=request.hold_id, status=Hold.Status.ACTIVE, expires_at__gt=now
    ).exists()


def help_requests_sweep(*, now: datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Keep the deadlines (see the package docstring). Each request in its own durable
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
