"""Verification levels: what evidence a user has, and the level it earns.

* I: the identity provider confirmed the name and the resident identity number.
* II: I, and a bank confirmed the same name when a card was bound.
* III: II, and the property manager confirmed the user as a household member (or staff
  checked them in person).

The level is stored on the user (the wallet reads it for limits) and only changes through
``level_recompute`` or ``level_set_by_operator``, each writing a ``LevelChange``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from community.models import IdentityRecord, LevelChange, Membership, User


def evidence_level(user_id: int) -> int:
    record = IdentityRecord.objects.filter(user_id=user_id).first()
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
    if record.level_ceiling is not None:
        level = min(level, record.level_ceiling)
    return level


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
