"""JSON bodies of the money API's responses.

Pure functions of service results, kept here (not in the API views) because an idempotency
record stores the body in the same transaction as the money, and the bank services refresh
the stored body of a top-up or withdrawal when it ends later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wallet.services.accounts import name_shown_to_others

if TYPE_CHECKING:
    from wallet.models import Hold, Payment
    from wallet.services.bank import TopUpResult, WithdrawalResult
    from wallet.services.fx import ConversionResult
    from wallet.services.ledger import Balance
    from wallet.services.payments import HoldResult, PaymentResult, RefundResult, TransferResult


def balance(value: Balance) -> dict[str, Any]:
    return {
        "currency": value.currency,
        "balance_minor": value.balance_minor,
        "held_minor": value.held_minor,
        "available_minor": value.available_minor,
    }


def payment(value: Payment) -> dict[str, Any]:
    return {
        "id": value.pk,
        "transaction_id": value.transaction_id,
        "amount_minor": value.amount_minor,
        "refunded_minor": value.refunded_minor,
        "currency": value.currency,
        "status": value.status,
        "description": value.description,
        "payee": name_shown_to_others(value.payee),
        "hold_id": value.hold_id,
        "created_at": value.created_at.isoformat(),
    }


def hold(value: Hold) -> dict[str, Any]:
    return {
        "id": value.pk,
        "amount_minor": value.amount_minor,
        "captured_minor": value.captured_minor,
        "currency": value.account.currency,
        "status": value.status,
        "description": value.description,
        "payee": name_shown_to_others(value.payee),
        "expires_at": value.expires_at.isoformat(),
    }


def payment_result(value: PaymentResult) -> dict[str, Any]:
    return {"payment": payment(value.payment), "balance": balance(value.balance)}


def hold_result(value: HoldResult) -> dict[str, Any]:
    return {"hold": hold(value.hold), "balance": balance(value.balance)}


def refund_result(value: RefundResult) -> dict[str, Any]:
    return {
        "refund": {
            "transaction_id": value.transaction.pk,
            "amount_minor": value.amount_minor,
            "kind": value.transaction.kind,
        },
        "payment": payment(value.payment),
        "balance": balance(value.balance),
    }


def transfer_result(value: TransferResult) -> dict[str, Any]:
    return {
        "transfer": {
            "transaction_id": value.transaction.pk,
            "amount_minor": value.amount_minor,
            "currency": value.currency,
            "recipient": str(value.recipient),
        },
        "balance": balance(value.balance),
    }


def topup_result(value: TopUpResult) -> dict[str, Any]:
    topup = value.topup
    return {
        "topup": {
            "id": topup.pk,
            "amount_minor": topup.amount_minor,
            "currency": topup.currency,
            "status": topup.status,
            "decline_code": topup.decline_code,
            "card": {"id": topup.card_id, "last4": topup.card.last4},
        },
        "balance": balance(value.balance),
    }


def withdrawal_result(value: WithdrawalResult) -> dict[str, Any]:
    withdrawal = value.withdrawal
    return {
        "withdrawal": {
            "id": withdrawal.pk,
            "amount_minor": withdrawal.amount_minor,
            "currency": withdrawal.currency,
            "status": withdrawal.status,
            "decline_code": withdrawal.decline_code,
            "card": {"id": withdrawal.card_id, "last4": withdrawal.card.last4},
        },
        "balance": balance(value.balance),
    }


def conversion_result(value: ConversionResult) -> dict[str, Any]:
    quote = value.quote
    return {
        "conversion": {
            "quote_id": quote.pk,
            "transaction_id": value.transaction.pk,
            "sell_minor": quote.sell_minor,
            "sell_currency": quote.sell_currency,
            "buy_minor": quote.buy_minor,
            "buy_currency": quote.buy_currency,
            "rate": str(quote.rate),
        },
        "balances": {currency: balance(b) for currency, b in value.balances.items()},
    }
