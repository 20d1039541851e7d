"""Fixtures shared by the merchants tests: an estate with approved shops, their owners and
cashiers, and residents who can pay. Money moves, so the ledger check runs after each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from community.models import Neighbourhood, User
from merchants.models import Shop, ShopStaff
from merchants.services.accounts import shop_account
from tests.community.conftest import PIN as PIN
from tests.community.conftest import make_member as make_member
from tests.factories import NeighbourhoodFactory, UserFactory
from tests.factories import fund as fund  # re-exported: tests import it from here
from wallet.services.audit import ledger_check


@pytest.fixture(autouse=True)
def _ledger_check_after_each_test(request) -> Iterator[None]:
    yield
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or any(mark.name == "django_db" for mark in request.node.iter_markers())
    ):
        assert [str(problem) for problem in ledger_check()] == []


def make_shop(
    estate: Neighbourhood, name: str = "鲜果超市", *, category: str = Shop.Category.GROCERY
) -> Shop:
    """An approved shop with an owner (English pages) and its wallet account."""
    owner = UserFactory(role=User.Role.MERCHANT_STAFF, preferred_language="en")
    shop = Shop.objects.create(
        neighbourhood=estate,
        name=name,
        category=category,
        address="阳光路 1 号",
        status=Shop.Status.APPROVED,
        owner=owner,
    )
    ShopStaff.objects.create(shop=shop, user=owner, role=ShopStaff.Role.OWNER)
    shop_account(shop)
    return shop


def make_cashier(shop: Shop) -> User:
    cashier = UserFactory(role=User.Role.MERCHANT_STAFF, preferred_language="en")
    ShopStaff.objects.create(shop=shop, user=cashier, role=ShopStaff.Role.CASHIER)
    return cashier


@pytest.fixture
def estate(db) -> Neighbourhood:
    return NeighbourhoodFactory(name="阳光花园")


@pytest.fixture
def shop(estate) -> Shop:
    return make_shop(estate)


@pytest.fixture
def other_shop(estate) -> Shop:
    return make_shop(estate, "老王面馆", category=Shop.Category.FOOD)
