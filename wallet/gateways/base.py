"""What the wallet needs from a bank.

Every money call carries our reference, and the bank does each reference at most once: a
repeated call returns the first outcome. A call that times out may or may not have moved
money; ``lookup`` tells later, and ``cancel`` makes sure a reference that never arrived
never will. Once a day is over the bank publishes its statement of that day, which
``wallet.services.reconciliation`` matches against our books.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

OutcomeStatus = Literal["succeeded", "declined", "not_found"]


class GatewayTimeout(Exception):
    """The bank did not answer in time. Money may or may not have moved."""


class CardRejected(Exception):
    """The bank refused to bind a card."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CardDetails:
    token: str
    bank_name: str
    last4: str
    expiry_month: int
    expiry_year: int
    holder_name: str
    status: str  # valid, expired, blacklisted, revoked


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    bank_reference: str = ""
    decline_code: str = ""


# The statement's CSV columns, in order (the first line of the file): one line per charge
# or payout the bank booked that local day, amounts positive in minor units (``kind`` says
# which way the money went), ``booked_at`` in ISO 8601 with its offset. A cancelled
# reference appears with amount 0 and no card.
STATEMENT_COLUMNS = (
    "bank_reference",
    "kind",
    "our_reference",
    "amount_minor",
    "currency",
    "card_last4",
    "booked_at",
)


@dataclass(frozen=True)
class StatementFile:
    """A day's statement as the bank publishes it: the CSV and the hex SHA-256 of its
    UTF-8 bytes, published beside it (``statement-2026-11-25.csv.sha256``)."""

    filename: str
    content: str
    sha256: str


class BankGateway(Protocol):
    def tokenize(
        self, *, number: str, holder_name: str, expiry_month: int, expiry_year: int
    ) -> CardDetails: ...

    def card_status(self, *, token: str) -> str: ...

    def balance(self, *, token: str) -> tuple[int, str]: ...

    def charge(
        self, *, token: str, amount_minor: int, currency: str, reference: str
    ) -> Outcome: ...

    def payout(
        self, *, token: str, amount_minor: int, currency: str, reference: str
    ) -> Outcome: ...

    def lookup(self, *, kind: str, reference: str) -> Outcome: ...

    def cancel(self, *, kind: str, reference: str) -> Outcome: ...

    def daily_statement(self, *, day: date) -> StatementFile: ...
