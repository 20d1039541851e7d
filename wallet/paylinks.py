"""Pay links: a signed token naming a payee account, and optionally an amount and a memo.

Anyone may hold a link (it is shown as a QR code); the signature only stops a payer from
changing the payee or the amount in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

from core.errors import NotFound
from wallet.models import Account

_SALT = "wallet.paylink"


@dataclass(frozen=True)
class PayLink:
    payee: Account
    amount_minor: int | None
    description: str


def make_token(payee: Account, amount_minor: int | None = None, description: str = "") -> str:
    return signing.dumps({"a": payee.pk, "m": amount_minor, "d": description[:100]}, salt=_SALT)


def make_url(payee: Account, amount_minor: int | None = None, description: str = "") -> str:
    return reverse("wallet-pay", args=[make_token(payee, amount_minor, description)])


def read_token(token: str) -> PayLink:
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise NotFound() from None
    payee = Account.objects.exclude(kind=Account.Kind.SYSTEM).filter(pk=data.get("a")).first()
    if payee is None:
        raise NotFound()
    amount = data.get("m")
    return PayLink(payee, int(amount) if amount else None, str(data.get("d") or ""))
