"""A sandbox bank that behaves like a real one, failures included.

It keeps its own books (cards with balances, a statement), declines what a bank declines
(insufficient funds, expired, blacklisted, revoked), does each reference once, and suffers
faults injected through ``SandboxFault`` rows: a timeout before or after it moved money, a
callback sent twice, or an answer that only arrives later as a callback. Its writes commit
on their own: call it outside the wallet's transactions, as one would a real bank. Every
day it publishes the statement of a day as a CSV file with its SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wallet.gateways.base import (
    STATEMENT_COLUMNS,
    CardDetails,
    CardRejected,
    GatewayTimeout,
    Outcome,
    StatementFile,
)
from wallet.models import SandboxCard, SandboxFault, SandboxStatementLine

CHARGE, PAYOUT = "charge", "payout"
LATE_CALLBACK_SECONDS = 5


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _expired(card: SandboxCard, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return (card.expiry_year, card.expiry_month) < (today.year, today.month)


def _status(card: SandboxCard) -> str:
    if card.status == SandboxCard.Status.REVOKED:
        return "revoked"
    if card.status == SandboxCard.Status.BLACKLISTED:
        return "blacklisted"
    if _expired(card):
        return "expired"
    return "valid"


def take_fault(operation: str) -> str | None:
    """Consume one injected fault for ``operation``, if any (atomic across processes)."""
    with transaction.atomic():
        fault = (
            SandboxFault.objects.select_for_update(skip_locked=True)
            .filter(operation__in=[operation, "*"], remaining__gt=0)
            .order_by("pk")
            .first()
        )
        if fault is None:
            return None
        SandboxFault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
        return fault.mode


def inject_fault(operation: str, mode: str, times: int = 1) -> SandboxFault:
    return SandboxFault.objects.create(operation=operation, mode=mode, remaining=times)


class SandboxBank:
    name = "Linli Sandbox Bank"

    def tokenize(
        self, *, number: str, holder_name: str, expiry_month: int, expiry_year: int
    ) -> CardDetails:
        number = number.replace(" ", "")
        if not luhn_valid(number):
            raise CardRejected("invalid_number")
        card = SandboxCard.objects.filter(number=number).first()
        if card is None:
            raise CardRejected("unknown_card")
        if (card.expiry_month, card.expiry_year) != (expiry_month, expiry_year):
            raise CardRejected("details_mismatch")
        if card.holder_name != holder_name.strip():
            raise CardRejected("holder_mismatch")
        if card.token is None:
            SandboxCard.objects.filter(pk=card.pk, token__isnull=True).update(
                token="tok_" + secrets.token_hex(12)
            )
            card.refresh_from_db()
        return CardDetails(
            token=card.token or "",
            bank_name=card.bank_name,
            last4=number[-4:],
            expiry_month=card.expiry_month,
            expiry_year=card.expiry_year,
            holder_name=card.holder_name,
            status=_status(card),
        )

    def card_status(self, *, token: str) -> str:
        card = SandboxCard.objects.filter(token=token).first()
        return "revoked" if card is None else _status(card)

    def balance(self, *, token: str) -> tuple[int, str]:
        card = SandboxCard.objects.filter(token=token).first()
        if card is None:
            raise CardRejected("revoked")
        if self.card_status(token=token) != "valid":
            raise CardRejected(self.card_status(token=token))
        return card.balance_minor, card.currency

    def charge(self, *, token: str, amount_minor: int, currency: str, reference: str) -> Outcome:
        return self._move(CHARGE, token, -amount_minor, currency, reference)

    def payout(self, *, token: str, amount_minor: int, currency: str, reference: str) -> Outcome:
        return self._move(PAYOUT, token, amount_minor, currency, reference)

    def lookup(self, *, kind: str, reference: str) -> Outcome:
        line = SandboxStatementLine.objects.filter(kind=kind, reference=reference).first()
        if line is None or line.amount_minor == 0:  # never arrived, or cancelled first
            return Outcome("not_found")
        return Outcome("succeeded", bank_reference=line.bank_reference)

    def cancel(self, *, kind: str, reference: str) -> Outcome:
        """Close ``reference`` for good: if it has not arrived, it never will."""
        with transaction.atomic():
            existing = SandboxStatementLine.objects.filter(kind=kind, reference=reference).first()
            if existing is not None and existing.amount_minor == 0:
                return Outcome("not_found")  # cancelled before: still never arrived
            if existing is not None:
                return Outcome("succeeded", bank_reference=existing.bank_reference)
            # A zero line under the reference blocks any later arrival of it.
            SandboxStatementLine.objects.create(
                card=None,
                kind=kind,
                reference=reference,
                amount_minor=0,
                bank_reference="cxl_" + secrets.token_hex(8),
            )
            return Outcome("not_found")

    def daily_statement(self, *, day: date) -> StatementFile:
        """Every line the bank booked on ``day`` (local time, ``settings.TIME_ZONE``), in
        booking order, as CSV with the SHA-256 of its UTF-8 bytes.

        With ``settings.BANK_STATEMENT_DIR`` set, the bank also drops both files there, as
        a bank's SFTP server would: ``statement-<day>.csv`` and ``statement-<day>.csv.sha256``
        (``sha256sum`` format).
        """
        zone = ZoneInfo(settings.TIME_ZONE)
        start = datetime.combine(day, time.min, tzinfo=zone)
        lines = (
            SandboxStatementLine.objects.filter(
                created_at__gte=start, created_at__lt=start + timedelta(days=1)
            )
            .select_related("card")
            .order_by("created_at", "bank_reference")
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(STATEMENT_COLUMNS)
        for line in lines:
            writer.writerow(
                [
                    line.bank_reference,
                    line.kind,
                    line.reference,
                    abs(line.amount_minor),
                    line.card.currency if line.card else "",
                    line.card.number[-4:] if line.card else "",
                    timezone.localtime(line.created_at, zone).isoformat(),
                ]
            )
        content = buffer.getvalue()
        statement = StatementFile(
            filename=f"statement-{day.isoformat()}.csv",
            content=content,
            sha256=hashlib.sha256(content.encode()).hexdigest(),
        )
        directory = getattr(settings, "BANK_STATEMENT_DIR", None)
        if directory:
            folder = Path(directory)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / statement.filename).write_bytes(content.encode())
            (folder / f"{statement.filename}.sha256").write_text(
                f"{statement.sha256}  {statement.filename}\n"
            )
        return statement

    def _move(
        self, kind: str, token: str, signed_amount: int, currency: str, reference: str
    ) -> Outcome:
        fault = take_fault(kind)
        if fault == SandboxFault.Mode.TIMEOUT_BEFORE:
            raise GatewayTimeout(f"{kind} {reference}: no answer")
        outcome = self._book(kind, token, signed_amount, currency, reference)
        if outcome.status != "succeeded":
            return outcome
        if fault == SandboxFault.Mode.TIMEOUT_AFTER:
            raise GatewayTimeout(f"{kind} {reference}: answer lost after booking")
        if fault == SandboxFault.Mode.DUPLICATE_CALLBACK:
            self._callback(kind, reference, outcome)
            self._callback(kind, reference, outcome)
        if fault == SandboxFault.Mode.LATE_CALLBACK:
            self._callback(kind, reference, outcome, delay=LATE_CALLBACK_SECONDS)
            raise GatewayTimeout(f"{kind} {reference}: answer will come by callback")
        return outcome

    def _book(
        self, kind: str, token: str, signed_amount: int, currency: str, reference: str
    ) -> Outcome:
        with transaction.atomic():
            existing = SandboxStatementLine.objects.filter(kind=kind, reference=reference).first()
            if existing is not None:
                if existing.amount_minor == 0:  # cancelled before it arrived
                    return Outcome("declined", decline_code="reference_cancelled")
                return Outcome("succeeded", bank_reference=existing.bank_reference)
            card = SandboxCard.objects.select_for_update().filter(token=token).first()
            if card is None:
                return Outcome("declined", decline_code="card_revoked")
            status = _status(card)
            if status != "valid":
                return Outcome("declined", decline_code=f"card_{status}")
            if card.currency != currency:
                return Outcome("declined", decline_code="currency_not_supported")
            if card.balance_minor + signed_amount < 0:
                return Outcome("declined", decline_code="insufficient_funds")
            SandboxCard.objects.filter(pk=card.pk).update(
                balance_minor=F("balance_minor") + signed_amount
            )
            line = SandboxStatementLine.objects.create(
                card=card,
                kind=kind,
                reference=reference,
                amount_minor=signed_amount,
                bank_reference="bnk_" + secrets.token_hex(8),
            )
        return Outcome("succeeded", bank_reference=line.bank_reference)

    def _callback(self, kind: str, reference: str, outcome: Outcome, delay: int = 0) -> None:
        from wallet.tasks import bank_callback

        payload = {
            "kind": kind,
            "reference": reference,
            "status": outcome.status,
            "bank_reference": outcome.bank_reference,
            "decline_code": outcome.decline_code,
        }
        bank_callback.apply_async(args=(payload,), countdown=delay)
