"""Fixtures of the sales tests: a shop with a cashier, and residents who paid it."""

from __future__ import annotations

from typing import Any

import pytest

from merchants.models import Shop
from merchants.services import checkout
from tests.merchants.conftest import PIN, fund, make_cashier, make_member
from wallet.models import Payment


@pytest.fixture
def cashier(shop):
    return make_cashier(shop)


@pytest.fixture
def resident(estate):
    user = make_member(estate)
    fund(user, 100_000)
    return user


def paid(shop: Shop, cashier: Any, payer: Any, amount_minor: int, reference: str = "") -> Payment:
    """``payer`` pays ``shop`` ``amount_minor`` through a till request, as at the counter."""
    request = checkout.request_create(
        cashier=cashier, shop=shop, amount_minor=amount_minor, reference=reference
    )
    return checkout.request_pay(payer=payer, payment_request=request, pin=PIN).payment
