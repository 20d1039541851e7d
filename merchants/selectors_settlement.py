"""Reads of a shop's settlements, for its owner only: a cashier of the shop, the owner of
another shop and anyone else get 404, as if the shop had no settlements to show."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound
from merchants.models import Shop, ShopStaff
from wallet import settlement_statements as statements
from wallet.models import Account, Settlement


def owned_shop(user: Any, shop_id: int) -> Shop:
    """The shop ``shop_id`` if ``user`` is its owner, else ``NotFound``."""
    shop = Shop.objects.filter(
        pk=shop_id, staff__user_id=user.pk, staff__role=ShopStaff.Role.OWNER
    ).first()
    if shop is None:
        raise NotFound()
    return shop


def shop_settlements(shop: Shop) -> QuerySet[Settlement]:
    """The shop's settlements, newest day first, with the payout card (one query)."""
    return statements.payee_settlements(Account.Kind.MERCHANT, f"shop:{shop.pk}")


def shop_settlement(shop: Shop, settlement_id: int) -> Settlement:
    return statements.settlement_in(shop_settlements(shop), settlement_id)


def shop_month_settlements(shop: Shop, month: date) -> QuerySet[Settlement]:
    return statements.month_settlements(shop_settlements(shop), month)
