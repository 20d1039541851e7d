"""Daily (T+1) settlement of payee accounts (shops, property companies) to their bank cards.

Each settlement is one business day of one account, a state machine (docs/settlement.md):

* **CALCULATED** (``settlement_calculate``): one line per journal transaction on the
  account created before the day's end and not settled yet, with its fee; the totals.
* **BOOKED** (``settlement_book``): one journal transaction takes the fee, pays back what
  the payee owes (refunds lent by the receivable account) and moves the payout to bank
  clearing; the payout reference ``settlement:<id>:<attempt>`` is fixed. Nothing to pay
  ends the day as **CARRIED** instead.
* **PAID** (``settlement_pay``): the bank is asked outside any transaction; it does a
  reference at most once, so resuming a BOOKED settlement simply asks again. A decline
  returns the payout to the account and makes it **RETRYING**, booked again with the next
  attempt number once due (backoff 1 h, 4 h, 12 h, then daily).

``settle_due`` runs it all: per active payout profile, it first finishes the open
settlement, then settles each day with unsettled transactions before today, oldest first.
A day waits for the one before it to be final (PAID or CARRIED), because its carried-in
amount is the previous day's carried-out one.

Journal references are unique, so a settlement is booked once: ``settlement:<id>`` (the
first booking), ``settlement:<id>:<n>`` (the payout of retry ``n``),
``settlement:<id>:<n>:return`` (a declined payout given back). Transactions with these
references are the settlement's own and never become lines.

Locks, in this order: the payout profile row, the settlement row, then account rows in
primary-key order (``ledger.lock_balances``), then hot accounts' shards. A refund that
borrows from the receivable account locks its payment row, then the payout profile, then
accounts (``wallet.services.payments``), so the two never wait on each other in a cycle.

Side effects: operators get an inbox notice of a declined payout in the same transaction;
the layer that owns the account hears of a paid settlement and of a declined payout
through ``settings.WALLET_SETTLEMENT_PAID_HANDLER`` and ``WALLET_PAYOUT_FAILED_HANDLER``
(a dotted path or a list of them, each called with ``settlement=``) after commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, QuerySet, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from core.money import Money
from core.notifications import lazy_format, notify
from wallet.gateways import GatewayTimeout, Outcome, get_gateway
from wallet.models import (
    Account,
    JournalTransaction,
    PayoutProfile,
    Posting,
    Settlement,
    SettlementLine,
)
from wallet.services import ledger
from wallet.services.accounts import system_account

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "settlement:"
BASIS_POINTS = Decimal(10_000)
# After the n-th declined attempt the next one waits RETRY_BACKOFF[n - 1] (the last repeats).
RETRY_BACKOFF = (timedelta(hours=1), timedelta(hours=4), timedelta(hours=12), timedelta(days=1))
OPEN_STATUSES = (
    Settlement.Status.CALCULATED,
    Settlement.Status.BOOKED,
    Settlement.Status.RETRYING,
)
PAYMENT_KINDS = {JournalTransaction.Kind.PAYMENT, JournalTransaction.Kind.CAPTURE}
REFUND_KINDS = {JournalTransaction.Kind.REFUND, JournalTransaction.Kind.CANCELLATION}


# --- business days and fees ------------------------------------------------------------------


def business_day(moment: datetime) -> date:
    """The local calendar day (``settings.TIME_ZONE``) of ``moment``, whatever zone is active."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def business_day_bounds(day: date) -> tuple[datetime, datetime]:
    """Local [00:00, 24:00) of ``day`` as aware datetimes."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def line_fee(amount_minor: int, fee_bps: int) -> int:
    """The fee of one transaction: |amount| × rate / 10 000, rounded half up to the fen."""
    exact = Decimal(abs(amount_minor)) * Decimal(fee_bps) / BASIS_POINTS
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def retry_delay(attempts: int) -> timedelta:
    return RETRY_BACKOFF[min(max(attempts, 1), len(RETRY_BACKOFF)) - 1]


# --- payout profiles -------------------------------------------------------------------------


def payout_profile_register(
    *,
    account: Account,
    label: str,
    card_token: str,
    bank_name: str,
    last4: str,
    holder_name: str,
    fee_bps: int,
) -> PayoutProfile:
    """Create or refresh the payout profile of a shop's or company's account (its layer
    calls this; the wallet never learns who owns the account). Keeps ``owed_minor``.

    Runs in the caller's transaction if there is one; locks the profile row.
    """
    if account.kind not in (Account.Kind.MERCHANT, Account.Kind.COLLECTION):
        raise ValueError("only merchant and collection accounts are paid out")
    if not 0 <= fee_bps <= BASIS_POINTS:
        raise ValueError("a fee rate is between 0 and 10 000 basis points")
    with transaction.atomic():
        profile, _created = PayoutProfile.objects.update_or_create(
            account=account,
            defaults={
                "label": label[:100],
                "card_token": card_token,
                "bank_name": bank_name[:50],
                "last4": last4[-4:],
                "holder_name": holder_name[:50],
                "fee_bps": fee_bps,
                "active": True,
            },
        )
    return profile


# --- the run ---------------------------------------------------------------------------------


@dataclass
class SettleRun:
    """What one run did, for the task's result and the command's output."""

    calculated: int = 0
    paid: list[int] = field(default_factory=list)
    carried: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # BOOKED: the bank did not answer
    failed_profiles: list[int] = field(default_factory=list)  # an unexpected error


def settle_due(*, now: datetime | None = None, through: date | None = None) -> SettleRun:
    """Settle every active payout profile up to yesterday (or up to ``through``, if that is
    earlier) and resume what is open.

    Each step is its own durable transaction and the bank is called between them, so the
    run may be killed anywhere: the next run finds every settlement in the state it
    reached and finishes it without paying twice. A profile that fails unexpectedly is
    logged and skipped; the others go on.
    """
    now = now or timezone.now()
    today = business_day(now)
    if through is not None:
        today = min(today, through + timedelta(days=1))
    run = SettleRun()
    profile_ids = (
        PayoutProfile.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)
    )
    for profile_id in profile_ids:
        try:
            _settle_profile(profile_id, today, now, run)
        except Exception:
            logger.exception("settlement of payout profile %s failed", profile_id)
            run.failed_profiles.append(profile_id)
    return run


def _settle_profile(profile_id: int, today: date, now: datetime, run: SettleRun) -> None:
    while True:
        current = (
            Settlement.objects.filter(profile_id=profile_id, status__in=OPEN_STATUSES)
            .order_by("business_date")
            .first()
        )
        if current is None:
            day = next_business_day(profile_id)
            if day is None or day >= today:
                return
            current = settlement_calculate(profile_id=profile_id, day=day)
            if current.status != Settlement.Status.CALCULATED:
                return  # another run got there first and finished it
            run.calculated += 1
        settlement = settlement_advance(settlement_id=current.pk, now=now)
        if settlement.status == Settlement.Status.PAID:
            run.paid.append(settlement.pk)
        elif settlement.status == Settlement.Status.CARRIED:
            run.carried.append(settlement.pk)
        elif settlement.status == Settlement.Status.RETRYING:
            run.retrying.append(settlement.pk)
            return
        else:
            run.pending.append(settlement.pk)
            return


def settlement_advance(*, settlement_id: int, now: datetime | None = None) -> Settlement:
    """Take one open settlement as far as it goes now: book it (or book a due retry), then
    ask the bank. Returns it in the state it reached."""
    now = now or timezone.now()
    settlement = Settlement.objects.get(pk=settlement_id)
    due_retry = (
        settlement.status == Settlement.Status.RETRYING
        and settlement.next_attempt_at is not None
        and settlement.next_attempt_at <= now
    )
    if settlement.status == Settlement.Status.CALCULATED or due_retry:
        settlement = settlement_book(settlement_id=settlement_id, now=now)
    if settlement.status == Settlement.Status.BOOKED:
        settlement = settlement_pay(settlement_id=settlement_id)
    return settlement


def _unsettled_postings(account_id: int) -> QuerySet[Posting]:
    """Postings on the account whose transaction is in no settlement line yet, the
    settlements' own transactions left out."""
    settled = SettlementLine.objects.filter(
        account_id=account_id, transaction_id=OuterRef("transaction_id")
    )
    return (
        Posting.objects.filter(account_id=account_id)
        .exclude(transaction__reference__startswith=REFERENCE_PREFIX)
        .filter(~Exists(settled))
    )


def _unsettled_lent_refunds(account_id: int) -> QuerySet[JournalTransaction]:
    """Refunds of payments to the account that the receivable paid in full (the account had
    nothing left): no posting on the account, yet they are its refunds. Their line has
    amount 0; the fee comes back on them and the payee owes the amount."""
    on_account = Posting.objects.filter(transaction_id=OuterRef("pk"), account_id=account_id)
    settled = SettlementLine.objects.filter(account_id=account_id, transaction_id=OuterRef("pk"))
    return JournalTransaction.objects.filter(
        kind__in=REFUND_KINDS,
        parent__payment__payee_id=account_id,
        metadata__receivable_minor__gt=0,
    ).filter(~Exists(on_account), ~Exists(settled))


def next_business_day(profile_id: int) -> date | None:
    """The next day to settle: the day after the last settlement, or the day of the oldest
    unsettled transaction if that is later; None when nothing waits."""
    profile = PayoutProfile.objects.get(pk=profile_id)
    oldest = [
        _unsettled_postings(profile.account_id).aggregate(at=Min("transaction__created_at"))["at"],
        _unsettled_lent_refunds(profile.account_id).aggregate(at=Min("created_at"))["at"],
    ]
    if not any(oldest):
        return None
    day = business_day(min(moment for moment in oldest if moment is not None))
    last = (
        Settlement.objects.filter(account_id=profile.account_id)
        .order_by("-business_date")
        .values_list("business_date", flat=True)
        .first()
    )
    if last is not None and day <= last:
        day = last + timedelta(days=1)
    return day


# --- CALCULATED ----------------------------------------------------------------------------


@dataclass
class _Line:
    transaction_id: int
    kind: str
    amount_minor: int
    fee_minor: int
    occurred_at: datetime


def settlement_calculate(*, profile_id: int, day: date) -> Settlement:
    """Record the settlement of ``day``: its lines, fees and totals (status CALCULATED).

    Lines: every transaction on the account created before the day's local end and in no
    line yet (the unique constraint keeps a transaction in one settlement; a transaction
    that committed after an earlier day was settled lands here). Fees per line: payments
    are charged ``line_fee``; a refund gives back ``line_fee`` of what it refunded, at most
    what its payment was charged less what earlier refunds of it gave back; other lines
    have none. Locks the payout profile; a second call for the same day returns the
    existing settlement.
    """
    with transaction.atomic(durable=True):
        profile = (
            PayoutProfile.objects.select_for_update(of=("self",), no_key=True)
            .select_related("account")
            .get(pk=profile_id)
        )
        account = profile.account
        existing = Settlement.objects.filter(account=account, business_date=day).first()
        if existing is not None:
            return existing
        previous = (
            Settlement.objects.filter(account=account, business_date__lt=day)
            .order_by("-business_date")
            .first()
        )
        _start, end = business_day_bounds(day)
        lines = _lines(account.pk, profile.fee_bps, end)
        settlement = Settlement.objects.create(
            profile=profile,
            account=account,
            business_date=day,
            currency=account.currency,
            payment_count=sum(1 for line in lines if line.kind == SettlementLine.Kind.PAYMENT),
            payments_minor=_total(lines, SettlementLine.Kind.PAYMENT),
            refund_count=sum(1 for line in lines if line.kind == SettlementLine.Kind.REFUND),
            refunds_minor=_total(lines, SettlementLine.Kind.REFUND),
            other_minor=_total(lines, SettlementLine.Kind.OTHER),
            fees_minor=sum(line.fee_minor for line in lines),
            carried_in_minor=previous.carried_out_minor if previous else 0,
        )
        SettlementLine.objects.bulk_create(
            SettlementLine(
                settlement=settlement,
                account=account,
                transaction_id=line.transaction_id,
                kind=line.kind,
                amount_minor=line.amount_minor,
                fee_minor=line.fee_minor,
                occurred_at=line.occurred_at,
            )
            for line in lines
        )
        return settlement


def _total(lines: list[_Line], kind: str) -> int:
    return sum(line.amount_minor for line in lines if line.kind == kind)


def _line_kind(transaction_kind: str) -> str:
    if transaction_kind in PAYMENT_KINDS:
        return SettlementLine.Kind.PAYMENT
    if transaction_kind in REFUND_KINDS:
        return SettlementLine.Kind.REFUND
    return SettlementLine.Kind.OTHER


def _lines(account_id: int, fee_bps: int, end: datetime) -> list[_Line]:
    rows: list[tuple[int, str, datetime, int]] = [
        (row["transaction_id"], row["transaction__kind"], row["transaction__created_at"], amount)
        for row in _unsettled_postings(account_id)
        .filter(transaction__created_at__lt=end)
        .values("transaction_id", "transaction__kind", "transaction__created_at")
        .annotate(amount=Sum("amount_minor"))
        if (amount := int(row["amount"] or 0))
    ]
    rows += [
        (pk, kind, created_at, 0)
        for pk, kind, created_at in _unsettled_lent_refunds(account_id)
        .filter(created_at__lt=end)
        .values_list("pk", "kind", "created_at")
    ]
    rows.sort(key=lambda row: (row[2], row[0]))
    refunds = {
        pk: (parent_id or 0, int((metadata or {}).get("receivable_minor", 0)))
        for pk, parent_id, metadata in JournalTransaction.objects.filter(
            pk__in=[row[0] for row in rows if row[1] in REFUND_KINDS]
        ).values_list("pk", "parent_id", "metadata")
    }
    fee_left = _fees_left_to_give_back(account_id, {parent for parent, _lent in refunds.values()})
    lines = []
    for transaction_id, transaction_kind, occurred_at, amount in rows:
        kind = _line_kind(transaction_kind)
        fee = 0
        if kind == SettlementLine.Kind.PAYMENT:
            fee = line_fee(amount, fee_bps)
            fee_left[transaction_id] = fee
        elif kind == SettlementLine.Kind.REFUND:
            parent_id, lent = refunds[transaction_id]
            # What the receivable lent is the payee's refund too (it repays it later).
            back = min(line_fee(abs(amount) + lent, fee_bps), fee_left[parent_id])
            fee_left[parent_id] -= back
            fee = -back
        lines.append(_Line(transaction_id, kind, amount, fee, occurred_at))
    return lines


def _fees_left_to_give_back(account_id: int, payment_ids: set[int]) -> dict[int, int]:
    """For each payment transaction already settled: the fee it was charged less the fees
    its settled refunds gave back. A refund never gives back more than its payment paid."""
    ids = [pk for pk in payment_ids if pk]
    left: dict[int, int] = defaultdict(int)
    for transaction_id, fee in SettlementLine.objects.filter(
        account_id=account_id, transaction_id__in=ids, kind=SettlementLine.Kind.PAYMENT
    ).values_list("transaction_id", "fee_minor"):
        left[transaction_id] += fee
    for parent_id, fee in SettlementLine.objects.filter(
        account_id=account_id,
        kind=SettlementLine.Kind.REFUND,
        transaction__parent_id__in=ids,
    ).values_list("transaction__parent_id", "fee_minor"):
        left[parent_id or 0] += fee  # negative: given back
    return left


# --- BOOKED --------------------------------------------------------------------------------


def _lock(settlement_id: int) -> tuple[PayoutProfile, Settlement]:
    profile_id = Settlement.objects.values_list("profile_id", flat=True).get(pk=settlement_id)
    profile = (
        PayoutProfile.objects.select_for_update(of=("self",), no_key=True)
        .select_related("account")
        .get(pk=profile_id)
    )
    settlement = Settlement.objects.select_for_update(of=("self",), no_key=True).get(
        pk=settlement_id
    )
    return profile, settlement


def settlement_book(*, settlement_id: int, now: datetime | None = None) -> Settlement:
    """Post a CALCULATED settlement, or the payout of a due RETRYING one.

    First booking, with A the account's available money (locked, shards swept) and
    F the fees: the account pays the fee (what it cannot, the receivable lends and the
    payee owes); T = lines + carried-in − fee paid; recovered R = min(owed, T, what is
    left); payout P = min(T − R, what is left); carried-out = T − R − P, negative when the
    day lost money, positive when later debits (a refund after the day ended) left less
    on the account than the day earned. One journal transaction ``settlement:<id>``.
    A retry pays min(carried-out + the declined payout, A) under ``settlement:<id>:<n>``.
    P > 0 → BOOKED with ``payout_reference`` ``settlement:<id>:<attempt>``; else CARRIED.
    The account never goes below zero. Anything else (already booked, a retry not due)
    is returned unchanged.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        profile, settlement = _lock(settlement_id)
        if settlement.status == Settlement.Status.CALCULATED:
            _book_first(profile, settlement, now)
        elif (
            settlement.status == Settlement.Status.RETRYING
            and settlement.next_attempt_at is not None
            and settlement.next_attempt_at <= now
        ):
            _book_retry(profile, settlement, now)
        return settlement


def _system_accounts(currency: str) -> tuple[Account, Account, Account]:
    return (
        system_account(Account.SystemCode.BANK_CLEARING, currency),
        system_account(Account.SystemCode.FEE_INCOME, currency),
        system_account(Account.SystemCode.RECEIVABLE, currency),
    )


def _book_first(profile: PayoutProfile, settlement: Settlement, now: datetime) -> None:
    account = profile.account
    clearing, fee_income, receivable = _system_accounts(settlement.currency)
    balances = ledger.lock_balances([account, clearing, fee_income, receivable])
    available = max(balances[account.pk].available_minor, 0)
    fees = settlement.fees_minor
    fee_paid = min(fees, available) if fees > 0 else fees
    borrowed = fees - fee_paid
    room = available - fee_paid
    total = (
        settlement.payments_minor
        + settlement.refunds_minor
        + settlement.other_minor
        + settlement.carried_in_minor
        - fee_paid
    )
    owed = profile.owed_minor + borrowed
    recovered = max(0, min(owed, total, room))
    payout = max(0, min(total - recovered, room - recovered))
    legs = [
        ledger.Leg(account, -(fee_paid + recovered + payout)),
        ledger.Leg(fee_income, fees),
        ledger.Leg(receivable, recovered - borrowed),
        ledger.Leg(clearing, payout),
    ]
    legs = [leg for leg in legs if leg.amount_minor]
    if legs:
        posted = ledger.post(
            kind=JournalTransaction.Kind.WITHDRAWAL,
            legs=legs,
            description=f"{profile.label} {settlement.business_date.isoformat()}",
            metadata={
                "settlement_id": settlement.pk,
                "business_date": settlement.business_date.isoformat(),
                "fee_minor": fees,
                "fee_lent_minor": borrowed,
                "recovered_minor": recovered,
                "payout_minor": payout,
                "card_last4": profile.last4,
            },
            reference=f"{REFERENCE_PREFIX}{settlement.pk}",
        )
        settlement.booked_transaction = posted.transaction
    if owed - recovered != profile.owed_minor:
        profile.owed_minor = owed - recovered
        profile.save(update_fields=["owed_minor", "updated_at"])
    settlement.recovered_minor = recovered
    settlement.payout_minor = payout
    settlement.carried_out_minor = total - recovered - payout
    settlement.booked_at = now
    _set_booked_or_carried(settlement, payout)
    settlement.save()


def _book_retry(profile: PayoutProfile, settlement: Settlement, now: datetime) -> None:
    account = profile.account
    clearing, _fee_income, _receivable = _system_accounts(settlement.currency)
    balances = ledger.lock_balances([account, clearing])
    due = settlement.carried_out_minor + settlement.payout_minor
    payout = max(0, min(due, balances[account.pk].available_minor))
    attempt = settlement.attempts + 1
    if payout:
        posted = ledger.post(
            kind=JournalTransaction.Kind.WITHDRAWAL,
            legs=[ledger.Leg(account, -payout), ledger.Leg(clearing, payout)],
            description=f"{profile.label} {settlement.business_date.isoformat()}",
            metadata={
                "settlement_id": settlement.pk,
                "attempt": attempt,
                "payout_minor": payout,
                "card_last4": profile.last4,
            },
            parent=settlement.booked_transaction,
            reference=f"{REFERENCE_PREFIX}{settlement.pk}:{attempt}",
        )
        settlement.booked_transaction = posted.transaction
    settlement.payout_minor = payout
    settlement.carried_out_minor = due - payout
    settlement.booked_at = now
    settlement.next_attempt_at = None
    _set_booked_or_carried(settlement, payout, attempt=attempt)
    settlement.save()


def _set_booked_or_carried(settlement: Settlement, payout: int, attempt: int = 1) -> None:
    if payout:
        settlement.status = Settlement.Status.BOOKED
        settlement.attempts = attempt
        settlement.payout_reference = f"{REFERENCE_PREFIX}{settlement.pk}:{attempt}"
    else:
        settlement.status = Settlement.Status.CARRIED


# --- PAID or RETRYING ----------------------------------------------------------------------


def settlement_pay(*, settlement_id: int) -> Settlement:
    """Send a BOOKED settlement's payout to the bank (no transaction is open around the
    call) and record the answer. A timeout leaves it BOOKED for the next run; asking again
    is safe because the bank does each reference once and repeats its first answer."""
    settlement = Settlement.objects.select_related("profile").get(pk=settlement_id)
    if settlement.status != Settlement.Status.BOOKED:
        return settlement
    try:
        outcome = get_gateway().payout(
            token=settlement.profile.card_token,
            amount_minor=settlement.payout_minor,
            currency=settlement.currency,
            reference=settlement.payout_reference,
        )
    except GatewayTimeout:
        logger.warning("settlement %s: the bank did not answer; stays booked", settlement.pk)
        settlement.refresh_from_db()  # its callback may have come meanwhile
        return settlement
    return settlement_record_outcome(
        settlement_id=settlement.pk, reference=settlement.payout_reference, outcome=outcome
    )


def settlement_record_outcome(
    *, settlement_id: int, reference: str, outcome: Outcome
) -> Settlement:
    """Apply the bank's answer for payout ``reference``; safe to call any number of times.

    Locks the profile, then the settlement, and acts only if it is still BOOKED with that
    reference. Succeeded → PAID. Declined → the payout goes back to the account
    (``settlement:<id>:<attempt>:return``), RETRYING with the next attempt after the
    backoff, operators told. Handlers of the owning layer run after commit.
    """
    with transaction.atomic(durable=True):
        profile, settlement = _lock(settlement_id)
        if (
            settlement.status != Settlement.Status.BOOKED
            or settlement.payout_reference != reference
        ):
            return settlement
        if outcome.status == "succeeded":
            settlement.status = Settlement.Status.PAID
            settlement.bank_reference = outcome.bank_reference
            settlement.paid_at = timezone.now()
            settlement.save(update_fields=["status", "bank_reference", "paid_at"])
            _after_commit("WALLET_SETTLEMENT_PAID_HANDLER", settlement)
        elif outcome.status == "declined":
            _return_payout(profile, settlement, outcome.decline_code)
            _after_commit("WALLET_PAYOUT_FAILED_HANDLER", settlement)
        return settlement


def _return_payout(profile: PayoutProfile, settlement: Settlement, decline_code: str) -> None:
    clearing = system_account(Account.SystemCode.BANK_CLEARING, settlement.currency)
    ledger.post(
        kind=JournalTransaction.Kind.WITHDRAWAL_REVERSAL,
        legs=[
            ledger.Leg(clearing, -settlement.payout_minor),
            ledger.Leg(profile.account, settlement.payout_minor),
        ],
        description=f"{profile.label} {settlement.business_date.isoformat()} ({decline_code})",
        metadata={
            "settlement_id": settlement.pk,
            "attempt": settlement.attempts,
            "decline_code": decline_code,
        },
        parent=settlement.booked_transaction,
        reference=f"{settlement.payout_reference}:return",
    )
    settlement.status = Settlement.Status.RETRYING
    settlement.last_decline_code = decline_code[:40]
    settlement.next_attempt_at = timezone.now() + retry_delay(settlement.attempts)
    settlement.save(update_fields=["status", "last_decline_code", "next_attempt_at"])
    _tell_operators(profile, settlement)


def _tell_operators(profile: PayoutProfile, settlement: Settlement) -> None:
    for operator in get_user_model().objects.filter(is_active=True, is_staff=True):
        notify(
            operator,
            kind="settlement_payout_declined",
            title=lazy_format(
                _("Payout of %(amount)s to %(name)s was declined"),
                amount=Money(settlement.payout_minor, settlement.currency),
                name=profile.label,
            ),
            body=lazy_format(
                _(
                    "The bank said %(code)s. The money is back on the account; the payout is "
                    "tried again after %(when)s."
                ),
                code=settlement.last_decline_code,
                when=timezone.localtime(settlement.next_attempt_at).strftime("%Y-%m-%d %H:%M"),
            ),
            data={"settlement_id": settlement.pk, "decline_code": settlement.last_decline_code},
        )


def _handlers(setting: str) -> list[Callable[..., Any]]:
    configured = getattr(settings, setting, None) or []
    paths = [configured] if isinstance(configured, str) else list(configured)
    return [import_string(path) for path in paths]


def _after_commit(setting: str, settlement: Settlement) -> None:
    """Tell the owning layer(s) once the change is committed; each handler ignores
    accounts that are not its own."""

    def call(handler: Callable[..., Any]) -> Callable[[], None]:
        return lambda: handler(settlement=settlement)

    for handler in _handlers(setting):
        transaction.on_commit(call(handler))
