"""A shop's account in the wallet: where its takings go."""

from __future__ import annotations

from merchants.models import Shop
from wallet.models import Account
from wallet.services.accounts import payee_account

# A busy till at lunchtime: spread the credits over shards (docs/ledger.md, hot accounts).
SHOP_SHARDS = 8


def shop_account(shop: Shop, currency: str = "CNY") -> Account:
    return payee_account(
        kind=Account.Kind.MERCHANT,
        owner_ref=f"shop:{shop.pk}",
        name=shop.name,
        currency=currency,
        hot_shards=SHOP_SHARDS,
    )
