"""Reads of a shop's settlements, for its owner only: a cashier of the shop, the owner of
another shop and anyone else get 404, as if the shop had no settlements to show."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound
from merchants.models import Shop, ShopStaff
from wallet.models import Account, Settlement, SettlementLine


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
    return (
        Settlement.objects.filter(
            account__kind=Account.Kind.MERCHANT, account__owner_ref=f"shop:{shop.pk}"
        )
        .select_related("profile")
        .order_by("-business_date", "-pk")
    )


def shop_settlement(shop: Shop, settlement_id: int) -> Settlement:
    settlement = shop_settlements(shop).filter(pk=settlement_id).first()
    if settlement is None:
        raise NotFound()
    return settlement


def shop_month_settlements(shop: Shop, month: date) -> QuerySet[Settlement]:
    """The settlements of one calendar month, oldest first (a monthly statement)."""
    return (
        shop_settlements(shop)
        .filter(business_date__year=month.year, business_date__month=month.month)
        .order_by("business_date", "pk")
    )


def settlement_lines(settlement: Settlement) -> QuerySet[SettlementLine]:
    return SettlementLine.objects.filter(settlement=settlement).order_by("occurred_at", "pk")
