"""Fixtures of the onboarding tests: a verified applicant with a bound card, operators,
API clients, and counting queries."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from community.models import Membership, Neighbourhood, User
from tests.factories import NeighbourhoodFactory, UserFactory
from tests.merchants.conftest import make_member
from wallet.models import BankCard

GOOD_CODE = "91350100M000100Y43"  # published, check character matches
OTHER_GOOD_CODE = "91110000600037341L"
BAD_CHECK_CODE = "91350100M000100Y44"  # well-formed, wrong check character
_tokens = itertools.count()


def make_card(user: User, **extra: Any) -> BankCard:
    n = next(_tokens)
    values: dict[str, Any] = {
        "bank_name": "招商银行",
        "last4": f"{n % 10000:04d}",
        "expiry_month": 12,
        "expiry_year": 2031,
        "holder_name": user.real_name or "王芳",
        "token": f"tok-onb-{n}",
    }
    values.update(extra)
    return BankCard.objects.create(owner=user, **values)


def make_applicant(estate: Neighbourhood | None, *, level: int = 2) -> User:
    """A person who wants to open a shop: verified at ``level``, following ``estate``."""
    return make_member(estate, level=level, pin=None, status=Membership.Status.VISITOR)


def make_operator() -> User:
    operator = UserFactory(role=User.Role.OPERATOR, is_staff=True, preferred_language="en")
    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return operator


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def queries_of(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@pytest.fixture
def other_estate(db) -> Neighbourhood:
    return NeighbourhoodFactory(name="翠湖苑")


@pytest.fixture
def applicant(estate) -> User:
    return make_applicant(estate)


@pytest.fixture
def card(applicant) -> BankCard:
    return make_card(applicant)


@pytest.fixture
def operator(db) -> User:
    return make_operator()


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield
