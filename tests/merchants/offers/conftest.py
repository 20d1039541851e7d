"""Fixtures of the offers tests: a shop's owner, funded residents of the estate, and a
helper that starts a campaign through the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from merchants.models import Campaign, Shop
from merchants.services import offers
from tests.merchants.checkout.conftest import in_memory_layer as in_memory_layer
from tests.merchants.conftest import fund, make_cashier, make_member


def start_campaign(shop: Shop, **terms: Any) -> Campaign:
    """A running campaign of ``shop`` (¥5.00 off, 10 coupons, a week) with ``terms``."""
    values: dict[str, Any] = {
        "name": "开业优惠",
        "kind": Campaign.Kind.AMOUNT_OFF,
        "amount_minor": 500,
        "budget_count": 10,
        "budget_minor": 5_000,
        "ends_at": timezone.now() + timedelta(days=7),
    }
    values.update(terms)
    return offers.campaign_create(owner=shop.owner, shop=shop, **values)


def resident_of(estate: Any, phone: str | None = None, **extra: Any) -> Any:
    if phone:
        extra["phone"] = phone
    user = make_member(estate, **extra)
    fund(user, 100_000)
    return user


@pytest.fixture
def resident(estate):
    return resident_of(estate)


@pytest.fixture
def cashier(shop):
    return make_cashier(shop)
