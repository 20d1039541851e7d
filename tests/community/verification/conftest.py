"""Verification fixtures: people in the sandbox registry, unverified residents, operators."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP

from community.models import User
from community.verification import sandbox
from tests.community.conftest import make_member
from tests.factories import UserFactory

# Valid numbers (correct check characters) and the names the sandbox registry holds.
WANG_FANG = ("王芳", "110101199003074522")
LI_MING = ("李明", "310104198506152619")
ZHANG_WEI = ("张伟", "11010519491231002X")  # the standard's own example, X check character


@pytest.fixture
def registry(db) -> None:
    for name, number in (WANG_FANG, LI_MING, ZHANG_WEI):
        sandbox.seed_identity(name=name, id_number=number)


def unverified(phone: str | None = None, **extra) -> User:
    """A resident who has not verified anything yet, with a PIN set for paying."""
    if phone:
        extra["phone"] = phone
    return make_member(None, level=0, real_name="", **extra)


@pytest.fixture
def resident(registry) -> User:
    return unverified()


def make_operator() -> User:
    operator = UserFactory(role=User.Role.OPERATOR, is_staff=True)
    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return operator


@pytest.fixture
def operator(db) -> User:
    return make_operator()
