"""Reads for the verification pages and API: a user's status, level history, look-ups.

Nothing here returns an identity number other than masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.models import IdentityRecord, LevelChange, Membership, User
from community.phones import normalise_mainland_mobile
from community.services.verification import identity_find_by_number
from community.verification import gb11643
from core.money import Money
from wallet.models import UsageCounter
from wallet.services import limits

HISTORY_LENGTH = 50


@dataclass(frozen=True)
class LevelAllowance:
    level: int
    span: str
    limit_minor: int
    description: str | Promise


@dataclass(frozen=True)
class NextStep:
    code: str
    message: str | Promise
    url: str = ""


@dataclass(frozen=True)
class VerificationStatus:
    level: int
    level_label: str | Promise
    record: IdentityRecord | None
    allowances: list[LevelAllowance]
    # What is left under the level's limit, in CNY fen (None below level I).
    remaining_minor: int | None
    next_steps: list[NextStep] = field(default_factory=list)
    restricted: bool = False

    @property
    def id_number_masked(self) -> str:
        return self.record.id_number_masked if self.record else ""

    @property
    def verified_at(self) -> datetime | None:
        return self.record.verified_at if self.record else None


def level_allowances() -> list[LevelAllowance]:
    """What each level lets a resident pay, as the wallet's limits say."""
    allowances = []
    for level, (span, limit_minor) in sorted(limits.LEVEL_LIMITS.items()):
        amount = Money(limit_minor, "CNY").format()
        if span == UsageCounter.Span.LIFETIME:
            description = _("Pay up to %(amount)s in total") % {"amount": amount}
        else:
            description = _("Pay up to %(amount)s a year") % {"amount": amount}
        allowances.append(LevelAllowance(level, span, limit_minor, description))
    return allowances


def verification_status(user: Any) -> VerificationStatus:
    """The signed-in user's own level, evidence and next steps."""
    record = IdentityRecord.objects.filter(user_id=user.pk).first()
    level = int(user.verification_level or 0)
    steps: list[NextStep] = []
    if record is None:
        steps.append(
            NextStep(
                "verify_identity",
                _("Enter your name and identity number (takes under a minute)."),
                reverse("verify"),
            )
        )
    elif record.level_ceiling is None or record.level_ceiling > level:
        if record.bank_confirmed_at is None:
            steps.append(
                NextStep(
                    "bind_card",
                    _("Bind a bank card in your name to reach level II."),
                    reverse("wallet-cards"),
                )
            )
        household = Membership.objects.filter(
            user_id=user.pk, status=Membership.Status.MEMBER
        ).exists()
        if record.in_person_confirmed_at is None and not household:
            steps.append(
                NextStep(
                    "confirm_household",
                    _("Ask your property manager to confirm your household for level III."),
                )
            )
    remaining = limits.remaining(user)["level"] if level >= 1 else None
    return VerificationStatus(
        level=level,
        level_label=User.VerificationLevel(level).label,
        record=record,
        allowances=level_allowances(),
        remaining_minor=remaining,
        next_steps=steps,
        restricted=record is not None and record.level_ceiling is not None,
    )


def level_history(user: Any, limit: int = HISTORY_LENGTH) -> QuerySet[LevelChange]:
    return LevelChange.objects.filter(user_id=user.pk).select_related("actor")[:limit]


def user_lookup(query: str) -> User | None:
    """An operator's look-up: an 18-character identity number (by digest) or a mobile
    number."""
    text = "".join(query.split())
    if len(text) == 18 and gb11643.normalise(text)[:17].isdigit():
        record = identity_find_by_number(text)
        return record.user if record else None
    try:
        phone = normalise_mainland_mobile(text)
    except ValidationError:
        return None
    return User.objects.filter(phone=phone).first()


def estate_resident(neighbourhood_id: int, phone: str) -> User | None:
    """A resident who follows or lives in the estate, by mobile number; staff of an estate
    look up only their own estate's people."""
    try:
        normalised = normalise_mainland_mobile(phone)
    except ValidationError:
        return None
    return User.objects.filter(
        phone=normalised,
        memberships__neighbourhood_id=neighbourhood_id,
        memberships__status__in=[Membership.Status.VISITOR, Membership.Status.MEMBER],
    ).first()
