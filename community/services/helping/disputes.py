"""Disputes: either side of an accepted request opens one; the estate's property staff
pay the helper, return the reward, or split it. A dispute staff never decide is settled by
the sweep (``deadlines``) before the reward's hold runs out.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.errors import HelpDisputeExists, HelpNotAllowed, HelpWrongState, NotEstateStaff
from community.models import HelpDispute, HelpRequest, Membership, User
from community.selectors import is_estate_staff
from community.services.helping._common import (
    HelpResult,
    Status,
    _close,
    _lock,
    _pay_helper,
    _say,
    _tell_resolution,
    _url,
)
from core.errors import ValidationFailed
from core.notifications import notify


class DisputeOutcome:
    HELPER = "helper"
    REQUESTER = "requester"
    SPLIT = "split"
    CHOICES = (HELPER, REQUESTER, SPLIT)


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
