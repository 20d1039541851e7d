"""What the wallet needs from a bank.

Every money call carries our reference, and the bank does each reference at most once: a
repeated call returns the first outcome. A call that times out may or may not have moved
money; ``lookup`` tells later, and ``cancel`` makes sure a reference that never arrived
never will.
"""

from __future__ import annotations

from dataclasses import dataclass
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
