"""Helpers of the household tests: a level II follower of an estate, API clients, CSV files,
and counting queries at two sizes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from community.models import Membership, Neighbourhood, User
from tests.community.conftest import make_member


def follower(estate: Neighbourhood, *, level: int = 2, **extra: Any) -> User:
    """A resident at ``level`` (with the evidence for it) who follows ``estate``: a visitor
    until a manager confirms their household."""
    return make_member(estate, level=level, pin=None, status=Membership.Status.VISITOR, **extra)


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


HEADER = "building,unit,floor,area,kind,mobile,name,relation"


def queries_of(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """Services render messages in the active language; these tests read them in English."""
    with translation.override("en"):
        yield
