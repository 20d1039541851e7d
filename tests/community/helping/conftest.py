"""Fixtures for neighbour help and red packets: funded residents, a circle, clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from community.models import Circle, CircleMember, Neighbourhood, User
from tests.community.conftest import PIN, fund, make_member
from wallet.services import ledger
from wallet.services.accounts import wallet_account

__all__ = ["PIN", "available", "in_circle", "later", "make_circle", "resident"]


def available(user: User, currency: str = "CNY") -> int:
    return ledger.account_balance(wallet_account(user, currency)).available_minor


def resident(
    neighbourhood: Neighbourhood | None, *, funding: int = 0, level: int = 3, **extra
) -> User:
    user = make_member(neighbourhood, level=level, **extra)
    if funding:
        fund(user, funding)
    return user


def make_circle(neighbourhood: Neighbourhood, *members: User, name: str = "跑步群") -> Circle:
    circle = Circle.objects.create(neighbourhood=neighbourhood, name=name, created_by=members[0])
    for member in members:
        in_circle(circle, member)
    return circle


def in_circle(circle: Circle, user: User, status: str = CircleMember.Status.ACTIVE) -> None:
    CircleMember.objects.create(circle=circle, user=user, status=status)


def later(**delta: float) -> datetime:
    return timezone.now() + timedelta(**delta)


@pytest.fixture
def wang(estate) -> User:
    """王芳 asks for help; ¥100.00 in her wallet."""
    return resident(estate, funding=100_00, real_name="王芳")


@pytest.fixture
def li(estate) -> User:
    """李雷 lives in the same estate and helps; an empty wallet."""
    return resident(estate, real_name="李雷")


@pytest.fixture
def zhang(estate) -> User:
    """张伟, another neighbour who offers."""
    return resident(estate, real_name="张伟")
