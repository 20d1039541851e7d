"""Refunds a shop gives on its payments: full or partial, several partials up to what the
resident actually paid, before or after the money was settled to the shop's bank.

``refund_create`` checks that the caller works in the shop and that the payment was made
to the shop's account (anything else is 404), then, in one durable transaction: the
wallet's ``refund_post`` locks the payment row and moves the money back from the shop's
account to the payer's wallet (a refund after settlement that the shop's balance cannot
cover is lent by the wallet's receivable account and taken from the shop's next
settlement, see docs/settlement.md); the ``ShopRefund`` record names who gave it and why;
when the refund takes what is left of the payment and its coupon's campaign still runs,
the coupon goes back to the resident; the ``refund.succeeded`` webhook is queued. All or nothing.

Lock order: the payment row, the coupon and campaign rows (a full refund with a coupon),
then the wallet's accounts (docs/ledger.md).

Who may refund: the owner and the shop's cashiers (at the till is where a customer asks);
every refund is recorded with its cashier, and a cashier's refund tells the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import NotFound
from core.money import Money
from core.notifications import lazy_format, notify
from merchants.models import Shop, ShopRefund
from merchants.selectors_checkout import is_staff
from merchants.services import offers, webhooks
from merchants.services.accounts import shop_account
from wallet.models import Payment
from wallet.services import payments
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded

REASON_MAX_LENGTH = 200


@dataclass(frozen=True)
class RefundGiven:
    refund: ShopRefund
    payment: Payment
    coupon_returned: bool


def shop_payment(shop: Shop, payment_id: int) -> Payment:
    """A payment made to ``shop``'s account, else ``NotFound`` (another shop's is 404)."""
    account = shop_account(shop)
    payment = (
        Payment.objects.select_related("payer__owner", "transaction")
        .filter(pk=payment_id, payee_id=account.pk)
        .first()
    )
    if payment is None:
        raise NotFound()
    return payment


def refund_create(
    *,
    actor: Any,
    shop: Shop,
    payment: Payment,
    amount_minor: int | None = None,
    reason: str = "",
    idempotency: Idempotency | None = None,
) -> RefundGiven:
    """Give back ``amount_minor`` fen (default: all that is left) of ``payment``.

    Checks: ``actor`` works in ``shop`` and ``payment`` was made to it (else
    ``NotFound``); the amount is positive and at most what is left to refund (the
    wallet's ``refund_exceeds_payment``). Side effects after commit: the payer's refund
    notice (the wallet's), the owner's notice when a cashier refunded, the webhook.
    """
    replay_if_recorded(idempotency)
    if not is_staff(actor, shop) or payment.payee_id != shop_account(shop).pk:
        raise NotFound()
    reason = (reason or "").strip()[:REASON_MAX_LENGTH]

    def work() -> RefundGiven:
        # The payment row first, then (a full refund) the coupon and the campaign, then the
        # wallet's accounts: the order a coupon payment takes them in, so the two cannot
        # deadlock.
        locked = Payment.objects.select_for_update(of=("self",), no_key=True).get(pk=payment.pk)
        full = amount_minor is None or amount_minor == locked.refundable_minor
        coupon_returned = full and offers.redemption_return(payment=locked)
        result = payments.refund_post(
            payment=locked,
            amount_minor=amount_minor,
            reason=reason or f"{shop.name}: {payment.description}"[:REASON_MAX_LENGTH],
            actor_id=actor.pk,
        )
        refunded = result.payment
        refund = ShopRefund.objects.create(
            shop=shop,
            payment=refunded,
            amount_minor=result.amount_minor,
            reason=reason,
            refunded_by=actor,
            transaction=result.transaction,
            coupon_returned=coupon_returned,
        )
        webhooks.emit(
            shop_id=shop.pk,
            event_type="refund.succeeded",
            event_key=f"refund:{refund.pk}",
            data={
                "refund_id": refund.pk,
                "payment_id": refunded.pk,
                "amount_minor": refund.amount_minor,
                "currency": refunded.currency,
                "payment_status": refunded.status,
                "refunded_minor": refunded.refunded_minor,
                "reason": reason,
                "coupon_returned": coupon_returned,
            },
        )
        if shop.owner_id and shop.owner_id != actor.pk:
            notify(
                shop.owner,
                kind="shop_refund",
                title=lazy_format(
                    _("%(cashier)s refunded %(amount)s at %(shop)s"),
                    cashier=str(actor),
                    amount=Money(refund.amount_minor, refunded.currency),
                    shop=shop.name,
                ),
                body=reason,
                url=f"/shop/{shop.pk}/payments/{refunded.pk}/",
                data={"shop_id": shop.pk, "payment_id": refunded.pk, "refund_id": refund.pk},
            )
        return RefundGiven(refund, refunded, coupon_returned)

    return execute(idempotency, work)
