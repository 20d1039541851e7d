"""Helpers shared by the neighbour-help services: the request lock, moving the escrowed
reward, closing a request, and the notices more than one subdomain sends. Private to the
package; the rules themselves are in its other modules.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from community.models import HelpOffer, HelpRequest
from core.money import Money
from core.notifications import lazy_format, notify
from wallet.errors import HoldNotActive
from wallet.models import Hold, Payment
from wallet.services import payments
from wallet.services.accounts import wallet_account

# The hold outlives the open window by this much, time for the help itself and a dispute.
HOLD_GRACE = timedelta(days=10)

Status = HelpRequest.Status
OfferStatus = HelpOffer.Status


@dataclass(frozen=True)
class HelpResult:
    """A request after a change, and the capture that paid the helper, if one did."""

    request: HelpRequest
    payment: Payment | None = None


_say = lazy_format


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


def _close(request: HelpRequest, status: str, now: datetime) -> None:
    request.status = status
    request.closed_at = now
    request.save(update_fields=["status", "closed_at"])


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
