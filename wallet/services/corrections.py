"""Error correction under maker-checker: one operator proposes, a different one approves,
and only then is the correcting transaction posted. Both steps are kept on the proposal."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from wallet.errors import CorrectionNotAllowed, CorrectionUnbalanced
from wallet.models import Account, CorrectionProposal, JournalTransaction
from wallet.services import ledger


def _is_operator(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def correction_propose(
    *,
    operator: Any,
    legs: list[dict[str, int]],
    reason: str,
    corrects: JournalTransaction | None = None,
) -> CorrectionProposal:
    """Propose a correcting transaction: ``legs`` are ``{"account_id", "amount_minor"}``."""
    if not _is_operator(operator):
        raise CorrectionNotAllowed()
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Say why the correction is needed.")]})
    accounts = Account.objects.in_bulk([int(leg["account_id"]) for leg in legs])
    if len(legs) < 2 or len(accounts) != len({int(leg["account_id"]) for leg in legs}):
        raise CorrectionUnbalanced()
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        amount = leg["amount_minor"]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            raise CorrectionUnbalanced()
        totals[accounts[int(leg["account_id"])].currency] += amount
    if any(totals.values()) or len(totals) != 1:
        raise CorrectionUnbalanced()
    with transaction.atomic(durable=True):
        return CorrectionProposal.objects.create(
            corrects=corrects,
            legs=[
                {"account_id": int(leg["account_id"]), "amount_minor": leg["amount_minor"]}
                for leg in legs
            ],
            currency=next(iter(totals)),
            reason=reason.strip(),
            proposed_by=operator,
        )


def _already_decided_by(locked: CorrectionProposal, operator: Any, status: str) -> bool:
    """The proposal is its own idempotency key: the deciding operator's retry (a lost
    answer, a double click) gets the decision back instead of a refusal, and nothing posts
    twice (the proposal row is locked, and its journal reference is unique)."""
    return locked.status == status and locked.decided_by_id == operator.pk


def correction_approve(
    *, operator: Any, proposal: CorrectionProposal, note: str = ""
) -> CorrectionProposal:
    """A second operator approves; the correction posts now (even on a frozen account)."""
    if not _is_operator(operator):
        raise CorrectionNotAllowed()
    with transaction.atomic(durable=True):
        locked = CorrectionProposal.objects.select_for_update().get(pk=proposal.pk)
        if _already_decided_by(locked, operator, CorrectionProposal.Status.POSTED):
            return locked
        if locked.status != CorrectionProposal.Status.PROPOSED:
            raise CorrectionNotAllowed()
        if locked.proposed_by_id == operator.pk:
            raise CorrectionNotAllowed(
                _("The operator who proposed a correction cannot approve it.")
            )
        accounts = Account.objects.in_bulk([leg["account_id"] for leg in locked.legs])
        posted = ledger.post(
            kind=JournalTransaction.Kind.CORRECTION,
            legs=[
                ledger.Leg(accounts[leg["account_id"]], leg["amount_minor"]) for leg in locked.legs
            ],
            description=locked.reason[:200],
            metadata={
                "proposal_id": locked.pk,
                "proposed_by": locked.proposed_by_id,
                "approved_by": operator.pk,
            },
            parent=locked.corrects,
            reference=f"correction:{locked.pk}",
            created_by_id=operator.pk,
            force=True,
        )
        locked.status = CorrectionProposal.Status.POSTED
        locked.decided_by = operator
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.posted = posted.transaction
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "posted"])
        return locked


def correction_reject(
    *, operator: Any, proposal: CorrectionProposal, note: str
) -> CorrectionProposal:
    if not _is_operator(operator):
        raise CorrectionNotAllowed()
    with transaction.atomic(durable=True):
        locked = CorrectionProposal.objects.select_for_update().get(pk=proposal.pk)
        if _already_decided_by(locked, operator, CorrectionProposal.Status.REJECTED):
            return locked
        if (
            locked.status != CorrectionProposal.Status.PROPOSED
            or locked.proposed_by_id == operator.pk
        ):
            raise CorrectionNotAllowed()
        locked.status = CorrectionProposal.Status.REJECTED
        locked.decided_by = operator
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        return locked
