"""Money in and out through the bank: cards, top-ups, withdrawals, and their resolution.

A bank call never happens inside a database transaction. A top-up is recorded as pending
before the bank is asked; whatever the bank then says, late or twice, ``topup_settle``
credits it at most once (the journal reference ``topup:<id>`` is unique). A withdrawal takes
the money out of the wallet before the payout is sent, and gives it back if the bank
refuses. Pending operations are resolved by ``resolve_pending`` (Celery beat, every minute).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop

from core.errors import NotFound, ValidationFailed
from core.money import Money
from wallet import renderers
from wallet.errors import (
    BankUnavailable,
    CardHolderMismatch,
    CardUnusable,
    VerificationRequired,
)
from wallet.gateways import CardRejected, GatewayTimeout, Outcome, get_gateway
from wallet.models import (
    Account,
    BankCard,
    IdempotencyRecord,
    JournalTransaction,
    Settlement,
    TopUp,
    Withdrawal,
)
from wallet.services import ledger, limits
from wallet.services.accounts import check_currency, system_account, wallet_account
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded
from wallet.services.notices import money_notice
from wallet.services.payments import check_amount
from wallet.services.profile import pin_verify, wallet_profile
from wallet.services.settlement import settlement_record_outcome

logger = logging.getLogger(__name__)

# A pending operation younger than this may still be in flight: leave it to the bank.
SETTLE_GRACE = timedelta(seconds=30)
# Past this, a reference the bank never saw is cancelled at the bank and the operation ends.
GIVE_UP_AFTER = timedelta(minutes=10)
CARD_STATUS_BY_DECLINE = {
    "card_expired": BankCard.Status.EXPIRED,
    "card_blacklisted": BankCard.Status.BLACKLISTED,
    "card_revoked": BankCard.Status.REVOKED,
}


# --- cards ------------------------------------------------------------------------------------


def card_bind(
    *,
    user: Any,
    number: str,
    holder_name: str,
    expiry_month: int,
    expiry_year: int,
    nickname: str = "",
) -> BankCard:
    """Bind a card in the user's verified name; the bank keeps the number, we keep a token."""
    if limits.verification_level(user) < 1 or not getattr(user, "real_name", ""):
        raise VerificationRequired()
    if holder_name.strip() != user.real_name:
        raise CardHolderMismatch()
    try:
        details = get_gateway().tokenize(
            number=number,
            holder_name=holder_name,
            expiry_month=expiry_month,
            expiry_year=expiry_year,
        )
    except CardRejected as rejection:
        raise CardUnusable(extra={"reason": rejection.code}) from None
    if details.status != "valid":
        raise CardUnusable(extra={"reason": details.status})
    with transaction.atomic(durable=True):
        card = _card_record(user, details, nickname)
        # The bank has confirmed the holder's name: evidence for a higher verification level,
        # kept by a higher layer that names its handler in settings.
        if settings.WALLET_CARD_BOUND_HANDLER:
            import_string(settings.WALLET_CARD_BOUND_HANDLER)(user=user, card=card)
        return card


def _card_record(user: Any, details: Any, nickname: str) -> BankCard:
    has_default = BankCard.objects.filter(
        owner_id=user.pk, is_default=True, removed_at__isnull=True
    ).exists()
    existing = BankCard.objects.select_for_update().filter(token=details.token).first()
    if existing is not None:
        if existing.owner_id != user.pk:
            raise CardUnusable(extra={"reason": "bound_to_another_account"})
        if existing.removed_at is not None:
            # Binding a removed card again brings its record (and history) back.
            existing.removed_at = None
            existing.is_default = not has_default
            existing.status = BankCard.Status.VALID
            existing.save(update_fields=["removed_at", "is_default", "status"])
        return existing
    return BankCard.objects.create(
        owner_id=user.pk,
        bank_name=details.bank_name,
        last4=details.last4,
        expiry_month=details.expiry_month,
        expiry_year=details.expiry_year,
        holder_name=details.holder_name,
        token=details.token,
        nickname=nickname[:30],
        is_default=not has_default,
    )


def card_rename(*, card: BankCard, nickname: str) -> BankCard:
    card.nickname = nickname.strip()[:30]
    card.save(update_fields=["nickname"])
    return card


def card_set_default(*, card: BankCard) -> BankCard:
    if card.removed_at is not None:
        raise CardUnusable()
    with transaction.atomic(durable=True):
        BankCard.objects.filter(owner_id=card.owner_id, is_default=True).exclude(pk=card.pk).update(
            is_default=False
        )
        BankCard.objects.filter(pk=card.pk).update(is_default=True)
    card.refresh_from_db()
    return card


def card_remove(*, card: BankCard) -> BankCard:
    """Unbind a card; its past top-ups and withdrawals still show "card ending 1234"."""
    with transaction.atomic(durable=True):
        BankCard.objects.filter(pk=card.pk, removed_at__isnull=True).update(
            removed_at=timezone.now(), is_default=False
        )
    card.refresh_from_db()
    return card


def card_refresh_status(*, card: BankCard) -> BankCard:
    status = get_gateway().card_status(token=card.token)
    if status != card.status:
        BankCard.objects.filter(pk=card.pk).update(status=status)
        card.status = status
    return card


def card_bank_balance(*, card: BankCard) -> Money:
    try:
        amount, currency = get_gateway().balance(token=card.token)
    except CardRejected as rejection:
        _mark_card(card, f"card_{rejection.code}")
        raise CardUnusable(extra={"reason": rejection.code}) from None
    except GatewayTimeout:
        raise BankUnavailable() from None
    return Money(amount, currency)


def _usable_card(user: Any, card: BankCard) -> BankCard:
    if card.owner_id != user.pk or card.removed_at is not None:
        raise NotFound()
    today = timezone.localdate()
    if (card.expiry_year, card.expiry_month) < (today.year, today.month):
        _mark_card(card, "card_expired")
    if card.status != BankCard.Status.VALID:
        raise CardUnusable(extra={"reason": card.status})
    return card


def _mark_card(card: BankCard, decline_code: str) -> None:
    status = CARD_STATUS_BY_DECLINE.get(decline_code)
    if status and card.status != status:
        BankCard.objects.filter(pk=card.pk).update(status=status)
        card.status = status


# --- top-ups ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopUpResult:
    topup: TopUp
    balance: ledger.Balance


def topup_create(
    *,
    user: Any,
    card: BankCard,
    amount_minor: int,
    currency: str = "CNY",
    idempotency: Idempotency | None = None,
) -> TopUpResult:
    """Charge a bound card and credit the wallet; pending if the bank does not answer."""
    replay_if_recorded(idempotency)
    check_amount(amount_minor)
    check_currency(currency)
    _usable_card(user, card)

    def open_topup() -> TopUpResult:
        account = wallet_account(user, currency)
        topup = TopUp.objects.create(
            user_id=user.pk,
            account=account,
            card=card,
            amount_minor=amount_minor,
            currency=currency,
        )
        return TopUpResult(topup, ledger.account_balance(account))

    opened = execute(idempotency, open_topup)
    topup = opened.topup
    try:
        outcome = get_gateway().charge(
            token=card.token,
            amount_minor=amount_minor,
            currency=currency,
            reference=topup.gateway_reference,
        )
    except GatewayTimeout:
        logger.warning("top-up %s: bank timed out; left pending", topup.pk)
        _schedule_resolution()
        topup.refresh_from_db()  # a callback may have settled it meanwhile
        return TopUpResult(topup, ledger.account_balance(topup.account))
    return topup_settle(topup_id=topup.pk, outcome=outcome)


def topup_settle(*, topup_id: int, outcome: Outcome) -> TopUpResult:
    """Apply the bank's word on a top-up. Safe to call any number of times."""
    with transaction.atomic(durable=True):
        topup = (
            TopUp.objects.select_for_update(of=("self",), no_key=True)
            .select_related("account", "card")
            .get(pk=topup_id)
        )
        if topup.status == TopUp.Status.PENDING:
            if outcome.status == "succeeded":
                posted = ledger.post(
                    kind=JournalTransaction.Kind.TOPUP,
                    legs=[
                        ledger.Leg(
                            system_account(Account.SystemCode.BANK_CLEARING, topup.currency),
                            -topup.amount_minor,
                        ),
                        ledger.Leg(topup.account, topup.amount_minor),
                    ],
                    description=str(topup.card),
                    metadata={
                        "topup_id": topup.pk,
                        "card_last4": topup.card.last4,
                        "bank_reference": outcome.bank_reference,
                    },
                    reference=f"topup:{topup.pk}",
                    created_by_id=topup.user_id,
                )
                topup.status = TopUp.Status.SUCCEEDED
                topup.transaction = posted.transaction
                topup.bank_reference = outcome.bank_reference
                money_notice(
                    topup.account.owner,
                    kind="topup_succeeded",
                    template=gettext_noop("%(amount)s added to your wallet from %(party)s"),
                    amount=Money(topup.amount_minor, topup.currency),
                    party=str(topup.card),
                    url="/wallet/",
                    data={"topup_id": topup.pk},
                )
            elif outcome.status == "declined":
                topup.status = TopUp.Status.DECLINED
                topup.decline_code = outcome.decline_code
                _mark_card(topup.card, outcome.decline_code)
            if topup.status != TopUp.Status.PENDING:
                topup.resolved_at = timezone.now()
            topup.last_checked_at = timezone.now()
            topup.save(
                update_fields=[
                    "status",
                    "transaction",
                    "bank_reference",
                    "decline_code",
                    "resolved_at",
                    "last_checked_at",
                ]
            )
        result = TopUpResult(topup, ledger.account_balance(topup.account))
        # A retry of the request that opened this top-up now learns how it ended.
        IdempotencyRecord.objects.filter(resource=f"topup:{topup.pk}").update(
            response=renderers.topup_result(result)
        )
    return result


def _schedule_resolution() -> None:
    from wallet.tasks import resolve_pending

    transaction.on_commit(
        lambda: resolve_pending.apply_async(countdown=int(SETTLE_GRACE.total_seconds()))
    )


# --- withdrawals --------------------------------------------------------------------------


@dataclass(frozen=True)
class WithdrawalResult:
    withdrawal: Withdrawal
    balance: ledger.Balance


def withdrawal_create(
    *,
    user: Any,
    card: BankCard,
    amount_minor: int,
    currency: str = "CNY",
    pin: str,
    idempotency: Idempotency | None = None,
) -> WithdrawalResult:
    """Send wallet money to a bound card. Always asks for the PIN."""
    replay_if_recorded(idempotency)
    check_amount(amount_minor)
    check_currency(currency)
    limits.check_can_pay(user)
    _usable_card(user, card)
    if wallet_profile(user).is_frozen:
        from wallet.errors import WalletFrozen

        raise WalletFrozen()
    pin_verify(user=user, pin=pin)

    def take_out() -> WithdrawalResult:
        account = wallet_account(user, currency)
        posted = ledger.post(
            kind=JournalTransaction.Kind.WITHDRAWAL,
            legs=[
                ledger.Leg(account, -amount_minor),
                ledger.Leg(
                    system_account(Account.SystemCode.BANK_CLEARING, currency), amount_minor
                ),
            ],
            description=str(card),
            metadata={"card_last4": card.last4},
            created_by_id=user.pk,
        )
        withdrawal = Withdrawal.objects.create(
            user_id=user.pk,
            account=account,
            card=card,
            amount_minor=amount_minor,
            currency=currency,
            transaction=posted.transaction,
        )
        return WithdrawalResult(withdrawal, posted.balances[account.pk])

    taken = execute(idempotency, take_out)
    withdrawal = taken.withdrawal
    try:
        outcome = get_gateway().payout(
            token=card.token,
            amount_minor=amount_minor,
            currency=currency,
            reference=withdrawal.gateway_reference,
        )
    except GatewayTimeout:
        logger.warning("withdrawal %s: bank timed out; left pending", withdrawal.pk)
        _schedule_resolution()
        withdrawal.refresh_from_db()
        return WithdrawalResult(withdrawal, ledger.account_balance(withdrawal.account))
    return withdrawal_settle(withdrawal_id=withdrawal.pk, outcome=outcome)


def withdrawal_settle(*, withdrawal_id: int, outcome: Outcome) -> WithdrawalResult:
    """Apply the bank's word on a payout; a refusal returns the money, once."""
    with transaction.atomic(durable=True):
        withdrawal = (
            Withdrawal.objects.select_for_update(of=("self",), no_key=True)
            .select_related("account", "card", "transaction")
            .get(pk=withdrawal_id)
        )
        if withdrawal.status == Withdrawal.Status.PENDING:
            if outcome.status == "succeeded":
                withdrawal.status = Withdrawal.Status.SUCCEEDED
                withdrawal.bank_reference = outcome.bank_reference
            elif outcome.status == "declined":
                reversal = ledger.post(
                    kind=JournalTransaction.Kind.WITHDRAWAL_REVERSAL,
                    legs=[
                        ledger.Leg(
                            system_account(Account.SystemCode.BANK_CLEARING, withdrawal.currency),
                            -withdrawal.amount_minor,
                        ),
                        ledger.Leg(withdrawal.account, withdrawal.amount_minor),
                    ],
                    description=f"{withdrawal.card} ({outcome.decline_code})",
                    metadata={"withdrawal_id": withdrawal.pk, "decline_code": outcome.decline_code},
                    parent=withdrawal.transaction,
                    reference=f"withdrawal-return:{withdrawal.pk}",
                )
                withdrawal.status = Withdrawal.Status.RETURNED
                withdrawal.decline_code = outcome.decline_code
                withdrawal.reversal = reversal.transaction
                _mark_card(withdrawal.card, outcome.decline_code)
            if withdrawal.status != Withdrawal.Status.PENDING:
                withdrawal.resolved_at = timezone.now()
                _tell_withdrawal_outcome(withdrawal)
            withdrawal.last_checked_at = timezone.now()
            withdrawal.save(
                update_fields=[
                    "status",
                    "bank_reference",
                    "decline_code",
                    "reversal",
                    "resolved_at",
                    "last_checked_at",
                ]
            )
        result = WithdrawalResult(withdrawal, ledger.account_balance(withdrawal.account))
        IdempotencyRecord.objects.filter(resource=f"withdrawal:{withdrawal.pk}").update(
            response=renderers.withdrawal_result(result)
        )
    return result


def _tell_withdrawal_outcome(withdrawal: Withdrawal) -> None:
    """A payout can end minutes after the resident left the page (a bank timeout resolved
    by the periodic check): they hear how it ended either way."""
    if withdrawal.status == Withdrawal.Status.SUCCEEDED:
        kind, template = "withdrawal_succeeded", gettext_noop("%(amount)s sent to %(party)s")
    else:
        kind, template = (
            "withdrawal_returned",
            gettext_noop(
                "The bank returned %(amount)s sent to %(party)s; it is back in your wallet"
            ),
        )
    money_notice(
        withdrawal.account.owner,
        kind=kind,
        template=template,
        amount=Money(withdrawal.amount_minor, withdrawal.currency),
        party=str(withdrawal.card),
        url="/wallet/",
        data={"withdrawal_id": withdrawal.pk},
    )


# --- resolution ---------------------------------------------------------------------------


def resolve_pending(*, now: Any = None) -> dict[str, int]:
    """Ask the bank about every pending top-up and withdrawal past the grace period.

    A reference the bank has not seen after ``GIVE_UP_AFTER`` is cancelled at the bank
    first (so it can never arrive later), then the operation ends: a top-up as declined,
    a withdrawal is sent again under the same reference.
    """
    now = now or timezone.now()
    gateway = get_gateway()
    resolved = {"topups": 0, "withdrawals": 0}
    for topup in TopUp.objects.filter(
        status=TopUp.Status.PENDING, created_at__lte=now - SETTLE_GRACE
    ).select_related("card")[:200]:
        try:
            outcome = gateway.lookup(kind="charge", reference=topup.gateway_reference)
            if outcome.status == "not_found" and topup.created_at <= now - GIVE_UP_AFTER:
                outcome = gateway.cancel(kind="charge", reference=topup.gateway_reference)
                if outcome.status == "not_found":
                    outcome = Outcome("declined", decline_code="not_received_by_bank")
        except GatewayTimeout:
            continue
        if outcome.status != "not_found":
            topup_settle(topup_id=topup.pk, outcome=outcome)
            resolved["topups"] += 1
    for withdrawal in Withdrawal.objects.filter(
        status=Withdrawal.Status.PENDING, created_at__lte=now - SETTLE_GRACE
    ).select_related("card")[:200]:
        try:
            outcome = gateway.lookup(kind="payout", reference=withdrawal.gateway_reference)
            if outcome.status == "not_found":
                # The bank does each reference once, so sending again cannot pay twice.
                outcome = gateway.payout(
                    token=withdrawal.card.token,
                    amount_minor=withdrawal.amount_minor,
                    currency=withdrawal.currency,
                    reference=withdrawal.gateway_reference,
                )
        except GatewayTimeout:
            continue
        if outcome.status != "not_found":
            withdrawal_settle(withdrawal_id=withdrawal.pk, outcome=outcome)
            resolved["withdrawals"] += 1
    return resolved


def bank_callback_handle(payload: dict[str, Any]) -> None:
    """The bank's asynchronous word on a charge or payout (possibly late, possibly twice)."""
    kind, reference = payload.get("kind"), str(payload.get("reference", ""))
    outcome = Outcome(
        payload.get("status", "not_found"),
        bank_reference=payload.get("bank_reference", ""),
        decline_code=payload.get("decline_code", ""),
    )
    if kind == "payout" and reference.startswith("settlement:") and outcome.status != "not_found":
        settlement_id = reference.split(":")[1]
        if not settlement_id.isdigit() or not Settlement.objects.filter(pk=settlement_id).exists():
            raise ValidationFailed()
        settlement_record_outcome(
            settlement_id=int(settlement_id), reference=reference, outcome=outcome
        )
        return
    prefix, _sep, raw_id = reference.partition("-")
    if not raw_id.isdigit() or outcome.status == "not_found":
        raise ValidationFailed()
    if kind == "charge" and prefix == "topup":
        topup_settle(topup_id=int(raw_id), outcome=outcome)
    elif kind == "payout" and prefix == "withdrawal":
        withdrawal_settle(withdrawal_id=int(raw_id), outcome=outcome)
    else:
        raise ValidationFailed()
