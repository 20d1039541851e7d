"""Finding and opening accounts. Opening is race-safe: the unique constraints decide."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

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


def masked_real_name(user: Any) -> str:
    """Enough of the verified name to confirm the right person: ``**芳`` or ``L** Lei``."""
    name = getattr(user, "real_name", "") or ""
    if not name:
        return ""
    if " " in name:
        first, _sep, last = name.rpartition(" ")
        return f"{first[0]}{'*' * (len(first) - 1)} {last}"
    return "*" * (len(name) - 1) + name[-1]


def name_shown_to_others(account: Account) -> str:
    """How an account is named to someone who is not its owner.

    A resident's wallet is named after its owner's display name or, failing that, their
    mobile number; anyone can name an account id to the dry run, so a resident is shown
    by the masked verified name instead, as a transfer's confirmation shows them.
    """
    if account.kind != Account.Kind.CUSTOMER or account.owner is None:
        return account.name
    return masked_real_name(account.owner) or str(_("A resident's wallet"))


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
