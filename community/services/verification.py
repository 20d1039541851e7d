"""Real-name verification: the evidence a user has, the level it earns, and who changed it.

* I: the identity provider confirmed the name and the resident identity number.
* II: I, and a bank confirmed the same name when a card was bound.
* III: II, and the property manager confirmed the user as a household member (or staff
  checked them in person).

The level is stored on the user (the wallet reads it for limits) and only changes through
``level_recompute`` (evidence changed) or ``level_set_by_operator`` (an operator capped or
restored it), each writing a ``LevelChange``. An operator's cap is ``level_ceiling`` on the
identity record: later evidence cannot lift the level above it.

The identity number lives only in ``IdentityRecord.id_number`` (encrypted) and is found by
its keyed digest; everything shown to a person uses ``id_number_masked``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import crypto
from community.errors import (
    AlreadyVerified,
    IdentityNotConfirmed,
    IdentityNumberInUse,
    LevelAboveEvidence,
    NotEstateStaff,
    ResidentNotVerified,
    VerificationRateLimited,
    VerificationUnavailable,
)
from community.models import (
    IdentityRecord,
    LevelChange,
    Membership,
    Neighbourhood,
    User,
    VerificationAttempt,
)
from community.selectors import is_estate_staff
from community.verification import gb11643
from community.verification.base import ProviderError, get_provider
from core.errors import Forbidden, ValidationFailed
from core.notifications import notify
from wallet.models import BankCard

MAX_ATTEMPTS_PER_DAY = 5
ATTEMPT_WINDOW = timedelta(hours=24)
MAX_LEVEL = User.VerificationLevel.III
Outcome = VerificationAttempt.Outcome
# The provider's own trouble does not use up a resident's tries: they learn nothing from it.
_COUNTED_OUTCOMES = [Outcome.MISMATCH, Outcome.NOT_FOUND, Outcome.DUPLICATE, Outcome.CONFIRMED]


# --- levels -----------------------------------------------------------------------------------


def _evidence(record: IdentityRecord | None, user_id: int, *, capped: bool) -> int:
    if record is None:
        return 0
    level = 1
    if record.bank_confirmed_at is not None:
        level = 2
        confirmed_member = Membership.objects.filter(
            user_id=user_id, status=Membership.Status.MEMBER
        ).exists()
        if record.in_person_confirmed_at is not None or confirmed_member:
            level = 3
    if capped and record.level_ceiling is not None:
        level = min(level, record.level_ceiling)
    return level


def evidence_level(user_id: int) -> int:
    """The level the evidence on file earns, under any operator's ceiling."""
    record = IdentityRecord.objects.filter(user_id=user_id).first()
    return _evidence(record, user_id, capped=True)


def level_recompute(*, user: Any, source: str, actor: Any = None, reason: str = "") -> int:
    """Bring the stored level in line with the evidence; audit a change. Locks the user row.

    Runs inside the caller's transaction (the evidence and the level change together).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("level_recompute runs inside the transaction that changed evidence")
    locked = User.objects.select_for_update().only("verification_level").get(pk=user.pk)
    new_level = evidence_level(user.pk)
    if new_level != locked.verification_level:
        LevelChange.objects.create(
            user_id=user.pk,
            from_level=locked.verification_level,
            to_level=new_level,
            source=source,
            reason=reason[:300],
            actor=actor,
        )
        User.objects.filter(pk=user.pk).update(verification_level=new_level)
    user.verification_level = new_level
    return new_level


def bank_card_confirmed(*, user: Any, card: Any) -> None:
    """The wallet bound a card whose holder the bank confirmed as the user's verified name.

    Called by the wallet inside its card transaction (``WALLET_CARD_BOUND_HANDLER``).
    """
    updated = IdentityRecord.objects.filter(
        user_id=user.pk, bank_confirmed_at__isnull=True, real_name=card.holder_name
    ).update(bank_confirmed_at=card.created_at)
    if updated:
        level_recompute(user=user, source=LevelChange.Source.BANK_CARD)


# --- identity -----------------------------------------------------------------------------------


def _record_attempt(user: Any, digest: str, outcome: str) -> None:
    VerificationAttempt.objects.create(user_id=user.pk, id_number_digest=digest, outcome=outcome)


def _check_rate_limit(user: Any) -> None:
    since = timezone.now() - ATTEMPT_WINDOW
    recent = VerificationAttempt.objects.filter(
        user_id=user.pk, created_at__gte=since, outcome__in=_COUNTED_OUTCOMES
    ).count()
    if recent >= MAX_ATTEMPTS_PER_DAY:
        raise VerificationRateLimited()


def _clean_name(real_name: str) -> str:
    name = " ".join(real_name.split())
    if not name:
        raise ValidationFailed(fields={"real_name": [_("Enter your name as on your ID card.")]})
    if len(name) > 50:
        raise ValidationFailed(fields={"real_name": [_("At most 50 characters.")]})
    return name


def _card_in_name(user: Any, real_name: str) -> BankCard | None:
    return (
        BankCard.objects.filter(owner_id=user.pk, holder_name=real_name, removed_at__isnull=True)
        .order_by("created_at", "pk")
        .first()
    )


def identity_submit(*, user: Any, real_name: str, id_number: str) -> IdentityRecord:
    """Verify ``user``'s name and identity number with the provider; on success they reach
    level I (II at once if a card in that name is already bound).

    Checks locally first (GB 11643 rules, not verified yet, at most five counted attempts a
    day), then asks the provider OUTSIDE any transaction. Every answer is recorded as a
    ``VerificationAttempt``; only a confirmation saves anything else. The confirming
    transaction locks the user row and creates the record; the unique digest and the
    one-to-one user decide between concurrent submissions (the loser saves nothing but its
    attempt). Side effects: a notification on commit.

    Raises InvalidIdentityNumber, AlreadyVerified, VerificationRateLimited,
    VerificationUnavailable (provider timed out or down), IdentityNotConfirmed (mismatch or
    not found) and IdentityNumberInUse (the number verified another account).
    """
    name = _clean_name(real_name)
    parsed = gb11643.parse(id_number)
    if IdentityRecord.objects.filter(user_id=user.pk).exists():
        raise AlreadyVerified()
    _check_rate_limit(user)
    digest = crypto.digest(parsed.number)
    provider = get_provider()
    try:
        result = provider.verify(name, parsed.number)
    except ProviderError:
        _record_attempt(user, digest, Outcome.UNAVAILABLE)
        raise VerificationUnavailable() from None
    if result.outcome != "confirmed":
        outcome = Outcome.NOT_FOUND if result.outcome == "not_found" else Outcome.MISMATCH
        _record_attempt(user, digest, outcome)
        raise IdentityNotConfirmed()
    # Checked only once the provider confirmed the pair, so that the refusal tells no one
    # without the right name whether a number is registered here.
    try:
        record = _identity_record_create(
            user=user,
            parsed=parsed,
            digest=digest,
            name=name,
            provider=provider.name,
            reference=result.reference,
        )
    except (IdentityNumberInUse, IntegrityError):
        if IdentityRecord.objects.filter(user_id=user.pk).exists():
            raise AlreadyVerified() from None
        _record_attempt(user, digest, Outcome.DUPLICATE)
        raise IdentityNumberInUse() from None
    return record


def _identity_record_create(
    *,
    user: Any,
    parsed: gb11643.IdentityNumber,
    digest: str,
    name: str,
    provider: str,
    reference: str,
) -> IdentityRecord:
    with transaction.atomic(durable=True):
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        if IdentityRecord.objects.filter(user_id=user.pk).exists():
            raise AlreadyVerified()
        if IdentityRecord.objects.filter(id_number_digest=digest).exists():
            raise IdentityNumberInUse()
        record = IdentityRecord.objects.create(
            user_id=user.pk,
            real_name=name,
            id_number=parsed.number,
            id_number_digest=digest,
            id_number_masked=parsed.masked,
            provider=provider,
            provider_reference=reference,
            verified_at=timezone.now(),
        )
        _record_attempt(user, digest, Outcome.CONFIRMED)
        User.objects.filter(pk=user.pk).update(real_name=name)
        user.real_name = name
        level_recompute(user=user, source=LevelChange.Source.PROVIDER)
        # A card bound in this name before (an operator may have revoked an earlier
        # verification) is bank evidence too: straight on to level II.
        card = _card_in_name(user, name)
        if card is not None:
            record.bank_confirmed_at = card.created_at
            record.save(update_fields=["bank_confirmed_at"])
            level_recompute(user=user, source=LevelChange.Source.BANK_CARD)
        notify(
            user,
            kind="identity_confirmed",
            title=_("Your identity is confirmed"),
            body=_("You can now pay with your wallet."),
            url=reverse("verify"),
        )
    return record


def identity_find_by_number(id_number: str) -> IdentityRecord | None:
    """The record of an identity number, found by its digest (for operators)."""
    return (
        IdentityRecord.objects.select_related("user")
        .filter(id_number_digest=crypto.digest(gb11643.normalise(id_number)))
        .first()
    )


# --- staff and operators ------------------------------------------------------------------------


def in_person_confirm(*, staff: Any, user: Any, neighbourhood: Neighbourhood) -> IdentityRecord:
    """Estate staff saw ``user`` in person with their identity card: level III evidence
    (the level reaches III once a bank card in the same name is bound too).

    Locks the identity record, then the user row (in ``level_recompute``). Idempotent: a
    second check keeps the first time and who did it. Notifies the resident on commit.
    """
    if not is_estate_staff(staff, neighbourhood.pk):
        raise NotEstateStaff()
    with transaction.atomic(durable=True):
        record = IdentityRecord.objects.select_for_update().filter(user_id=user.pk).first()
        if record is None:
            raise ResidentNotVerified()
        if record.in_person_confirmed_at is not None:
            return record
        record.in_person_confirmed_at = timezone.now()
        record.in_person_confirmed_by = staff
        record.save(update_fields=["in_person_confirmed_at", "in_person_confirmed_by"])
        level_recompute(user=user, source=LevelChange.Source.IN_PERSON, actor=staff)
        notify(
            user,
            kind="identity_in_person",
            title=_("The property office confirmed your identity in person"),
            body=_("With a bank card in your name this gives you the highest wallet limits."),
            url=reverse("verify"),
        )
    return record


def level_set_by_operator(*, operator: Any, user: Any, level: int, reason: str) -> int:
    """An operator lowers, revokes (level 0) or restores ``user``'s level, with a reason.

    Lowering sets the identity record's ``level_ceiling`` so that later evidence cannot
    lift the level again; setting the level the evidence supports removes the ceiling. An
    operator cannot grant more than the evidence supports. Locks the identity record, then
    the user row. Always writes a ``LevelChange`` (even when only the ceiling changed) and
    notifies the user on commit. Returns the new level.
    """
    if not getattr(operator, "is_operator", False):
        raise Forbidden()
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Give a reason; the user will see it.")]})
    if not 0 <= level <= MAX_LEVEL:
        raise ValidationFailed(fields={"level": [_("Choose a level from 0 to 3.")]})
    with transaction.atomic(durable=True):
        record = IdentityRecord.objects.select_for_update().filter(user_id=user.pk).first()
        if record is None:
            raise ResidentNotVerified()
        supported = _evidence(record, user.pk, capped=False)
        if level > supported:
            raise LevelAboveEvidence(extra={"supported_level": supported})
        record.level_ceiling = None if level == supported else level
        record.save(update_fields=["level_ceiling"])
        before = User.objects.select_for_update().only("verification_level").get(pk=user.pk)
        from_level = before.verification_level
        new_level = level_recompute(
            user=user, source=LevelChange.Source.OPERATOR, actor=operator, reason=reason
        )
        if new_level == from_level:
            LevelChange.objects.create(
                user_id=user.pk,
                from_level=from_level,
                to_level=new_level,
                source=LevelChange.Source.OPERATOR,
                reason=reason[:300],
                actor=operator,
            )
        notify(
            user,
            kind="verification_level_changed",
            title=_("Your verification level was changed by Linli"),
            body=reason,
            url=reverse("verify"),
        )
    return new_level
