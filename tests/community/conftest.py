"""Fixtures shared by the community tests: estates, residents at a level, staff.

Money moves in some community tests (help rewards, red packets), so the ledger check
runs after every test here too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from community.models import Membership, Neighbourhood, User
from community.services.membership import staff_membership_grant
from tests.factories import NeighbourhoodFactory, UserFactory
from wallet.models import Account, JournalTransaction
from wallet.services import ledger
from wallet.services.accounts import system_account, wallet_account
from wallet.services.audit import ledger_check
from wallet.services.profile import pin_set

PIN = "246810"


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
    **extra,
) -> User:
    """A resident at ``level`` (set directly, as the wallet tests do) belonging to
    ``neighbourhood`` with ``status``; PIN set so that money can move."""
    user = UserFactory(verification_level=level, real_name=real_name, **extra)
    if pin:
        pin_set(user=user, new_pin=pin)
    if neighbourhood is not None:
        Membership.objects.create(user=user, neighbourhood=neighbourhood, status=status)
    return user


def make_staff(neighbourhood: Neighbourhood, **extra) -> User:
    user = UserFactory(role=User.Role.PROPERTY_STAFF, **extra)
    staff_membership_grant(user=user, neighbourhood=neighbourhood)
    return user


def fund(user: User, amount_minor: int, currency: str = "CNY") -> None:
    """Credit a wallet as a completed top-up would (bank clearing → wallet)."""
    with transaction.atomic():
        ledger.post(
            kind=JournalTransaction.Kind.TOPUP,
            legs=[
                ledger.Leg(
                    system_account(Account.SystemCode.BANK_CLEARING, currency), -amount_minor
                ),
                ledger.Leg(wallet_account(user, currency), amount_minor),
            ],
            description="test funding",
        )


def wallet_balance(user: User, currency: str = "CNY") -> int:
    return ledger.account_balance(wallet_account(user, currency)).balance_minor


@pytest.fixture
def estate(db) -> Neighbourhood:
    return NeighbourhoodFactory(name="阳光花园")


@pytest.fixture
def other_estate(db) -> Neighbourhood:
    return NeighbourhoodFactory(name="翠湖苑")
