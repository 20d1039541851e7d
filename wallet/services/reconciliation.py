"""Reconciliation: the bank's statement of a day matched against our books.

Once a day is over the bank publishes its statement: one CSV line per charge or payout it
booked that local day (``settings.TIME_ZONE``), with the file's SHA-256 beside it.
``statement_fetch`` takes it through the gateway, verifies the hash and keeps it, once per
day. ``reconcile`` matches it line by line and records one ``Reconciliation`` run with an
issue for every difference, then tells the operators.

Matching, by our reference (``topup-<id>``, ``withdrawal-<id>``, ``settlement:<id>:<n>``):

* every bank line must find our record, and that record must have succeeded (top-up,
  withdrawal) or be paid (a settlement's current payout attempt) with the same amount,
  currency and bank reference. A cancellation marker (amount 0, no card) needs no money:
  it matches a declined top-up, a returned withdrawal, a reversed payout attempt.
  No record, or a record that says it failed: MISSING_IN_BOOKS. Still pending in our books,
  or bank and books disagree on the outcome or the bank reference: STATUS_MISMATCH.
  Different amount or currency: AMOUNT_MISMATCH.
* every record of ours that succeeded on the day must be on a statement: MISSING_AT_BANK.
  A record belongs to the local day on which our books learned the bank's answer
  (``resolved_at`` of top-ups and withdrawals, ``paid_at`` of settlements). The bank books
  before it answers, so its line is on that day's statement or an earlier one (a top-up
  resolved after midnight by ``resolve_pending``): a reference not on the day's statement
  is looked for in the statements of the ``LOOK_BACK_DAYS`` before it.
* settlement payouts also get a three-way total per currency: the ledger (the net
  ``BANK_CLEARING`` postings of the settlements' transactions, references ``settlement:<id>``
  and ``settlement:<id>:…``, so a reversed attempt nets to zero), the settlements
  (``payout_minor`` of those PAID) and the bank (the payout lines with settlement
  references). The day's settlements are those whose current payout reference is on the
  statement, plus those paid that day that no statement has. Any difference: TOTALS_DIFFER.
  The run keeps the totals in the default currency; another currency's difference is an
  issue naming it.

Runs are history: a rerun of a day adds a new run, and the day's result is its latest run
(``latest_runs``). So a rerun after a fix shows the day as it now stands, and what was found
before stays on record. Operators are told when a run has issues or failed, unless the
day's previous run found exactly the same, so a retried task tells nobody twice.

Locks: none. A run reads the books and writes only its own new rows, in one durable
transaction after every bank call (the bank is never called inside a transaction).
Concurrent runs of one day each record a run; the latest is the day's result.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from rest_framework import status

from core.errors import ApplicationError
from core.notifications import lazy_format, notify
from wallet.errors import BankUnavailable
from wallet.gateways import GatewayTimeout, get_gateway
from wallet.gateways.base import STATEMENT_COLUMNS
from wallet.models import (
    Account,
    BankStatement,
    Posting,
    Reconciliation,
    ReconciliationIssue,
    Settlement,
    TopUp,
    Withdrawal,
)
from wallet.services.accounts import DEFAULT_CURRENCY

Kind = ReconciliationIssue.Kind
CHARGE, PAYOUT = "charge", "payout"
SETTLEMENT_REFERENCE = re.compile(r"settlement:(?P<id>\d+):(?P<attempt>\d+)")
# How many days before a record's day its bank line may have been booked.
LOOK_BACK_DAYS = 3

# What an issue's ``detail`` code means, in the reader's language.
DETAILS: dict[str, Promise] = {
    "hash_mismatch": _("The file does not match the SHA-256 the bank published with it."),
    "stored_copy_changed": _("Our stored copy of the file no longer matches its SHA-256."),
    "unreadable": _("The file is not a statement we can read."),
    "wrong_day": _("The file has lines booked on another day."),
    "unknown_reference": _("We have no record of this reference."),
    "booked_twice": _("The bank booked this reference more than once."),
    "failed_in_books": _("Our books say it failed, but the bank moved the money."),
    "earlier_attempt_paid": _(
        "The bank paid an earlier attempt of this payout, which our books reversed."
    ),
    "pending_in_books": _("The bank moved the money; our books still wait for its answer."),
    "cancelled_at_bank": _(
        "The bank closed this reference without moving money; our books say it succeeded."
    ),
    "cancelled_while_pending": _(
        "The bank closed this reference without moving money; our books still wait."
    ),
    "amount_differs": _("The bank moved a different amount."),
    "currency_differs": _("The bank moved a different currency."),
    "bank_reference_differs": _("The bank's reference differs from the one in our books."),
    "not_at_bank": _("Our books say the bank confirmed it, but no statement has it."),
    "ledger_total_differs": _("Settlement payouts: the ledger's total differs from the bank's."),
    "settlements_total_differs": _(
        "Settlement payouts: the settlements' total differs from the bank's."
    ),
}


class DayNotOver(ApplicationError):
    code = "reconciliation_day_not_over"
    default_message = _("A day is reconciled once it is over.")
    status_code = status.HTTP_400_BAD_REQUEST


class StatementDamaged(ApplicationError):
    """The statement did not verify or could not be read; ``detail`` says which."""

    code = "bank_statement_damaged"
    default_message = _("The bank's statement file is damaged.")
    status_code = status.HTTP_502_BAD_GATEWAY

    def __init__(self, detail: str, *, filename: str) -> None:
        super().__init__(DETAILS[detail])
        self.detail = detail
        self.filename = filename


@dataclass(frozen=True)
class StatementLine:
    bank_reference: str
    kind: str
    our_reference: str
    amount_minor: int
    currency: str
    card_last4: str
    booked_at: datetime

    @property
    def is_cancellation(self) -> bool:
        return self.amount_minor == 0 and not self.card_last4


# --- days ---------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def business_today() -> date:
    """Today in the platform's time zone, whatever language or zone a request activated."""
    return timezone.localtime(timezone.now(), _zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day ``day`` as a half-open interval [start, end)."""
    start = datetime.combine(day, time.min, tzinfo=_zone())
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=_zone())


# --- the statement ------------------------------------------------------------------------


def _digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def parse_statement(content: str, *, day: date, filename: str = "") -> list[StatementLine]:
    """The lines of a statement file; ``StatementDamaged`` if it is not one of ``day``."""
    rows = list(csv.reader(io.StringIO(content)))
    if not rows or tuple(rows[0]) != STATEMENT_COLUMNS:
        raise StatementDamaged("unreadable", filename=filename)
    lines = []
    for row in rows[1:]:
        try:
            bank_reference, kind, reference, amount, currency, last4, booked = row
            line = StatementLine(
                bank_reference=bank_reference,
                kind=kind,
                our_reference=reference,
                amount_minor=int(amount),
                currency=currency,
                card_last4=last4,
                booked_at=datetime.fromisoformat(booked),
            )
        except ValueError:  # a wrong field count, a non-integer amount, a bad timestamp
            raise StatementDamaged("unreadable", filename=filename) from None
        if kind not in (CHARGE, PAYOUT) or line.amount_minor < 0 or not bank_reference:
            raise StatementDamaged("unreadable", filename=filename)
        if line.booked_at.tzinfo is None or line.booked_at.astimezone(_zone()).date() != day:
            raise StatementDamaged("wrong_day", filename=filename)
        lines.append(line)
    return lines


def statement_fetch(*, day: date) -> BankStatement:
    """The bank's statement of ``day``, fetched once and kept.

    Checks: the day is over; the file's SHA-256 is the one the bank published with it;
    it parses as a statement of that day. A damaged file raises ``StatementDamaged`` and is
    not kept, so the next fetch asks the bank again; a kept statement is verified against
    its hash again on every read. A timeout raises ``BankUnavailable``. Idempotent per day:
    the unique ``business_date`` keeps one copy even when two runs fetch at once.
    """
    if day >= business_today():
        raise DayNotOver()
    kept = BankStatement.objects.filter(business_date=day).first()
    if kept is not None:
        if not hmac.compare_digest(_digest(kept.content), kept.sha256):
            raise StatementDamaged("stored_copy_changed", filename=f"statement-{day}.csv")
        return kept
    try:
        received = get_gateway().daily_statement(day=day)
    except GatewayTimeout:
        raise BankUnavailable() from None
    if not hmac.compare_digest(_digest(received.content), received.sha256.strip().lower()):
        raise StatementDamaged("hash_mismatch", filename=received.filename)
    lines = parse_statement(received.content, day=day, filename=received.filename)
    with transaction.atomic(durable=True):
        statement, _created = BankStatement.objects.get_or_create(
            business_date=day,
            defaults={
                "content": received.content,
                "sha256": _digest(received.content),
                "line_count": len(lines),
            },
        )
    return statement


# --- our books, as the bank should see them -------------------------------------------------

Outcome = Literal["succeeded", "failed", "pending"]


@dataclass(frozen=True)
class Books:
    """What our record of a reference says the bank did."""

    outcome: Outcome
    amount_minor: int
    currency: str
    bank_reference: str


def _outcome(status: str, *, succeeded: str, pending: str) -> Outcome:
    if status == succeeded:
        return "succeeded"
    return "pending" if status == pending else "failed"


def _topup_books(topup: TopUp) -> Books:
    outcome = _outcome(topup.status, succeeded=TopUp.Status.SUCCEEDED, pending=TopUp.Status.PENDING)
    return Books(outcome, topup.amount_minor, topup.currency, topup.bank_reference)


def _withdrawal_books(withdrawal: Withdrawal) -> Books:
    outcome = _outcome(
        withdrawal.status,
        succeeded=Withdrawal.Status.SUCCEEDED,
        pending=Withdrawal.Status.PENDING,
    )
    return Books(outcome, withdrawal.amount_minor, withdrawal.currency, withdrawal.bank_reference)


def _settlement_books(settlement: Settlement) -> Books:
    # Only the current attempt's reference is paid, or on its way (BOOKED); earlier ones
    # were declined and reversed (RETRYING), and CALCULATED or CARRIED send nothing.
    outcome = _outcome(
        settlement.status, succeeded=Settlement.Status.PAID, pending=Settlement.Status.BOOKED
    )
    return Books(outcome, settlement.payout_minor, settlement.currency, settlement.bank_reference)


def _record_key(kind: str, reference: str) -> tuple[str, int] | None:
    """Which record a bank line names: ("topup", id), ("withdrawal", id), ("settlement", id)."""
    prefix, _sep, rest = reference.partition("-")
    if kind == CHARGE and prefix == "topup" and rest.isdigit():
        return "topup", int(rest)
    if kind == PAYOUT and prefix == "withdrawal" and rest.isdigit():
        return "withdrawal", int(rest)
    payout = SETTLEMENT_REFERENCE.fullmatch(reference)
    if kind == PAYOUT and payout is not None:
        return "settlement", int(payout["id"])
    return None


@dataclass
class Findings:
    matched: int = 0
    issues: list[ReconciliationIssue] = field(default_factory=list)
    # currency -> [ledger, settlements, bank]
    totals: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))

    def add(
        self,
        kind: str,
        reference: str,
        detail: str,
        *,
        bank: int | None = None,
        books: int | None = None,
    ) -> None:
        self.issues.append(
            ReconciliationIssue(
                kind=kind,
                reference=reference[:80],
                bank_amount_minor=bank,
                books_amount_minor=books,
                detail=detail,
            )
        )


def _compare(findings: Findings, line: StatementLine, books: Books | None, stale: bool) -> None:
    """One bank line against our record of its reference (``stale``: an earlier attempt)."""
    reference, bank = line.our_reference, line.amount_minor
    if books is None:
        findings.add(Kind.MISSING_IN_BOOKS, reference, "unknown_reference", bank=bank)
    elif line.is_cancellation:
        if stale or books.outcome == "failed":
            findings.matched += 1
        elif books.outcome == "succeeded":
            findings.add(
                Kind.STATUS_MISMATCH,
                reference,
                "cancelled_at_bank",
                bank=0,
                books=books.amount_minor,
            )
        else:
            findings.add(Kind.STATUS_MISMATCH, reference, "cancelled_while_pending", bank=0)
    elif stale:
        findings.add(Kind.MISSING_IN_BOOKS, reference, "earlier_attempt_paid", bank=bank)
    elif books.outcome == "failed":
        findings.add(Kind.MISSING_IN_BOOKS, reference, "failed_in_books", bank=bank)
    elif books.outcome == "pending":
        findings.add(
            Kind.STATUS_MISMATCH, reference, "pending_in_books", bank=bank, books=books.amount_minor
        )
    elif (bank, line.currency) != (books.amount_minor, books.currency):
        detail = "amount_differs" if line.currency == books.currency else "currency_differs"
        findings.add(Kind.AMOUNT_MISMATCH, reference, detail, bank=bank, books=books.amount_minor)
    elif line.bank_reference != books.bank_reference:
        findings.add(
            Kind.STATUS_MISMATCH,
            reference,
            "bank_reference_differs",
            bank=bank,
            books=books.amount_minor,
        )
    else:
        findings.matched += 1


def _match(day: date, lines: list[StatementLine]) -> Findings:
    """Every line of the day's statement against our records, then ours against the bank."""
    findings = Findings()
    keys = [_record_key(line.kind, line.our_reference) for line in lines]
    wanted: dict[str, set[int]] = defaultdict(set)
    for key in keys:
        if key is not None:
            wanted[key[0]].add(key[1])
    topups = TopUp.objects.in_bulk(wanted["topup"])
    withdrawals = Withdrawal.objects.in_bulk(wanted["withdrawal"])
    settlements = Settlement.objects.in_bulk(wanted["settlement"])

    seen: set[tuple[str, str]] = set()
    day_settlements: dict[int, Settlement] = {}
    for line, key in zip(lines, keys, strict=True):
        if (line.kind, line.our_reference) in seen:
            findings.add(
                Kind.MISSING_IN_BOOKS, line.our_reference, "booked_twice", bank=line.amount_minor
            )
            continue
        seen.add((line.kind, line.our_reference))
        books, stale = None, False
        if key is not None and key[0] == "topup" and key[1] in topups:
            books = _topup_books(topups[key[1]])
        elif key is not None and key[0] == "withdrawal" and key[1] in withdrawals:
            books = _withdrawal_books(withdrawals[key[1]])
        elif key is not None and key[0] == "settlement" and key[1] in settlements:
            settlement = settlements[key[1]]
            books = _settlement_books(settlement)
            stale = line.our_reference != settlement.payout_reference
            if not stale and not line.is_cancellation:
                day_settlements[settlement.pk] = settlement
        if key is not None and key[0] == "settlement":
            findings.totals[line.currency or DEFAULT_CURRENCY][2] += line.amount_minor
        _compare(findings, line, books, stale)

    for settlement in _missing_at_bank(findings, day, {line.our_reference for line in lines}):
        day_settlements[settlement.pk] = settlement
    _settlement_totals(findings, day_settlements.values())
    return findings


def _missing_at_bank(findings: Findings, day: date, on_statement: set[str]) -> list[Settlement]:
    """Our records that succeeded on ``day`` and are on no statement; returns the day's
    paid settlements that no statement has (they count in its totals)."""
    start, end = day_bounds(day)
    ours: dict[str, Books] = {}
    for topup in TopUp.objects.filter(
        status=TopUp.Status.SUCCEEDED, resolved_at__gte=start, resolved_at__lt=end
    ):
        ours[topup.gateway_reference] = _topup_books(topup)
    for withdrawal in Withdrawal.objects.filter(
        status=Withdrawal.Status.SUCCEEDED, resolved_at__gte=start, resolved_at__lt=end
    ):
        ours[withdrawal.gateway_reference] = _withdrawal_books(withdrawal)
    paid = {
        settlement.payout_reference: settlement
        for settlement in Settlement.objects.filter(
            status=Settlement.Status.PAID, paid_at__gte=start, paid_at__lt=end
        )
    }
    for reference, settlement in paid.items():
        ours[reference] = _settlement_books(settlement)
    unseen = set(ours) - on_statement
    if not unseen:
        return []
    earlier = _references_on_earlier_statements(day, unseen)
    missing = []
    for reference in sorted(unseen - earlier):
        findings.add(
            Kind.MISSING_AT_BANK, reference, "not_at_bank", books=ours[reference].amount_minor
        )
        if reference in paid:
            missing.append(paid[reference])
    return missing


def _references_on_earlier_statements(day: date, references: set[str]) -> set[str]:
    """Which of ``references`` the bank booked in the ``LOOK_BACK_DAYS`` before ``day``.

    An earlier statement not fetched yet is fetched now; one that cannot be had is skipped
    (its own reconciliation reports it), so its references count as missing here.
    """
    found: set[str] = set()
    for back in range(1, LOOK_BACK_DAYS + 1):
        try:
            statement = statement_fetch(day=day - timedelta(days=back))
        except (StatementDamaged, BankUnavailable):
            continue
        found.update(
            line.our_reference
            for line in parse_statement(statement.content, day=statement.business_date)
            if line.our_reference in references and not line.is_cancellation
        )
    return found


def _settlement_totals(findings: Findings, settlements: Iterable[Settlement]) -> None:
    """Add the ledger's and the settlements' side of the day's payouts to the totals."""
    by_id = {settlement.pk: settlement for settlement in settlements}
    if not by_id:
        return
    for settlement in by_id.values():
        if settlement.status == Settlement.Status.PAID:
            findings.totals[settlement.currency][1] += settlement.payout_minor
    # Every journal transaction of a settlement (its booking, each attempt's reversal) is
    # referenced "settlement:<id>…" and posts its payout leg on bank clearing: their net is
    # what the ledger says left for the bank.
    postings = Posting.objects.filter(
        account__kind=Account.Kind.SYSTEM,
        account__system_code=Account.SystemCode.BANK_CLEARING,
        transaction__reference__startswith="settlement:",
        transaction__created_at__gte=min(settlement.created_at for settlement in by_id.values()),
    ).values_list("transaction__reference", "currency", "amount_minor")
    for reference, currency, amount in postings:
        settlement_id = str(reference).split(":")[1]
        if settlement_id.isdigit() and int(settlement_id) in by_id:
            findings.totals[currency][0] += amount


def _compare_totals(findings: Findings) -> None:
    for currency, (ledger_total, settlements_total, bank_total) in sorted(findings.totals.items()):
        if ledger_total != bank_total:
            findings.add(
                Kind.TOTALS_DIFFER,
                currency,
                "ledger_total_differs",
                bank=bank_total,
                books=ledger_total,
            )
        if settlements_total != bank_total:
            findings.add(
                Kind.TOTALS_DIFFER,
                currency,
                "settlements_total_differs",
                bank=bank_total,
                books=settlements_total,
            )


# --- the run ------------------------------------------------------------------------------


def reconcile(*, day: date) -> Reconciliation:
    """Reconcile the bank's statement of ``day`` with our books and record the run.

    Checks the day is over (``DayNotOver``). Fetches the statement (and, for records not
    on it, earlier ones) before opening its transaction; a damaged statement makes a
    FAILED run with one BAD_FILE issue and nothing matched. ``BankUnavailable`` when the
    bank does not answer: nothing is recorded, try again. Records a new run (history kept,
    the latest run is the day's result) with its issues in one durable transaction, and
    tells every operator when it has issues and the day's previous run did not find the
    same (the inbox entry in the transaction, the live push on commit).
    """
    if day >= business_today():
        raise DayNotOver()
    statement: BankStatement | None
    try:
        statement = statement_fetch(day=day)
        findings = _match(day, parse_statement(statement.content, day=day))
    except StatementDamaged as damage:
        statement, findings = None, Findings()
        findings.add(Kind.BAD_FILE, damage.filename, damage.detail)
    else:
        _compare_totals(findings)

    ledger_total, settlements_total, bank_total = findings.totals.get(DEFAULT_CURRENCY, [0, 0, 0])
    if statement is None:
        outcome = Reconciliation.Status.FAILED
    elif findings.issues:
        outcome = Reconciliation.Status.DISCREPANCIES
    else:
        outcome = Reconciliation.Status.CLEAN
    with transaction.atomic(durable=True):
        previous = (
            Reconciliation.objects.filter(business_date=day)
            .prefetch_related("issues")
            .order_by("-id")
            .first()
        )
        run = Reconciliation.objects.create(
            business_date=day,
            statement=statement,
            status=outcome,
            matched_count=findings.matched,
            issue_count=len(findings.issues),
            ledger_total_minor=ledger_total,
            settlements_total_minor=settlements_total,
            bank_total_minor=bank_total,
        )
        for issue in findings.issues:
            issue.reconciliation = run
        ReconciliationIssue.objects.bulk_create(findings.issues)
        if findings.issues and not _same_findings(previous, run, findings.issues):
            _tell_operators(run, findings.issues)
    return run


def _signature(status: str, issues: Iterable[ReconciliationIssue]) -> tuple[Any, ...]:
    return (
        status,
        sorted(
            (issue.kind, issue.reference, issue.detail, issue.bank_amount_minor or 0)
            for issue in issues
        ),
    )


def _same_findings(
    previous: Reconciliation | None, run: Reconciliation, issues: list[ReconciliationIssue]
) -> bool:
    if previous is None:
        return False
    return _signature(previous.status, previous.issues.all()) == _signature(run.status, issues)


def issue_message(issue: ReconciliationIssue) -> str | Promise:
    """What an issue's detail code means, in the active language."""
    return DETAILS.get(issue.detail, issue.detail)


def _summary(issues: list[ReconciliationIssue]) -> str:
    shown = [
        f"{issue.get_kind_display()} {issue.reference}: {issue_message(issue)}"
        for issue in issues[:20]
    ]
    if len(issues) > 20:
        shown.append("…")
    return "\n".join(shown)


# Rendered by ``notify`` in each operator's own language.
_lazy_summary = lazy(_summary, str)


def _tell_operators(run: Reconciliation, issues: list[ReconciliationIssue]) -> None:
    if run.status == Reconciliation.Status.FAILED:
        kind = "reconciliation_failed"
        title = lazy_format(_("The bank statement of %(day)s is unusable"), day=run.business_date)
    else:
        kind = "reconciliation_discrepancies"
        title = lazy_format(
            ngettext_lazy(
                "Reconciliation of %(day)s: %(count)s difference with the bank",
                "Reconciliation of %(day)s: %(count)s differences with the bank",
                len(issues),
            ),
            day=run.business_date,
            count=len(issues),
        )
    url = reverse("wallet-reconciliation", args=[run.pk])
    for operator in operators():
        notify(
            operator,
            kind=kind,
            title=title,
            body=_lazy_summary(issues),
            url=url,
            data={"reconciliation_id": run.pk, "day": run.business_date.isoformat()},
        )


def operators() -> QuerySet[Any]:
    """Who is told: active staff users (the wallet knows operators by ``is_staff``)."""
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("pk")


def reconcile_previous_day() -> Reconciliation:
    """Yesterday's run (the daily task)."""
    return reconcile(day=business_today() - timedelta(days=1))
