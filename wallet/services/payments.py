"""Paying: direct payments, holds (authorise, capture, void, expire), refunds, cancellation
and transfers between neighbours.

Every procedure checks, locks, posts, records, then responds: the PIN is checked before the
transaction (its failures must commit), everything else inside one durable transaction with
the idempotency record. Locks: the business entity, then accounts by primary key, then
hot-account shards, then limit counters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from psycopg.types.json import Jsonb

from core.errors import NotFound, ValidationFailed
from core.money import Money
from wallet.errors import (
    AccountUnavailable,
    CaptureExceedsHold,
    DailyLimitExceeded,
    HoldNotActive,
    InsufficientFunds,
    InvalidAmount,
    PaymentNotCancellable,
    PinLocked,
    PinRequired,
    RecipientNotFound,
    RefundExceedsPayment,
    SelfTransfer,
    VerificationLimitReached,
    WalletFrozen,
)
from wallet.models import Account, Hold, JournalTransaction, Payment, PayoutProfile
from wallet.services import ledger, limits
from wallet.services.accounts import check_currency, system_account, wallet_account
from wallet.services.fx import cny_equivalent
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded
from wallet.services.notices import (
    money_notice,
    notice,
    payee_paid_event,
    send_after_commit,
    wake_after_commit,
)
from wallet.services.profile import (
    PinDecision,
    authorise_payer,
    mark_activity,
    pin_decision,
    wallet_profile,
)

DEFAULT_HOLD_LIFETIME = timedelta(days=7)
MAX_AMOUNT_MINOR = 10**12


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    balance: ledger.Balance


@dataclass(frozen=True)
class HoldResult:
    hold: Hold
    balance: ledger.Balance


@dataclass(frozen=True)
class RefundResult:
    payment: Payment
    transaction: JournalTransaction
    amount_minor: int
    balance: ledger.Balance  # of the account that refunded


@dataclass(frozen=True)
class TransferResult:
    transaction: JournalTransaction
    recipient: Any
    amount_minor: int
    currency: str
    balance: ledger.Balance


@dataclass(frozen=True)
class Preview:
    """A dry run: exactly what a payment would charge, and what it needs."""

    amount_minor: int
    currency: str
    fee_minor: int
    total_minor: int
    available_minor: int
    balance_after_minor: int
    needs_pin: bool
    problems: list[str]


def check_amount(amount_minor: int) -> int:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise InvalidAmount()
    if not 0 < amount_minor <= MAX_AMOUNT_MINOR:
        raise InvalidAmount()
    return amount_minor


def _party_name(account: Account) -> str:
    if account.owner_id is not None:
        return str(account.owner)
    return account.name


def payment_preview(*, payer: Any, payee: Account, amount_minor: int, currency: str) -> Preview:
    """What ``payment_create`` would do, without doing it."""
    check_amount(amount_minor)
    check_currency(currency)
    balance = ledger.Balance.of(wallet_account(payer, currency))
    profile = wallet_profile(payer)
    problems: list[str] = []
    if limits.verification_level(payer) < 1:
        problems.append("verification_required")
    if profile.is_frozen:
        problems.append("wallet_frozen")
    if balance.available_minor < amount_minor:
        problems.append("insufficient_funds")
    if payee.currency != currency:
        problems.append("currency_not_supported")
    amount_cny = cny_equivalent(amount_minor, currency)
    if amount_cny > profile.single_limit_minor:
        problems.append("single_limit_exceeded")
    left = limits.remaining(payer, profile=profile)
    if left["day"] is not None and amount_cny > left["day"]:
        problems.append("daily_limit_exceeded")
    if left["level"] is not None and amount_cny > left["level"]:
        problems.append("verification_limit_reached")
    needs_pin = True
    if "wallet_frozen" not in problems:
        try:
            needs_pin = pin_decision(
                user=payer, amount_cny_minor=amount_cny, profile=profile
            ).needs_pin
        except PinLocked:
            problems.append("pin_locked")
    return Preview(
        amount_minor=amount_minor,
        currency=currency,
        fee_minor=0,
        total_minor=amount_minor,
        available_minor=balance.available_minor,
        balance_after_minor=balance.available_minor - amount_minor,
        needs_pin=needs_pin,
        problems=problems,
    )


def _authorise_debit(
    *,
    payer: Any,
    payee_currency: str,
    amount_minor: int,
    currency: str,
    pin: str | None,
    idempotency: Idempotency | None,
) -> tuple[int, PinDecision]:
    """The checks every debit of a wallet makes before its transaction opens: a replay,
    the amount and currency, the payer's verification, and the PIN (whose failures must
    commit on their own). Returns the amount in CNY for the limits, and the PIN decision."""
    replay_if_recorded(idempotency)
    check_amount(amount_minor)
    check_currency(currency)
    if payee_currency != currency:
        raise ValidationFailed(fields={"currency": [_("The payee does not take this currency.")]})
    limits.check_can_pay(payer)
    amount_cny = cny_equivalent(amount_minor, currency)
    return amount_cny, authorise_payer(user=payer, amount_cny_minor=amount_cny, pin=pin)


def _payer_wallet(payer: Any, currency: str, payee: Account) -> Account:
    """The first steps of a debit's transaction: the payer's wallet, never the payee itself,
    and the activity mark that also refuses a wallet frozen meanwhile."""
    account = wallet_account(payer, currency)
    if account.pk == payee.pk:
        raise SelfTransfer()
    mark_activity(payer)
    return account


def _limit_counters(payer: Any, amount_cny: int, decision: PinDecision) -> list[limits.Counter]:
    """Every debit refuses what no counter is needed for (the amount alone over a limit)
    before it touches a balance, and counts the rest after."""
    return limits.counters(
        user=payer,
        amount_cny_minor=amount_cny,
        without_pin=decision.without_pin,
        profile=decision.profile,
    )


def payment_post(
    *,
    payer: Any,
    payee: Account,
    amount_minor: int,
    currency: str = "CNY",
    description: str,
    authorisation: DebitAuthorisation,
    metadata: dict[str, Any] | None = None,
) -> PaymentResult:
    """Pay inside the caller's transaction (after ``authorise_debit``), so that a higher
    layer's records (the bills a payment settles) change with the money or not at all.

    Locks the payer's profile, then both accounts in primary-key order; counts the limits.
    A refusal from the database aborts the transaction, so it runs in a savepoint here: the
    caller may catch the refusal and carry on.
    """
    ledger.require_transaction()
    with transaction.atomic():
        return _pay(payer, payee, amount_minor, currency, description, authorisation, metadata)


def _pay(
    payer: Any,
    payee: Account,
    amount_minor: int,
    currency: str,
    description: str,
    authorisation: DebitAuthorisation,
    metadata: dict[str, Any] | None,
) -> PaymentResult:
    if payee.currency != currency:
        raise ValidationFailed(fields={"currency": [_("The payee does not take this currency.")]})
    counters = _limit_counters(payer, authorisation.amount_cny_minor, authorisation.decision)
    notices = _payment_notices(payer, payee, amount_minor, currency)
    pay = _pay_in_database if in_database() else _pay_in_python
    payment, balance = pay(
        payer,
        payee,
        amount_minor,
        currency,
        description,
        authorisation.amount_cny_minor,
        counters,
        metadata,
        notices,
    )
    return PaymentResult(payment, balance)


def in_database() -> bool:
    """Whether payments post through the ``wallet_pay`` function (PostgreSQL) rather than
    statement by statement (SQLite, and PostgreSQL when ``WALLET_PAY_IN_DATABASE`` is off)."""
    return settings.WALLET_PAY_IN_DATABASE and connection.vendor == "postgresql"


_REFUSALS: dict[str, type[Exception]] = {
    error.code: error
    for error in (
        WalletFrozen,
        InsufficientFunds,
        AccountUnavailable,
        SelfTransfer,
        VerificationLimitReached,
        DailyLimitExceeded,
        PinRequired,
    )
}


def _pay_in_database(
    payer: Any,
    payee: Account,
    amount_minor: int,
    currency: str,
    description: str,
    amount_cny_minor: int,
    counters: list[limits.Counter],
    metadata: dict[str, Any] | None,
    notices: list[dict[str, Any]],
) -> tuple[Payment, ledger.Balance]:
    now = timezone.now()
    slot = random.randrange(payee.shard_count) if payee.is_hot else None
    params: list[Any] = [
        payer.pk,
        payee.pk,
        slot,
        currency,
        amount_minor,
        description,
        Jsonb(metadata or {}),
        now,
        amount_cny_minor,
        [each.span for each in counters],
        [each.period for each in counters],
        [each.cap_minor for each in counters],
        [each.refusal.code for each in counters],
        Jsonb(notices),
    ]
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM wallet_pay(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                params,
            )
            payment_id, transaction_id, payer_account_id, balance, held = cursor.fetchone()
    except DatabaseError as error:
        refusal = _REFUSALS.get(
            getattr(getattr(error.__cause__, "diag", None), "message_primary", "")
        )
        if refusal is None:
            raise
        raise refusal() from None
    description = description[:200]
    journal = JournalTransaction(
        pk=transaction_id,
        kind=JournalTransaction.Kind.PAYMENT,
        description=description,
        metadata=metadata or {},
        created_by_id=payer.pk,
        created_at=now,
    )
    payment = Payment(
        pk=payment_id,
        payer_id=payer_account_id,
        payee=payee,
        amount_minor=amount_minor,
        currency=currency,
        description=description,
        transaction=journal,
        created_at=now,
    )
    payment._state.adding = False
    journal._state.adding = False
    wake_after_commit()
    return payment, ledger.Balance(payer_account_id, currency, balance, held)


def _pay_in_python(
    payer: Any,
    payee: Account,
    amount_minor: int,
    currency: str,
    description: str,
    amount_cny_minor: int,
    counters: list[limits.Counter],
    metadata: dict[str, Any] | None,
    notices: list[dict[str, Any]],
) -> tuple[Payment, ledger.Balance]:
    account = _payer_wallet(payer, currency, payee)
    posted = ledger.post(
        kind=JournalTransaction.Kind.PAYMENT,
        legs=[ledger.Leg(account, -amount_minor), ledger.Leg(payee, amount_minor)],
        description=description,
        metadata=metadata,
        created_by_id=payer.pk,
    )
    limits.count(user_id=payer.pk, amount_cny_minor=amount_cny_minor, wanted=counters)
    payment = Payment.objects.create(
        payer=account,
        payee=payee,
        amount_minor=amount_minor,
        currency=currency,
        description=description[:200],
        transaction=posted.transaction,
    )
    _send_payment_notices(payment, notices)
    return payment, posted.balances[account.pk]


def _send_payment_notices(payment: Payment, notices: list[dict[str, Any]]) -> None:
    for each in notices:
        each["url"] = each["url"].replace(TRANSACTION_PLACEHOLDER, str(payment.transaction_id))
        each["data"] = {"payment_id": payment.pk, "transaction_id": payment.transaction_id}
    send_after_commit(*notices)


def payment_create(
    *,
    payer: Any,
    payee: Account,
    amount_minor: int,
    currency: str = "CNY",
    description: str,
    pin: str | None = None,
    metadata: dict[str, Any] | None = None,
    idempotency: Idempotency | None = None,
) -> PaymentResult:
    """Pay ``payee`` from the payer's wallet in ``currency``."""
    authorisation = DebitAuthorisation(
        *_authorise_debit(
            payer=payer,
            payee_currency=payee.currency,
            amount_minor=amount_minor,
            currency=currency,
            pin=pin,
            idempotency=idempotency,
        )
    )

    def work() -> PaymentResult:
        return _pay(payer, payee, amount_minor, currency, description, authorisation, metadata)

    if idempotency is None and in_database() and not connection.in_atomic_block:
        # ``wallet_pay`` is one statement, so in autocommit it is its own transaction:
        # BEGIN and COMMIT would be two more round trips for nothing.
        return work()
    # Its own durable transaction: no savepoint needed around a refusal.
    return execute(idempotency, work)


TRANSACTION_PLACEHOLDER = "{transaction}"


def _payment_notices(
    payer: Any, payee: Account, amount_minor: int, currency: str
) -> list[dict[str, Any]]:
    """The payer's and the owning payee's notices; the posting fills in the ids."""
    amount = Money(amount_minor, currency)
    url = f"/wallet/transactions/{TRANSACTION_PLACEHOLDER}/"
    notices = [
        notice(
            payer,
            kind="payment_sent",
            template=gettext_noop("You paid %(amount)s to %(party)s"),
            amount=amount,
            party=_party_name(payee),
            url=url,
            data={},
        )
    ]
    if payee.owner_id is not None:
        notices.append(
            notice(
                payee.owner,
                kind="payment_received",
                template=gettext_noop("You received %(amount)s from %(party)s"),
                amount=amount,
                party=str(payer),
                url=url,
                data={},
            )
        )
    elif settings.WALLET_PAYEE_PAID_HANDLERS:
        # A shop's or a company's account: the layer that owns it tells its staff, once
        # the payment has committed.
        notices.append(payee_paid_event())
    return notices


@dataclass(frozen=True)
class DebitAuthorisation:
    """What ``authorise_debit`` established before the transaction: keep it for the debit."""

    amount_cny_minor: int
    decision: PinDecision


def authorise_debit(
    *,
    payer: Any,
    amount_minor: int,
    currency: str = "CNY",
    pin: str | None = None,
    idempotency: Idempotency | None = None,
) -> DebitAuthorisation:
    """For callers that compose a hold with their own records in one transaction: run
    before ``execute``, as the wallet's own procedures do (a wrong PIN must commit)."""
    amount_cny, decision = _authorise_debit(
        payer=payer,
        payee_currency=currency,
        amount_minor=amount_minor,
        currency=currency,
        pin=pin,
        idempotency=idempotency,
    )
    return DebitAuthorisation(amount_cny, decision)


def authorise_mandated_debit(
    *,
    payer: Any,
    amount_minor: int,
    currency: str = "CNY",
    idempotency: Idempotency | None = None,
) -> DebitAuthorisation:
    """For a debit the payer authorised in advance with a standing mandate they can withdraw
    (auto-pay of property bills): no PIN now, since the payer is not there to type it.

    Everything else holds: verification, a frozen wallet refuses, and the amount counts
    against the level and daily limits (not the no-PIN allowance). The caller keeps the
    mandate and records it with the payment.
    """
    replay_if_recorded(idempotency)
    check_amount(amount_minor)
    check_currency(currency)
    limits.check_can_pay(payer)
    profile = wallet_profile(payer)
    if profile.is_frozen:
        raise WalletFrozen()
    decision = PinDecision(needs_pin=False, without_pin=False, profile=profile)
    return DebitAuthorisation(cny_equivalent(amount_minor, currency), decision)


def hold_place(
    *,
    payer: Any,
    payee: Account,
    amount_minor: int,
    currency: str,
    description: str,
    authorisation: DebitAuthorisation,
    lifetime: timedelta = DEFAULT_HOLD_LIFETIME,
) -> HoldResult:
    """Set money aside inside the caller's transaction (after ``authorise_debit``).

    Locks the payer's wallet row; counts the amount against the payer's limits. A hold for
    the escrow account is captured later to a payee named at capture.
    """
    ledger.require_transaction()
    counters = _limit_counters(payer, authorisation.amount_cny_minor, authorisation.decision)
    account = _payer_wallet(payer, currency, payee)
    balance = ledger.change_account(account, held_delta_minor=amount_minor)
    limits.count(user_id=payer.pk, amount_cny_minor=authorisation.amount_cny_minor, wanted=counters)
    hold = Hold.objects.create(
        account=account,
        payee=payee,
        amount_minor=amount_minor,
        description=description[:200],
        expires_at=timezone.now() + lifetime,
        level_span=next(c.span for c in counters if c.span in limits.LEVEL_SPANS),
        counted_without_pin=authorisation.decision.without_pin,
    )
    return HoldResult(hold, balance)


def hold_create(
    *,
    payer: Any,
    payee: Account,
    amount_minor: int,
    currency: str = "CNY",
    description: str,
    pin: str | None = None,
    lifetime: timedelta = DEFAULT_HOLD_LIFETIME,
    idempotency: Idempotency | None = None,
) -> HoldResult:
    """Set money aside for ``payee``; it counts against the payer's limits now."""
    authorisation = DebitAuthorisation(
        *_authorise_debit(
            payer=payer,
            payee_currency=payee.currency,
            amount_minor=amount_minor,
            currency=currency,
            pin=pin,
            idempotency=idempotency,
        )
    )
    return execute(
        idempotency,
        lambda: hold_place(
            payer=payer,
            payee=payee,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            authorisation=authorisation,
            lifetime=lifetime,
        ),
    )


def hold_take(
    *,
    hold_id: int,
    amount_minor: int | None = None,
    final: bool = True,
    to: Account | None = None,
) -> PaymentResult:
    """Capture inside the caller's transaction: lock the hold, post, record the payment.

    Returns the payee's new balance: whoever captures is on the receiving side, and the
    payer's balance is not theirs to see. ``to`` names the payee of a hold placed for the
    escrow account (a red packet's claimant, the neighbour who helped); any other hold pays
    only its own payee.
    """
    ledger.require_transaction()
    if amount_minor is not None:
        check_amount(amount_minor)
    locked = (
        Hold.objects.select_for_update(of=("self",), no_key=True)
        .select_related("account", "payee")
        .get(pk=hold_id)
    )
    if locked.status != Hold.Status.ACTIVE or locked.expires_at <= timezone.now():
        raise HoldNotActive()
    payee = locked.payee
    if to is not None and to.pk != payee.pk:
        if payee.system_code != Account.SystemCode.ESCROW:
            raise ValueError("only an escrow hold is paid to a payee named at capture")
        if to.currency != payee.currency or to.pk == locked.account_id:
            raise SelfTransfer()
        payee = to
    elif payee.system_code == Account.SystemCode.ESCROW:
        raise ValueError("an escrow hold needs the payee named at capture")
    take = locked.remaining_minor if amount_minor is None else amount_minor
    if take > locked.remaining_minor:
        raise CaptureExceedsHold()
    release = locked.remaining_minor if final else take
    posted = ledger.post(
        kind=JournalTransaction.Kind.CAPTURE,
        legs=[ledger.Leg(locked.account, -take), ledger.Leg(payee, take)],
        description=locked.description,
        metadata={"hold_id": locked.pk},
        held_changes={locked.account.pk: -release},
    )
    payer = locked.account.owner
    unused = release - take
    if unused:
        limits.release(
            user=payer,
            amount_cny_minor=cny_equivalent(unused, locked.account.currency),
            hold=locked,
        )
    locked.captured_minor += take
    if final or locked.captured_minor == locked.amount_minor:
        locked.status = Hold.Status.CAPTURED
        locked.closed_at = timezone.now()
    locked.save(update_fields=["captured_minor", "status", "closed_at"])
    payment = Payment.objects.create(
        payer=locked.account,
        payee=payee,
        amount_minor=take,
        currency=locked.account.currency,
        description=locked.description,
        transaction=posted.transaction,
        hold=locked,
    )
    _send_payment_notices(payment, _payment_notices(payer, payee, take, payment.currency))
    return PaymentResult(payment, posted.balance_of(payee))


def hold_capture(
    *,
    hold: Hold,
    amount_minor: int | None = None,
    final: bool = True,
    idempotency: Idempotency | None = None,
) -> PaymentResult:
    """Take ``amount_minor`` (default: all that remains) of an active hold to its payee.

    ``final`` releases whatever remains; otherwise the hold stays open for more captures.
    """
    replay_if_recorded(idempotency)
    if amount_minor is not None:
        check_amount(amount_minor)
    return execute(
        idempotency,
        lambda: hold_take(hold_id=hold.pk, amount_minor=amount_minor, final=final),
    )


def hold_release(hold_id: int, status: str, *, only_if_due: bool, now: Any = None) -> Hold | None:
    """Release what remains of a hold inside the caller's transaction (hold row locked
    first); ``only_if_due`` skips a hold that is not active or not yet expired."""
    ledger.require_transaction()
    locked = (
        Hold.objects.select_for_update(of=("self",), no_key=True)
        .select_related("account")
        .get(pk=hold_id)
    )
    if locked.status != Hold.Status.ACTIVE:
        if only_if_due:
            return None
        raise HoldNotActive()
    if only_if_due and locked.expires_at > (now or timezone.now()):
        return None
    remaining = locked.remaining_minor
    ledger.change_account(locked.account, held_delta_minor=-remaining)
    limits.release(
        user=locked.account.owner,
        amount_cny_minor=cny_equivalent(remaining, locked.account.currency),
        hold=locked,
    )
    locked.status = status
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    return locked


def hold_void(*, hold: Hold, idempotency: Idempotency | None = None) -> HoldResult:
    """The payee releases an active hold; a voided hold can never be captured. Returns the
    payee's balance: the payer's is not theirs to see."""
    replay_if_recorded(idempotency)

    def work() -> HoldResult:
        released = hold_release(hold.pk, Hold.Status.VOIDED, only_if_due=False)
        assert released is not None  # not only_if_due: an inactive hold raised instead
        return HoldResult(released, ledger.account_balance(released.payee))

    return execute(idempotency, work)


def holds_expire_due(*, now: Any = None, batch: int = 500) -> int:
    """Expire active holds past their time, each in its own transaction (task-safe)."""
    now = now or timezone.now()
    due = list(
        Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:batch]
    )
    expired = 0
    for hold_id in due:
        with transaction.atomic(durable=True):
            if hold_release(hold_id, Hold.Status.EXPIRED, only_if_due=True, now=now) is not None:
                expired += 1
    return expired


def payment_refund(
    *,
    payment: Payment,
    amount_minor: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
    idempotency: Idempotency | None = None,
) -> RefundResult:
    """Return ``amount_minor`` (default: all that remains) of a payment to its payer.

    Several partial refunds are fine; together they never exceed the payment.
    """
    replay_if_recorded(idempotency)
    if amount_minor is not None:
        check_amount(amount_minor)
    return execute(
        idempotency,
        lambda: _refund(payment.pk, amount_minor, reason, actor_id, cancel=False),
    )


def refund_post(
    *, payment: Payment, amount_minor: int | None, reason: str = "", actor_id: int | None = None
) -> RefundResult:
    """Refund inside the caller's transaction, so that a higher layer's records (a shop's
    refund, a coupon given back) change with the money or not at all.

    Locks the payment row first, then the accounts (as ``payment_refund``).
    """
    ledger.require_transaction()
    if amount_minor is not None:
        check_amount(amount_minor)
    return _refund(payment.pk, amount_minor, reason, actor_id, cancel=False)


def payment_cancel(
    *,
    payment: Payment,
    reason: str = "",
    actor_id: int | None = None,
    idempotency: Idempotency | None = None,
) -> RefundResult:
    """Undo a payment in full; only while nothing of it has been refunded."""
    replay_if_recorded(idempotency)
    return execute(idempotency, lambda: _refund(payment.pk, None, reason, actor_id, cancel=True))


def _refund_legs(locked: Payment, amount: int) -> tuple[list[ledger.Leg], int]:
    """The legs of a refund, and what the receivable account lends towards it.

    A payee that is paid out daily (it has an active ``PayoutProfile``) may already have
    sent the money to its bank: then the refund still succeeds. The account gives what it
    has, the receivable lends the rest and the profile owes it, repaid from the next
    settlements (``wallet.services.settlement``). Locks the profile row (after the payment
    row), then the three accounts in primary-key order. Without a profile the payee pays it
    all, or the refund is refused for insufficient funds.
    """
    payee, payer = locked.payee, locked.payer
    profile = (
        PayoutProfile.objects.select_for_update(of=("self",), no_key=True)
        .filter(account_id=payee.pk, active=True)
        .first()
    )
    if profile is None:
        return [ledger.Leg(payee, -amount), ledger.Leg(payer, amount)], 0
    if payee.status != Account.Status.ACTIVE:
        raise AccountUnavailable()
    receivable = system_account(Account.SystemCode.RECEIVABLE, locked.currency)
    available = ledger.lock_balances([payee, payer, receivable])[payee.pk].available_minor
    lent = amount - min(amount, max(available, 0))
    if not lent:
        return [ledger.Leg(payee, -amount), ledger.Leg(payer, amount)], 0
    PayoutProfile.objects.filter(pk=profile.pk).update(owed_minor=F("owed_minor") + lent)
    legs = [ledger.Leg(receivable, -lent), ledger.Leg(payer, amount)]
    if amount > lent:
        legs.insert(0, ledger.Leg(payee, -(amount - lent)))
    return legs, lent


def _refund(
    payment_id: int, amount_minor: int | None, reason: str, actor_id: int | None, *, cancel: bool
) -> RefundResult:
    locked = (
        Payment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("payer", "payee__owner")
        .get(pk=payment_id)
    )
    if locked.payee.kind == Account.Kind.CUSTOMER and locked.payee.owner is not None:
        # Money leaves a resident's wallet: one frozen as lost refunds nothing, and locking
        # the profile row keeps a freeze and this refund from passing each other. (A payee
        # who has only ever received may have no profile row yet.)
        wallet_profile(locked.payee.owner)
        mark_activity(locked.payee.owner)
    if cancel and locked.refunded_minor:
        raise PaymentNotCancellable()
    amount = locked.refundable_minor if amount_minor is None else amount_minor
    if amount <= 0 or amount > locked.refundable_minor:
        raise RefundExceedsPayment()
    kind = JournalTransaction.Kind.CANCELLATION if cancel else JournalTransaction.Kind.REFUND
    legs, lent = _refund_legs(locked, amount)
    posted = ledger.post(
        kind=kind,
        legs=legs,
        description=reason or locked.description,
        metadata={"payment_id": locked.pk, "reason": reason, "receivable_minor": lent},
        parent=locked.transaction,
        created_by_id=actor_id,
    )
    locked.refunded_minor += amount
    if cancel:
        locked.status = Payment.Status.CANCELLED
    elif locked.refunded_minor == locked.amount_minor:
        locked.status = Payment.Status.REFUNDED
    else:
        locked.status = Payment.Status.PARTIALLY_REFUNDED
    locked.save(update_fields=["refunded_minor", "status"])
    if locked.payer.owner_id is not None:
        money_notice(
            locked.payer.owner,
            kind="refund_received",
            template=gettext_noop("%(party)s refunded %(amount)s to you"),
            amount=Money(amount, locked.currency),
            party=_party_name(locked.payee),
            url=f"/wallet/transactions/{posted.transaction.pk}/",
            data={"payment_id": locked.pk, "transaction_id": posted.transaction.pk},
        )
    balance = posted.balance_of(locked.payee)
    return RefundResult(locked, posted.transaction, amount, balance)


def find_recipient(phone: str) -> Any:
    """A user by mobile number, as typed (the user model normalises it)."""
    user_model = get_user_model()
    try:
        return user_model.objects.get_by_natural_key(phone)
    except user_model.DoesNotExist:
        raise RecipientNotFound() from None


def transfer_create(
    *,
    sender: Any,
    recipient: Any,
    amount_minor: int,
    currency: str = "CNY",
    note: str = "",
    pin: str | None = None,
    idempotency: Idempotency | None = None,
) -> TransferResult:
    """Send money from one neighbour's wallet to another's."""
    if recipient.pk == sender.pk:
        raise SelfTransfer()
    amount_cny, decision = _authorise_debit(
        payer=sender,
        payee_currency=currency,
        amount_minor=amount_minor,
        currency=currency,
        pin=pin,
        idempotency=idempotency,
    )

    def work() -> TransferResult:
        counters = _limit_counters(sender, amount_cny, decision)
        source = wallet_account(sender, currency)
        target = wallet_account(recipient, currency)
        mark_activity(sender)
        posted = ledger.post(
            kind=JournalTransaction.Kind.TRANSFER,
            legs=[ledger.Leg(source, -amount_minor), ledger.Leg(target, amount_minor)],
            description=note or str(recipient),
            metadata={"note": note, "recipient_id": recipient.pk},
            created_by_id=sender.pk,
        )
        limits.count(user_id=sender.pk, amount_cny_minor=amount_cny, wanted=counters)
        money = Money(amount_minor, currency)
        url = f"/wallet/transactions/{posted.transaction.pk}/"
        data = {"transaction_id": posted.transaction.pk}
        send_after_commit(
            notice(
                sender,
                kind="transfer_sent",
                template=gettext_noop("You sent %(amount)s to %(party)s"),
                amount=money,
                party=str(recipient),
                url=url,
                data=data,
            ),
            notice(
                recipient,
                kind="transfer_received",
                template=gettext_noop("%(party)s sent you %(amount)s"),
                amount=money,
                party=str(sender),
                url=url,
                data=data,
            ),
        )
        return TransferResult(
            posted.transaction, recipient, amount_minor, currency, posted.balances[source.pk]
        )

    return execute(idempotency, work)


def payment_for(user: Any, payment_id: int) -> Payment:
    """A payment the user made or received into their own wallet, else 404."""
    payment = (
        Payment.objects.select_related("payer", "payee", "transaction")
        .filter(pk=payment_id, payer__owner_id=user.pk)
        .first()
    )
    if payment is None:
        raise NotFound()
    return payment
