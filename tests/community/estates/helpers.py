"""Helpers of the estate tests: residents in buildings, and counting queries at two sizes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.models import Membership, Neighbourhood, User
from tests.community.conftest import make_member


def resident(
    estate: Neighbourhood,
    *,
    building: int | None = None,
    status: str = Membership.Status.MEMBER,
    **extra: Any,
) -> User:
    """A resident of ``estate`` with ``status``, living in ``building`` (no PIN: no money)."""
    user = make_member(estate, pin=None, status=status, **extra)
    if building is not None:
        Membership.objects.filter(user=user, neighbourhood=estate).update(building_ref=building)
    return user


def queries_of(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)
