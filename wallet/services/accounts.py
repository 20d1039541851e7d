"""Finding and opening accounts. Opening is race-safe: the unique constraints decide."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from wallet.errors import CurrencyNotSupported
from wallet.models import Account

SUPPORTED_CURRENCIES = ("CNY", "HKD", "USD")
DEFAULT_CURRENCY = "CNY"

# System accounts that stand for the outside world or absorb differences may go negative.
_NEGATIVE_SYSTEM_CODES = {
    Account.SystemCode.BANK_CLEARING,
    Account.SystemCode.FX_POSITION,
    Account.SystemCode.PROMOTIONS,
    Account.SystemCode.RECEIVABLE,
    Account.SystemCode.SUSPENSE,
}


def check_currency(currency: str) -> str:
    if currency not in SUPPORTED_CURRENCIES:
        raise CurrencyNotSupported()
    return currency


def _get_or_open(lookup: dict[str, Any], defaults: dict[str, Any]) -> Account:
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup, **defaults)
    except IntegrityError:
        # Opened by a concurrent request between our read and insert.
        return Account.objects.get(**lookup)


def wallet_account(user: Any, currency: str = DEFAULT_CURRENCY) -> Account:
    """The user's sub-wallet in ``currency``, opened on first use."""
    check_currency(currency)
    return _get_or_open(
        {"kind": Account.Kind.CUSTOMER, "owner_id": user.pk, "currency": currency},
        {"name": str(user)[:100]},
    )


def system_account(code: str, currency: str = DEFAULT_CURRENCY) -> Account:
    check_currency(currency)
    return _get_or_open(
        {"kind": Account.Kind.SYSTEM, "system_code": code, "currency": currency},
        {
            "name": str(Account.SystemCode(code).label),
            "allow_negative": code in _NEGATIVE_SYSTEM_CODES,
        },
    )


def payee_account(
    *, kind: str, owner_ref: str, name: str, currency: str = DEFAULT_CURRENCY, hot_shards: int = 0
) -> Account:
    """A merchant or collection account, keyed by the owning record ("shop:12")."""
    check_currency(currency)
    if kind not in (Account.Kind.MERCHANT, Account.Kind.COLLECTION):
        raise ValueError("payee accounts are merchant or collection accounts")
    account = _get_or_open(
        {"kind": kind, "owner_ref": owner_ref, "currency": currency}, {"name": name[:100]}
    )
    if hot_shards and account.shard_count < hot_shards:
        from wallet.services.ledger import make_hot

        account = make_hot(account, hot_shards)
    return account
