"""Checkout at the till: dynamic payment requests, and residents' one-time payment codes.

Payment requests. A cashier asks for an amount (``request_create``); the till shows a QR
code of the request's pay link ``/pay/r/<token>/`` (a random token from ``secrets``, valid
ten minutes). A resident opens it and pays once (``request_pay``): the PIN, verification
and limits are checked by the wallet's ``authorise_debit`` before the transaction (a wrong
PIN must commit on its own; under the resident's no-PIN amount no PIN is asked); then one
durable transaction locks the request row, re-checks it is open and unexpired, posts the
payment to the shop's account (``shop_account``, a hot account) with ``payment_post`` and
marks the request ``PAID`` with the payment, the payer and the time. Two payers at the same
moment both pass the checks before the transaction; the second waits on the first one's
request lock, reads it again paid and is refused with ``request_paid`` before any money
moves. After commit every staff member of the shop gets a live
``merchant.payment_received`` event on their websocket, so the till turns "Received".

Payment codes (付款码). A resident shows an 18-digit code beginning "28" (``code_issue``,
after the PIN; valid 60 seconds; at most ¥2,000.00). Only an HMAC digest under the secret
key is stored. The cashier types or scans it with an amount (``code_charge``): the code is
the resident's authorisation, so the wallet's ``authorise_mandated_debit`` applies (no PIN,
but verification, freezing and limits do); then one durable transaction locks the code row,
re-checks it unused, unexpired and the amount within its cap, posts the payment and marks
the code used. A code charges once, whoever tries at the same moment.

Coupons (``merchants.services.offers``). Both paths apply a coupon of the shop's running
campaigns: the payer's best one by default (``request_pay`` also takes the one the payer
picked, or none; ``code_charge`` always takes the best, as the payer is not at the
screen). The price is the gross; the coupon's discount is worked out before the
transaction so that the wallet authorises (PIN, limits) the net, which is what moves, from
the resident to the shop. Inside the transaction the coupon is locked and checked again:
one used meanwhile by another payment refuses this one with ``coupon_unavailable`` before
any money moves, and the redemption is written with the payment, so a payment that fails
leaves the coupon usable. The transaction's metadata carries ``coupon_id`` (or None),
``gross_minor`` and ``discount_minor``.

Lock order (docs/ledger.md): our own row (the request or the code, ``FOR NO KEY UPDATE``,
that row only), then the coupon row, then its campaign row, then the wallet's (profile,
accounts by primary key, shards, counters).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import NotFound
from core.notifications import publish_on_commit
from merchants.errors import (
    CodeAmountTooHigh,
    CodeExpired,
    CodeInvalid,
    CodeUsed,
    RequestExpired,
    RequestPaid,
    ShopNotTrading,
)
from merchants.models import PaymentCode, PaymentRequest, Shop
from merchants.selectors_checkout import is_staff, staff_user_ids
from merchants.services import offers, webhooks
from merchants.services.accounts import shop_account
from wallet.errors import PinRequired, WalletFrozen
from wallet.models import Account, Payment
from wallet.services import ledger, limits, payments
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded
from wallet.services.profile import pin_verify, wallet_profile

CURRENCY = "CNY"
REQUEST_LIFETIME = timedelta(minutes=10)
CODE_LIFETIME = timedelta(seconds=60)
CODE_MAX_AMOUNT_MINOR = 200_000
CODE_PIN_GRACE = timedelta(minutes=5)
CODE_PREFIX = "28"
CODE_LENGTH = 18
EVENT_PAYMENT_RECEIVED = "merchant.payment_received"


@dataclass(frozen=True)
class RequestPaidResult:
    request: PaymentRequest
    payment: Payment  # of the net: the price less the coupon's discount
    balance: ledger.Balance  # the payer's, after paying
    discount_minor: int = 0
    coupon_id: int | None = None


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once; only its digest is stored
    payment_code: PaymentCode


@dataclass(frozen=True)
class CodeCharged:
    payment_code: PaymentCode
    payment: Payment  # of the net: the price less the coupon's discount
    discount_minor: int = 0
    coupon_id: int | None = None


@dataclass(frozen=True)
class RequestPreview:
    """What the payer would pay for a request: the price, the coupon, the net."""

    payment_request: PaymentRequest
    coupon: offers.CouponChoice | None
    choices: list[offers.CouponChoice]  # every coupon that applies, best first

    @property
    def discount_minor(self) -> int:
        return self.coupon.discount_minor if self.coupon else 0

    @property
    def net_minor(self) -> int:
        return self.payment_request.amount_minor - self.discount_minor


def _check_staff_and_trading(cashier: Any, shop: Shop) -> None:
    if not is_staff(cashier, shop):
        raise NotFound()
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotTrading()


def effective_status(payment_request: PaymentRequest) -> str:
    """The status as the till shows it: an open request past its time is expired."""
    if (
        payment_request.status == PaymentRequest.Status.OPEN
        and payment_request.expires_at <= timezone.now()
    ):
        return PaymentRequest.Status.EXPIRED
    return payment_request.status


# --- payment requests (dynamic QR) ---------------------------------------------------------


def request_create(
    *,
    cashier: Any,
    shop: Shop,
    amount_minor: int,
    reference: str = "",
    idempotency: Idempotency | None = None,
) -> PaymentRequest:
    """A new open request of ``shop`` for ``amount_minor`` fen, valid ten minutes.

    Only the shop's staff (else ``NotFound``), only an approved shop (``ShopNotTrading``).
    Moves no money; the Idempotency-Key keeps a double tap from showing two codes.
    """
    replay_if_recorded(idempotency)
    _check_staff_and_trading(cashier, shop)
    payments.check_amount(amount_minor)

    def work() -> PaymentRequest:
        return PaymentRequest.objects.create(
            shop=shop,
            token=secrets.token_urlsafe(18),
            amount_minor=amount_minor,
            currency=CURRENCY,
            reference=reference.strip()[:40],
            created_by=cashier,
            expires_at=timezone.now() + REQUEST_LIFETIME,
        )

    return execute(idempotency, work)


def _check_payable(payment_request: PaymentRequest) -> None:
    if payment_request.status == PaymentRequest.Status.PAID:
        raise RequestPaid()
    if effective_status(payment_request) != PaymentRequest.Status.OPEN:
        raise RequestExpired()


def request_preview(
    *, payer: Any, payment_request: PaymentRequest, coupon: offers.CouponPick = offers.BEST
) -> RequestPreview:
    """What ``request_pay`` would charge ``payer`` with ``coupon`` (the best by default),
    and every coupon of theirs that applies. Reads only."""
    shop = payment_request.shop
    choices = offers.applicable_coupons(payer, shop, payment_request.amount_minor)
    chosen = offers.choose_coupon(
        payer, shop, payment_request.amount_minor, coupon, choices=choices
    )
    return RequestPreview(payment_request, chosen, choices)


def _payment_metadata(
    key: str, row_id: int, shop: Shop, gross_minor: int, choice: offers.CouponChoice | None
) -> dict[str, Any]:
    return {
        key: row_id,
        "shop_id": shop.pk,
        "coupon_id": choice.coupon.pk if choice else None,
        "gross_minor": gross_minor,
        "discount_minor": choice.discount_minor if choice else 0,
    }


def request_pay(
    *,
    payer: Any,
    payment_request: PaymentRequest,
    pin: str | None,
    coupon: offers.CouponPick = offers.BEST,
    idempotency: Idempotency | None = None,
) -> RequestPaidResult:
    """Pay ``payment_request`` from the payer's CNY wallet, once, with a coupon: the best
    (default), the one picked (an id), or none (None).

    Checks before the transaction: a replay answers first; the request is open and
    unexpired (``RequestPaid`` / ``RequestExpired``), its shop still approved
    (``ShopNotTrading``); the coupon picked applies (``offers.choose_coupon``); the
    wallet's PIN, verification and limits for the net (``authorise_debit``). Locks the
    request row, re-checks it, then the coupon and its campaign (``coupon_unavailable`` if
    it was used meanwhile), then the wallet's rows. Invariant: a PAID request points at
    exactly one payment of its amount less the coupon's discount to the shop's account,
    and a coupon's redemption is written with it. Side effects after commit: the wallet's
    payment notice to the payer and a ``merchant.payment_received`` live event to every
    staff member of the shop.
    """
    replay_if_recorded(idempotency)
    _check_payable(payment_request)
    shop = payment_request.shop
    if shop.status != Shop.Status.APPROVED:
        raise ShopNotTrading()
    payee = shop_account(shop, payment_request.currency)
    gross = payment_request.amount_minor
    choice = offers.choose_coupon(payer, shop, gross, coupon)
    net = gross - (choice.discount_minor if choice else 0)
    authorisation = payments.authorise_debit(
        payer=payer,
        amount_minor=net,
        currency=payment_request.currency,
        pin=pin,
        idempotency=idempotency,
    )

    def work() -> RequestPaidResult:
        locked = (
            PaymentRequest.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk=payment_request.pk)
            .get()
        )
        _check_payable(locked)
        if choice:
            offers.coupon_lock(choice, payer=payer, shop=shop, gross_minor=gross)
        paid = payments.payment_post(
            payer=payer,
            payee=payee,
            amount_minor=net,
            currency=locked.currency,
            description=_description(shop, locked.reference),
            authorisation=authorisation,
            metadata=_payment_metadata("payment_request_id", locked.pk, shop, gross, choice),
        )
        if choice:
            offers.redeem(
                coupon=choice.coupon,
                payment=paid.payment,
                gross_minor=gross,
                discount_minor=choice.discount_minor,
            )
        locked.status = PaymentRequest.Status.PAID
        locked.payment = paid.payment
        locked.paid_by = payer
        locked.paid_at = timezone.now()
        locked.save(update_fields=["status", "payment", "paid_by", "paid_at"])
        locked.shop = shop
        _announce_received(
            shop,
            paid.payment,
            request_id=locked.pk,
            reference=locked.reference,
            gross_minor=gross,
            choice=choice,
        )
        return RequestPaidResult(
            locked,
            paid.payment,
            paid.balance,
            discount_minor=choice.discount_minor if choice else 0,
            coupon_id=choice.coupon.pk if choice else None,
        )

    return execute(idempotency, work)


def _description(shop: Shop, reference: str) -> str:
    return f"{shop.name} {reference}".strip()


def _announce_received(
    shop: Shop,
    payment: Payment,
    *,
    request_id: int | None = None,
    code_id: int | None = None,
    reference: str = "",
    gross_minor: int | None = None,
    choice: offers.CouponChoice | None = None,
) -> None:
    """Inside the payment's transaction: queue the ``payment.succeeded`` webhook, and after
    commit the live "received" event to every staff member's websockets.

    ``amount_minor`` is what the shop received. A payment with a coupon adds the price
    (``gross_minor``), the ``discount_minor`` and the ``coupon_id``.
    """
    event: dict[str, Any] = {
        "type": EVENT_PAYMENT_RECEIVED,
        "shop_id": shop.pk,
        "request_id": request_id,
        "code_id": code_id,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
    }
    if choice is not None:
        event["gross_minor"] = gross_minor
        event["discount_minor"] = choice.discount_minor
        event["coupon_id"] = choice.coupon.pk
    for user_id in staff_user_ids(shop):
        publish_on_commit(user_id, event)
    webhooks.emit(
        shop_id=shop.pk,
        event_type="payment.succeeded",
        event_key=f"payment:{payment.pk}",
        data={
            "payment_id": payment.pk,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
            "gross_minor": gross_minor if choice is not None else payment.amount_minor,
            "discount_minor": choice.discount_minor if choice is not None else 0,
            "payment_request_id": request_id,
            "payment_code_id": code_id,
            "order_reference": reference,
            "paid_at": payment.created_at.isoformat(),
        },
    )


def payment_to_shop(*, payment: Payment, payee: Account) -> None:
    """One of the wallet's ``WALLET_PAYEE_PAID_HANDLERS``: a payment reached an account no
    user owns.
    It runs once the payment has committed, from the wallet's outbox (in the delivery's
    transaction, so the webhook is recorded exactly once).

    For a shop's account paid through its static QR (the wallet's pay link), tell the till
    live, as a paid request does. Requests and codes announce themselves with their id
    (their postings carry it), so they are not announced twice.
    """
    shop_id = payee.owner_ref.removeprefix("shop:")
    if not payee.owner_ref.startswith("shop:") or not shop_id.isdigit():
        return
    metadata = payment.transaction.metadata or {}
    if "payment_request_id" in metadata or "payment_code_id" in metadata:
        return
    shop = Shop.objects.filter(pk=int(shop_id)).first()
    if shop is not None:
        _announce_received(shop, payment)


# --- payment codes (付款码) ----------------------------------------------------------------


def code_digest(code: str) -> str:
    """The keyed digest stored for a code (the code itself is never stored)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"payment-code:{code}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    digits = CODE_LENGTH - len(CODE_PREFIX)
    return CODE_PREFIX + f"{secrets.randbelow(10**digits):0{digits}d}"


def code_issue(
    *, user: Any, pin: str | None, pin_verified_at: datetime | None = None
) -> IssuedCode:
    """A fresh one-time code for ``user``, valid 60 seconds, for at most ¥2,000.00.

    Needs the PIN (``pin_verify``: a wrong one is counted and commits on its own) and a
    verified, unfrozen wallet. The code page renews the code every minute without asking
    again: it passes ``pin_verified_at``, when this user last typed the PIN on it, and a
    PIN typed within ``CODE_PIN_GRACE`` (five minutes) stands; after that ``PinRequired``.
    Any earlier unused code of the user stops working at once, so only the code on screen
    can pay.
    """
    limits.check_can_pay(user)
    profile = wallet_profile(user)
    if profile.is_frozen:
        raise WalletFrozen()
    if pin:
        pin_verify(user=user, pin=pin, profile=profile)
    elif pin_verified_at is None or timezone.now() - pin_verified_at > CODE_PIN_GRACE:
        raise PinRequired()
    now = timezone.now()
    with transaction.atomic(durable=True):
        PaymentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        code = _new_code()
        while PaymentCode.objects.filter(code_digest=code_digest(code)).exists():
            code = _new_code()  # 10^16 codes: practically never
        payment_code = PaymentCode.objects.create(
            user=user,
            code_digest=code_digest(code),
            max_amount_minor=CODE_MAX_AMOUNT_MINOR,
            expires_at=now + CODE_LIFETIME,
        )
    return IssuedCode(code, payment_code)


def _normalise_code(code: str) -> str:
    text = "".join(code.split())
    if len(text) != CODE_LENGTH or not text.isdigit() or not text.startswith(CODE_PREFIX):
        raise CodeInvalid()
    return text


def _check_chargeable(payment_code: PaymentCode, amount_minor: int) -> None:
    if payment_code.used_at is not None:
        raise CodeUsed()
    if payment_code.expires_at <= timezone.now():
        raise CodeExpired()
    if amount_minor > payment_code.max_amount_minor:
        raise CodeAmountTooHigh()


def code_charge(
    *,
    cashier: Any,
    shop: Shop,
    code: str,
    amount_minor: int,
    idempotency: Idempotency | None = None,
) -> CodeCharged:
    """Charge the price ``amount_minor`` to the resident whose code the cashier read,
    once, less the resident's best coupon at the shop.

    Checks: the cashier works in the approved shop; the code is well formed and known
    (``CodeInvalid``), unused (``CodeUsed``), unexpired (``CodeExpired``) and the net
    within its cap (``CodeAmountTooHigh``); the wallet's ``authorise_mandated_debit`` of
    the net for the resident. Locks the code row, re-checks it, then the coupon and its
    campaign (``coupon_unavailable`` if used meanwhile), then the wallet's rows.
    Invariant: a used code points at its one payment. Side effects after commit: the
    payer's payment notice and the live ``merchant.payment_received`` event to the shop's
    staff.
    """
    replay_if_recorded(idempotency)
    _check_staff_and_trading(cashier, shop)
    payments.check_amount(amount_minor)
    found = (
        PaymentCode.objects.select_related("user")
        .filter(code_digest=code_digest(_normalise_code(code)))
        .first()
    )
    if found is None:
        raise CodeInvalid()
    payer = found.user
    choice = offers.best_coupon(payer, shop, amount_minor)
    net = amount_minor - (choice.discount_minor if choice else 0)
    _check_chargeable(found, net)
    payee = shop_account(shop, CURRENCY)
    authorisation = payments.authorise_mandated_debit(
        payer=payer, amount_minor=net, currency=CURRENCY, idempotency=idempotency
    )

    def work() -> CodeCharged:
        locked = (
            PaymentCode.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk=found.pk)
            .get()
        )
        _check_chargeable(locked, net)
        if choice:
            offers.coupon_lock(choice, payer=payer, shop=shop, gross_minor=amount_minor)
        paid = payments.payment_post(
            payer=payer,
            payee=payee,
            amount_minor=net,
            currency=CURRENCY,
            description=shop.name,
            authorisation=authorisation,
            metadata=_payment_metadata("payment_code_id", locked.pk, shop, amount_minor, choice),
        )
        if choice:
            offers.redeem(
                coupon=choice.coupon,
                payment=paid.payment,
                gross_minor=amount_minor,
                discount_minor=choice.discount_minor,
            )
        locked.used_at = timezone.now()
        locked.shop = shop
        locked.payment = paid.payment
        locked.save(update_fields=["used_at", "shop", "payment"])
        locked.user = payer
        _announce_received(
            shop, paid.payment, code_id=locked.pk, gross_minor=amount_minor, choice=choice
        )
        return CodeCharged(
            locked,
            paid.payment,
            discount_minor=choice.discount_minor if choice else 0,
            coupon_id=choice.coupon.pk if choice else None,
        )

    return execute(idempotency, work)
