"""Fixtures shared by the community tests: estates, residents at a level, staff.

Money moves in some community tests (help rewards, red packets), so the ledger check
runs after every test here too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.utils import timezone

from community.crypto import digest
from community.models import IdentityRecord, Membership, Neighbourhood, User
from community.services.membership import staff_membership_grant
from tests.factories import NeighbourhoodFactory, UserFactory
from tests.factories import fund as fund  # re-exported: tests import it from here
from wallet.services import ledger
from wallet.services.accounts import wallet_account
from wallet.services.audit import ledger_check
from wallet.services.profile import pin_set

PIN = "246810"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_identity_numbers = itertools.count()


def identity_number() -> str:
    """A fresh valid resident identity number (Beijing Dongcheng, born in the 1980s)."""
    n = next(_identity_numbers)
    born = date(1980, 1, 1) + timedelta(days=n // 1000)
    body = f"110101{born:%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def give_evidence(user: User, level: int) -> None:
    """The identity record behind ``level``, so that a later recompute keeps it."""
    if level < 1:
        return
    number = identity_number()
    now = timezone.now()
    IdentityRecord.objects.create(
        user=user,
        real_name=user.real_name,
        id_number=number,
        id_number_digest=digest(number),
        id_number_masked=f"{number[:3]}{'*' * 11}{number[-4:]}",
        provider="test",
        provider_reference=f"test-{user.pk}",
        verified_at=now,
        bank_confirmed_at=now if level >= 2 else None,
        in_person_confirmed_at=now if level >= 3 else None,
    )


@pytest.fixture(autouse=True)
def _ledger_check_after_each_test(request) -> Iterator[None]:
    yield
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or any(mark.name == "django_db" for mark in request.node.iter_markers())
    ):
        assert [str(problem) for problem in ledger_check()] == []


def make_member(
    neighbourhood: Neighbourhood | None,
    *,
    level: int = 3,
    real_name: str = "王芳",
    pin: str | None = PIN,
    status: str = Membership.Status.MEMBER,
    preferred_language: str = "en",
    **extra,
) -> User:
    """A resident at ``level``, with the identity evidence that earns it, belonging to
    ``neighbourhood`` with ``status``; PIN set so that money can move."""
    user = UserFactory(
        verification_level=level,
        real_name=real_name,
        preferred_language=preferred_language,
        **extra,
    )
    give_evidence(user, level)
    if pin:
        pin_set(user=user, new_pin=pin)
    if neighbourhood is not None:
        Membership.objects.create(user=user, neighbourhood=neighbourhood, status=status)
    return user


def make_staff(neighbourhood: Neighbourhood, **extra) -> User:
    extra.setdefault("preferred_language", "en")
    user = UserFactory(role=User.Role.PROPERTY_STAFF, **extra)
    staff_membership_grant(user=user, neighbourhood=neighbourhood)
    return user


def wallet_balance(user: User, currency: str = "CNY") -> int:
    return ledger.account_balance(wallet_account(user, currency)).balance_minor


@pytest.fixture
def estate(db) -> Neighbourhood:
    return NeighbourhoodFactory(name="阳光花园")


@pytest.fixture
def other_estate(db) -> Neighbourhood:
    return NeighbourhoodFactory(name="翠湖苑")
