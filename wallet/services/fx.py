"""Currency conversion between a user's sub-wallets at operator-set rates.

A rate is a mid rate with a spread; the customer sells at mid − spread. A quote fixes the
amounts for 60 seconds and can be used once. Both legs post in one transaction through the
FX position accounts, which keep the spread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from core.money import Money
from wallet.errors import InvalidAmount, QuoteExpired, RateNotAvailable
from wallet.models import Account, FxQuote, FxRate, JournalTransaction
from wallet.services import ledger
from wallet.services.accounts import check_currency, system_account, wallet_account
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded
from wallet.services.profile import authorise_payer

QUOTE_LIFETIME = timedelta(seconds=60)
BPS = Decimal(10_000)


def rate_set(*, operator: Any, base: str, quote: str, mid_rate: Decimal, spread_bps: int) -> FxRate:
    check_currency(base)
    check_currency(quote)
    if base == quote or mid_rate <= 0 or not 0 <= spread_bps < 5_000:
        raise ValidationFailed()
    with transaction.atomic(durable=True):
        return FxRate.objects.create(
            base=base, quote=quote, mid_rate=mid_rate, spread_bps=spread_bps, set_by=operator
        )


def mid_rate(sell: str, buy: str) -> tuple[Decimal, int]:
    """Units of ``buy`` per unit of ``sell`` at mid, and the spread, from the latest rate."""
    direct = FxRate.objects.filter(base=sell, quote=buy).order_by("-created_at", "-id").first()
    inverse = FxRate.objects.filter(base=buy, quote=sell).order_by("-created_at", "-id").first()
    latest = max(
        (r for r in (direct, inverse) if r is not None),
        key=lambda r: (r.created_at, r.pk),
        default=None,
    )
    if latest is None:
        raise RateNotAvailable()
    if latest is direct:
        return latest.mid_rate, latest.spread_bps
    return Decimal(1) / latest.mid_rate, latest.spread_bps


def cny_equivalent(amount_minor: int, currency: str) -> int:
    """For limits: rounded up, so a limit is never passed by rounding."""
    if currency == "CNY":
        return amount_minor
    rate, _spread = mid_rate(currency, "CNY")
    return int((Decimal(amount_minor) * rate).to_integral_value(rounding=ROUND_CEILING))


def quote_create(*, user: Any, sell_currency: str, buy_currency: str, sell_minor: int) -> FxQuote:
    check_currency(sell_currency)
    check_currency(buy_currency)
    if sell_currency == buy_currency:
        raise ValidationFailed(fields={"buy_currency": [_("Choose a different currency.")]})
    if sell_minor <= 0:
        raise InvalidAmount()
    rate, spread_bps = mid_rate(sell_currency, buy_currency)
    customer_rate = rate * (BPS - spread_bps) / BPS
    # The customer receives what the rate gives, rounded down once to a whole minor unit.
    buy_minor = int((Decimal(sell_minor) * customer_rate).to_integral_value(rounding=ROUND_DOWN))
    if buy_minor <= 0:
        raise InvalidAmount()
    with transaction.atomic(durable=True):
        return FxQuote.objects.create(
            user_id=user.pk,
            sell_currency=sell_currency,
            buy_currency=buy_currency,
            sell_minor=sell_minor,
            buy_minor=buy_minor,
            rate=customer_rate.quantize(Decimal("0.00000001")),
            expires_at=timezone.now() + QUOTE_LIFETIME,
        )


@dataclass(frozen=True)
class ConversionResult:
    quote: FxQuote
    transaction: JournalTransaction
    balances: dict[str, ledger.Balance]


def conversion_execute(
    *, user: Any, quote_id: int, pin: str | None, idempotency: Idempotency | None = None
) -> ConversionResult:
    """Convert at a quote still within its 60 seconds; both legs in one transaction."""
    replay_if_recorded(idempotency)
    quote = FxQuote.objects.filter(pk=quote_id, user_id=user.pk).first()
    if quote is None:
        from core.errors import NotFound

        raise NotFound()
    authorise_payer(
        user=user, amount_cny_minor=cny_equivalent(quote.sell_minor, quote.sell_currency), pin=pin
    )

    def work() -> ConversionResult:
        locked = FxQuote.objects.select_for_update(no_key=True).get(pk=quote.pk)
        if locked.used_at is not None or locked.expires_at <= timezone.now():
            raise QuoteExpired()
        sell_wallet = wallet_account(user, locked.sell_currency)
        buy_wallet = wallet_account(user, locked.buy_currency)
        posted = ledger.post(
            kind=JournalTransaction.Kind.CONVERSION,
            legs=[
                ledger.Leg(sell_wallet, -locked.sell_minor),
                ledger.Leg(
                    system_account(Account.SystemCode.FX_POSITION, locked.sell_currency),
                    locked.sell_minor,
                ),
                ledger.Leg(
                    system_account(Account.SystemCode.FX_POSITION, locked.buy_currency),
                    -locked.buy_minor,
                ),
                ledger.Leg(buy_wallet, locked.buy_minor),
            ],
            description=f"{Money(locked.sell_minor, locked.sell_currency).format('en')} → "
            f"{Money(locked.buy_minor, locked.buy_currency).format('en')}",
            metadata={"quote_id": locked.pk, "rate": str(locked.rate)},
            reference=f"fxquote:{locked.pk}",
            created_by_id=user.pk,
        )
        locked.used_at = timezone.now()
        locked.transaction = posted.transaction
        locked.save(update_fields=["used_at", "transaction"])
        return ConversionResult(
            locked,
            posted.transaction,
            {
                locked.sell_currency: posted.balances[sell_wallet.pk],
                locked.buy_currency: posted.balances[buy_wallet.pk],
            },
        )

    return execute(idempotency, work)
