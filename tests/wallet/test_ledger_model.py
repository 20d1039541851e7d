"""A stateful model of the wallet: random sequences of every money procedure, checked against
a plain in-memory model after each step.

Each Hypothesis example opens its own residents, cards, shops and operators (fresh phone
numbers, card numbers and shop references), so examples need no clean database: they all run
in the one transaction of the test and leave their rows behind (postings are append-only on
PostgreSQL anyway). What one example checks is scoped to its own people and shops, and to
the journal transactions that touch them; the ledger check and the zero sum per currency are
checked globally. Its teardown resolves every pending bank operation, so the next example
starts with none.

The whole test runs at 09:00 tomorrow (Asia/Shanghai, the clock ticking): no example straddles
midnight, when daily limits would reset under the model.
"""

from __future__ import annotations

import functools
import itertools
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from community.models import User
from core.errors import ApplicationError, NotFound, ValidationFailed
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.wallet.conftest import PIN, bind_card, fund, make_resident, sandbox_card, shop_account
from wallet import renderers
from wallet.errors import (
    CaptureExceedsHold,
    CardUnusable,
    CorrectionNotAllowed,
    DailyLimitExceeded,
    HoldNotActive,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidAmount,
    PaymentNotCancellable,
    PinIncorrect,
    PinLocked,
    PinRequired,
    QuoteExpired,
    RefundExceedsPayment,
    SelfTransfer,
    SingleLimitExceeded,
    VerificationLimitReached,
    WalletFrozen,
)
from wallet.gateways.sandbox import SandboxBank, inject_fault, luhn_valid
from wallet.models import (
    Account,
    AccountShard,
    BankCard,
    Hold,
    JournalTransaction,
    Payment,
    Posting,
    SandboxCard,
    SandboxFault,
    SandboxStatementLine,
    TopUp,
    UsageCounter,
    WalletProfile,
    Withdrawal,
)
from wallet.selectors import HistoryFilter, history
from wallet.services import bank, corrections, fx, limits, payments
from wallet.services.accounts import payee_account, system_account, wallet_account
from wallet.services.audit import ledger_check
from wallet.services.idempotency import Idempotency, Replayed, request_fingerprint
from wallet.services.ledger import account_balance
from wallet.services.profile import (
    MAX_PIN_FAILURES,
    NO_PIN_MAX_PER_DAY_MINOR,
    limits_update,
    wallet_freeze,
    wallet_unfreeze,
)

N_RESIDENTS = 3
WRONG_PIN = "864213"
PINS = {"ok": PIN, "none": None, "wrong": WRONG_PIN}
CURRENCIES = ("CNY", "HKD")
DEFAULT_SINGLE_LIMIT = WalletProfile._meta.get_field("single_limit_minor").default
DEFAULT_DAILY_LIMIT = WalletProfile._meta.get_field("daily_limit_minor").default
YEAR_LIMIT = limits.LEVEL_LIMITS[3][1]
SHORT_HOLD = timedelta(hours=1)
GIVE_UP = bank.GIVE_UP_AFTER + timedelta(minutes=1)
BPS = Decimal(10_000)

# Numbers unique across all examples of a run (each example opens new people and cards).
_serial = itertools.count(1)


def luhn_number(body: str) -> str:
    """``body`` with its Luhn check digit appended."""
    total = 0
    for index, digit in enumerate(reversed(body)):
        value = int(digit)
        if index % 2 == 0:  # doubled: every second digit counting from the check digit
            value *= 2
            if value > 9:
                value -= 9
        total += value
    number = body + str((10 - total % 10) % 10)
    assert luhn_valid(number)
    return number


# --- strategies --------------------------------------------------------------------------

residents = st.integers(0, N_RESIDENTS - 1)
shops = st.integers(0, 1)
amounts = st.one_of(
    st.integers(1, 20_000), st.integers(20_000, 300_000), st.integers(450_000, 800_000)
)
topup_amounts = st.one_of(st.integers(1, 200_000), st.integers(200_000, 1_500_000))
pin_modes = st.sampled_from(["ok", "ok", "ok", "none", "none", "wrong"])
typed_pins = st.sampled_from(["ok", "ok", "ok", "wrong"])
bank_faults = st.sampled_from(
    [None, None, "timeout_before", "timeout_after", "duplicate_callback", "late_callback"]
)
mid_rates = st.sampled_from([Decimal("1.08"), Decimal("1.0912"), Decimal("0.93")])
spreads = st.sampled_from([0, 50, 125])


# --- the model ---------------------------------------------------------------------------


@dataclass
class ResidentModel:
    index: int
    user: User
    card_id: int
    sandbox_id: int
    card_balance: int
    no_pin_limit: int
    single_limit: int
    daily_limit: int
    balance: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CURRENCIES, 0))
    held: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CURRENCIES, 0))
    bank_blocked: bool = False  # the sandbox bank blacklisted the card
    card_valid: bool = True  # our BankCard row says "valid"
    day_used: int = 0  # CNY counted against the daily (and yearly) limit
    no_pin_used: int = 0
    recent: bool = False  # a payment, hold or transfer within PIN_FRESHNESS
    pin_failures: int = 0
    pin_locked: bool = False
    frozen: bool = False

    def available(self, currency: str) -> int:
        return self.balance[currency] - self.held[currency]


@dataclass
class ShopModel:
    account: Account
    balance: int = 0


@dataclass
class HoldModel:
    pk: int
    resident: int
    shop: int
    amount: int
    short: bool
    captured: int = 0
    status: str = Hold.Status.ACTIVE

    @property
    def remaining(self) -> int:
        return self.amount - self.captured


@dataclass
class PaymentModel:
    pk: int
    resident: int
    shop: int
    amount: int
    refunded: int = 0
    cancelled: bool = False

    @property
    def status(self) -> str:
        if self.cancelled:
            return Payment.Status.CANCELLED
        if self.refunded == 0:
            return Payment.Status.COMPLETED
        if self.refunded == self.amount:
            return Payment.Status.REFUNDED
        return Payment.Status.PARTIALLY_REFUNDED


@dataclass
class BankOpModel:
    """A top-up or a withdrawal: ``booked`` once the sandbox bank moved the money."""

    pk: int
    resident: int
    amount: int
    status: str  # pending / succeeded / declined (top-ups) / returned (withdrawals)
    booked: bool


@dataclass
class QuoteModel:
    pk: int
    resident: int
    sell: str
    buy: str
    sell_minor: int
    buy_minor: int
    created: float
    used: bool = False


@dataclass
class SentRequest:
    """A request that reached the idempotent part of its procedure (its key is recorded)."""

    what: str
    user_id: int
    key: str
    body: dict[str, Any]
    call: Callable[[Idempotency, bool], Any]
    render: Callable[[Any], dict[str, Any]]
    resource: Callable[[Any], str] | None
    status_code: int
    response: dict[str, Any] | None = None  # what the first answer rendered
    error_code: str | None = None
    bank_op: BankOpModel | None = None  # top-ups and withdrawals: the body follows the op

    def idempotency(self, *, changed: bool = False) -> Idempotency:
        body = {**self.body, "changed": True} if changed else self.body
        return Idempotency(
            user_id=self.user_id,
            key=self.key,
            fingerprint=request_fingerprint("POST", f"/api/wallet/{self.what}/", body),
            render=self.render,
            resource=self.resource,
        )


def step(method: Callable[..., None]) -> Callable[..., None]:
    """Mark the machine unclean while a rule or check runs, so a teardown after a failure
    only cleans up and does not pile a second error onto the first."""

    @functools.wraps(method)
    def wrapper(self: LedgerMachine, *args: Any, **kwargs: Any) -> None:
        self.clean = False
        method(self, *args, **kwargs)
        self.clean = True

    return wrapper


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.res: list[ResidentModel] = []
        self.shops: list[ShopModel] = []
        self.holds: list[HoldModel] = []
        self.payments: list[PaymentModel] = []
        self.topups: list[BankOpModel] = []
        self.withdrawals: list[BankOpModel] = []
        self.quotes: list[QuoteModel] = []
        self.sent: list[SentRequest] = []
        self.fx_delta: dict[str, int] = dict.fromkeys(CURRENCIES, 0)
        self.clean = True

    # --- setup -----------------------------------------------------------------------

    @initialize(
        card_balances=st.lists(
            st.sampled_from([10_000_000, 3_000_000, 600_000]),
            min_size=N_RESIDENTS,
            max_size=N_RESIDENTS,
        ),
        openings=st.lists(
            st.integers(100_000, 1_000_000), min_size=N_RESIDENTS, max_size=N_RESIDENTS
        ),
        no_pin_limits=st.lists(
            st.sampled_from([30_000, 5_000, 0]), min_size=N_RESIDENTS, max_size=N_RESIDENTS
        ),
        tight_limits=st.lists(st.booleans(), min_size=N_RESIDENTS, max_size=N_RESIDENTS),
        mid=mid_rates,
        spread=spreads,
    )
    @step
    def open_the_neighbourhood(
        self,
        card_balances: list[int],
        openings: list[int],
        no_pin_limits: list[int],
        tight_limits: list[bool],
        mid: Decimal,
        spread: int,
    ) -> None:
        n = next(_serial)
        self.operator = UserFactory(phone=f"+86159{n:08d}", is_staff=True, role=User.Role.OPERATOR)
        self.checker = UserFactory(phone=f"+86157{n:08d}", is_staff=True, role=User.Role.OPERATOR)
        self.set_rate(mid, spread)
        self.clearing = system_account(Account.SystemCode.BANK_CLEARING)
        self.fx_position = {
            currency: system_account(Account.SystemCode.FX_POSITION, currency)
            for currency in CURRENCIES
        }
        for index in range(N_RESIDENTS):
            serial = next(_serial)
            name = f"住户{serial}"
            user = make_resident(level=3, real_name=name, phone=f"+86158{serial:08d}")
            card, at_bank = bind_card(
                user,
                holder=name,
                number=luhn_number(f"621700{serial:012d}"),
                balance=card_balances[index],
            )
            # Some residents lower their limits, so that the limits are reached.
            single, daily = (
                (50_000, 150_000)
                if tight_limits[index]
                else (DEFAULT_SINGLE_LIMIT, DEFAULT_DAILY_LIMIT)
            )
            limits_update(
                user=user,
                no_pin_limit_minor=no_pin_limits[index],
                single_limit_minor=single,
                daily_limit_minor=daily,
                pin=PIN,
            )
            self.res.append(
                ResidentModel(
                    index=index,
                    user=user,
                    card_id=card.pk,
                    sandbox_id=at_bank.pk,
                    card_balance=card_balances[index],
                    no_pin_limit=no_pin_limits[index],
                    single_limit=single,
                    daily_limit=daily,
                )
            )
        self.shops = [
            ShopModel(shop_account(name=f"小店{n}", ref=f"shop:hyp{n}")),
            ShopModel(
                payee_account(
                    kind=Account.Kind.MERCHANT,
                    owner_ref=f"shop:hyphot{n}",
                    name=f"热门小店{n}",
                    hot_shards=4,
                )
            ),
        ]
        self.initial_money = sum(card_balances)
        self.user_ids = [res.user.pk for res in self.res]
        for index, amount in enumerate(openings):
            self._top_up(index, amount, None)

    def set_rate(self, mid: Decimal, spread: int) -> None:
        fx.rate_set(
            operator=self.operator, base="CNY", quote="HKD", mid_rate=mid, spread_bps=spread
        )
        self.mid, self.spread = mid, spread

    # --- model helpers ---------------------------------------------------------------

    def fx_rate(self, sell: str) -> Decimal:
        return self.mid if sell == "CNY" else Decimal(1) / self.mid

    def cny_equivalent(self, amount: int, currency: str) -> int:
        if currency == "CNY":
            return amount
        rate = self.fx_rate(currency)
        return int((Decimal(amount) * rate).to_integral_value(rounding=ROUND_CEILING))

    def quote_buy(self, sell: str, sell_minor: int) -> int:
        customer_rate = self.fx_rate(sell) * (BPS - self.spread) / BPS
        return int((Decimal(sell_minor) * customer_rate).to_integral_value(rounding=ROUND_DOWN))

    @staticmethod
    def verify_pin(res: ResidentModel, pin: str) -> type[ApplicationError] | None:
        """``pin_verify``, with its side effects on the failure count and the lock."""
        if res.pin_locked:
            return PinLocked
        if pin == "ok":
            res.pin_failures = 0
            return None
        res.pin_failures += 1
        if res.pin_failures >= MAX_PIN_FAILURES:
            res.pin_failures, res.pin_locked = 0, True
            return PinLocked
        return PinIncorrect

    def authorise(
        self, res: ResidentModel, amount_cny: int, pin: str
    ) -> tuple[type[ApplicationError] | None, bool]:
        """``authorise_payer``: the refusal, and whether the payment goes without a PIN."""
        if res.frozen:
            return WalletFrozen, False
        if res.pin_locked:
            return PinLocked, False  # locked means locked, with or without a PIN
        if pin == "none":
            if self.no_pin_allowed(res, amount_cny):
                return None, True
            return PinRequired, False
        return self.verify_pin(res, pin), False

    @staticmethod
    def no_pin_allowed(res: ResidentModel, amount_cny: int) -> bool:
        return bool(
            res.no_pin_limit
            and amount_cny <= res.no_pin_limit
            and res.recent
            and res.no_pin_used + amount_cny <= NO_PIN_MAX_PER_DAY_MINOR
        )

    @staticmethod
    def amount_limit_error(res: ResidentModel, amount_cny: int) -> type[ApplicationError] | None:
        """The limits the amount alone passes: refused before any balance is looked at."""
        if amount_cny > res.single_limit:
            return SingleLimitExceeded
        if amount_cny > YEAR_LIMIT:
            return VerificationLimitReached
        if amount_cny > res.daily_limit:
            return DailyLimitExceeded
        return None

    @staticmethod
    def limit_error(
        res: ResidentModel, amount_cny: int, without_pin: bool
    ) -> type[ApplicationError] | None:
        if amount_cny > res.single_limit:
            return SingleLimitExceeded
        if res.day_used + amount_cny > YEAR_LIMIT:  # one day of a fresh user: year == day
            return VerificationLimitReached
        if res.day_used + amount_cny > res.daily_limit:
            return DailyLimitExceeded
        if without_pin and res.no_pin_used + amount_cny > NO_PIN_MAX_PER_DAY_MINOR:
            return PinRequired
        return None

    @staticmethod
    def consume(res: ResidentModel, amount_cny: int, without_pin: bool) -> None:
        res.day_used += amount_cny
        if without_pin:
            res.no_pin_used += amount_cny

    @staticmethod
    def funds_error(
        res: ResidentModel, currency: str, amount: int
    ) -> type[InsufficientFunds] | None:
        return InsufficientFunds if res.available(currency) < amount else None

    # --- calling the services --------------------------------------------------------

    @staticmethod
    def attempt(
        call: Callable[[], Any], expected: type[ApplicationError] | None
    ) -> tuple[Any, ApplicationError | None]:
        """Run ``call``; the model said it fails with ``expected`` (or succeeds if None)."""
        try:
            result = call()
        except ApplicationError as error:
            if type(error) is not expected:
                wanted = expected.__name__ if expected else "success"
                raise AssertionError(f"the model expected {wanted}, got {error!r}") from error
            return None, error
        assert expected is None, f"the model expected {expected.__name__}, the call succeeded"
        return result, None

    def send(
        self,
        what: str,
        user: User,
        body: dict[str, Any],
        call: Callable[[Idempotency, bool], Any],
        render: Callable[[Any], dict[str, Any]],
        expected: type[ApplicationError] | None,
        *,
        recorded: bool,
        resource: Callable[[Any], str] | None = None,
    ) -> tuple[Any, SentRequest | None]:
        """Send a request with a fresh Idempotency-Key. ``recorded``: the model says the
        request gets past the checks made before the idempotent transaction, so its answer
        (success or refusal) is kept under the key and a retry must replay it."""
        sent = SentRequest(
            what=what,
            user_id=user.pk,
            key=f"hyp-{next(_serial)}",
            body=body,
            call=call,
            render=render,
            resource=resource,
            status_code=0,
        )
        idempotency = sent.idempotency()
        result, error = self.attempt(lambda: call(idempotency, False), expected)
        if not recorded:
            return result, None
        if error is None:
            sent.status_code = idempotency.status_code
            sent.response = render(result)
        else:
            sent.status_code, sent.error_code = error.status_code, error.code
        self.sent.append(sent)
        return result, sent

    @staticmethod
    def clear_faults() -> None:
        SandboxFault.objects.all().delete()

    # --- top-ups and withdrawals -----------------------------------------------------

    def _top_up(self, r: int, amount: int, fault: str | None) -> None:
        res = self.res[r]
        card = BankCard.objects.get(pk=res.card_id)
        expected = None if res.card_valid else CardUnusable
        if fault:
            inject_fault("charge", fault)
        body = {"card_id": card.pk, "amount_minor": amount, "currency": "CNY"}
        result, sent = self.send(
            "topups",
            res.user,
            body,
            lambda idem, changed: bank.topup_create(
                user=res.user, card=card, amount_minor=amount + changed, idempotency=idem
            ),
            renderers.topup_result,
            expected,
            recorded=expected is None,
            resource=lambda result: f"topup:{result.topup.pk}",
        )
        self.clear_faults()
        if result is None:
            return
        op = BankOpModel(result.topup.pk, r, amount, TopUp.Status.PENDING, booked=False)
        self.topups.append(op)
        assert sent is not None
        sent.bank_op = op
        if fault == "timeout_before":
            pass  # the bank never saw it
        elif res.bank_blocked:
            op.status, res.card_valid = TopUp.Status.DECLINED, False
        elif res.card_balance < amount:
            op.status = TopUp.Status.DECLINED
        else:
            op.booked = True
            res.card_balance -= amount
            if fault != "timeout_after":  # answered, or settled by the (early) callback
                op.status = TopUp.Status.SUCCEEDED
                res.balance["CNY"] += amount
        assert result.balance.balance_minor == res.balance["CNY"]
        if fault is None:
            assert result.topup.status == op.status

    @rule(r=residents, amount=topup_amounts, fault=bank_faults)
    @step
    def top_up(self, r: int, amount: int, fault: str | None) -> None:
        self._top_up(r, amount, fault)

    @rule(
        r=residents,
        amount=topup_amounts,
        pin=typed_pins,
        fault=bank_faults,
    )
    @step
    def withdraw(self, r: int, amount: int, pin: str, fault: str | None) -> None:
        res = self.res[r]
        card = BankCard.objects.get(pk=res.card_id)
        recorded = False
        if not res.card_valid:
            expected: type[ApplicationError] | None = CardUnusable
        elif res.frozen:
            expected = WalletFrozen
        else:
            expected = self.verify_pin(res, pin)
            if expected is None:
                recorded, expected = True, self.funds_error(res, "CNY", amount)
        if fault:
            inject_fault("payout", fault)
        body = {"card_id": card.pk, "amount_minor": amount, "currency": "CNY"}
        result, sent = self.send(
            "withdrawals",
            res.user,
            body,
            lambda idem, changed: bank.withdrawal_create(
                user=res.user,
                card=card,
                amount_minor=amount + changed,
                pin=PINS[pin] or "",
                idempotency=idem,
            ),
            renderers.withdrawal_result,
            expected,
            recorded=recorded,
            resource=lambda result: f"withdrawal:{result.withdrawal.pk}",
        )
        self.clear_faults()
        if result is None:
            return
        op = BankOpModel(result.withdrawal.pk, r, amount, Withdrawal.Status.PENDING, booked=False)
        self.withdrawals.append(op)
        assert sent is not None
        sent.bank_op = op
        res.balance["CNY"] -= amount
        if fault == "timeout_before":
            pass
        elif res.bank_blocked:
            op.status, res.card_valid = Withdrawal.Status.RETURNED, False
            res.balance["CNY"] += amount
        else:
            op.booked = True
            res.card_balance += amount
            if fault != "timeout_after":
                op.status = Withdrawal.Status.SUCCEEDED
        if fault is None:
            assert result.withdrawal.status == op.status
            assert result.balance.balance_minor == res.balance["CNY"]

    @rule(after=st.sampled_from([timedelta(minutes=2), GIVE_UP, timedelta(days=1)]))
    @step
    def resolve_pending(self, after: timedelta) -> None:
        bank.resolve_pending(now=timezone.now() + after)
        self._model_resolves(give_up=after >= bank.GIVE_UP_AFTER)

    def _model_resolves(self, *, give_up: bool) -> None:
        for op in self.topups:
            if op.status != TopUp.Status.PENDING:
                continue
            if op.booked:  # the bank has it: it succeeded
                op.status = TopUp.Status.SUCCEEDED
                self.res[op.resident].balance["CNY"] += op.amount
            elif give_up:  # cancelled at the bank, so it can never arrive: declined
                op.status = TopUp.Status.DECLINED
        for op in self.withdrawals:
            if op.status != Withdrawal.Status.PENDING:
                continue
            res = self.res[op.resident]
            if op.booked:
                op.status = Withdrawal.Status.SUCCEEDED
            elif res.bank_blocked:  # sent again under its reference, and refused
                op.status, res.card_valid = Withdrawal.Status.RETURNED, False
                res.balance["CNY"] += op.amount
            else:  # sent again under its reference, and paid
                op.status, op.booked = Withdrawal.Status.SUCCEEDED, True
                res.card_balance += op.amount

    @rule(r=residents, refresh=st.booleans())
    @step
    def bank_blocks_or_unblocks_card(self, r: int, refresh: bool) -> None:
        res = self.res[r]
        blocked = not (res.bank_blocked or not res.card_valid)
        status = SandboxCard.Status.BLACKLISTED if blocked else SandboxCard.Status.OK
        SandboxCard.objects.filter(pk=res.sandbox_id).update(status=status)
        res.bank_blocked = blocked
        if refresh or not blocked:  # a card unblocked at the bank is checked again
            card = bank.card_refresh_status(card=BankCard.objects.get(pk=res.card_id))
            res.card_valid = not blocked
            assert (card.status == BankCard.Status.VALID) == res.card_valid

    # --- paying ----------------------------------------------------------------------

    def check_preview(self, res: ResidentModel, shop: ShopModel, amount: int) -> None:
        """The dry run tells exactly what the model expects of the payment."""
        seen = payments.payment_preview(
            payer=res.user, payee=shop.account, amount_minor=amount, currency="CNY"
        )
        problems = []
        if res.frozen:
            problems.append("wallet_frozen")
        if res.available("CNY") < amount:
            problems.append("insufficient_funds")
        if amount > res.single_limit:
            problems.append("single_limit_exceeded")
        if amount > res.daily_limit - res.day_used:
            problems.append("daily_limit_exceeded")
        if amount > YEAR_LIMIT - res.day_used:
            problems.append("verification_limit_reached")
        if not res.frozen and res.pin_locked:
            problems.append("pin_locked")
        assert seen.problems == problems
        assert seen.available_minor == res.available("CNY")
        assert seen.needs_pin == (
            res.frozen or res.pin_locked or not self.no_pin_allowed(res, amount)
        )

    @rule(
        r=residents,
        s=shops,
        amount=amounts,
        pin=pin_modes,
        currency=st.sampled_from(["CNY", "CNY", "CNY", "HKD"]),
    )
    @step
    def pay(self, r: int, s: int, amount: int, pin: str, currency: str) -> None:
        res, shop = self.res[r], self.shops[s]
        recorded, without_pin = False, False
        if currency != shop.account.currency:
            expected: type[ApplicationError] | None = ValidationFailed
        else:
            self.check_preview(res, shop, amount)
            expected, without_pin = self.authorise(res, amount, pin)
            if expected is None:
                recorded = True
                expected = (
                    self.amount_limit_error(res, amount)
                    or self.funds_error(res, currency, amount)
                    or self.limit_error(res, amount, without_pin)
                )
        body = {"payee": shop.account.pk, "amount_minor": amount, "currency": currency}
        result, _sent = self.send(
            "payments",
            res.user,
            body,
            lambda idem, changed: payments.payment_create(
                payer=res.user,
                payee=shop.account,
                amount_minor=amount + changed,
                currency=currency,
                description="hypothesis",
                pin=PINS[pin],
                idempotency=idem,
            ),
            renderers.payment_result,
            expected,
            recorded=recorded,
        )
        if result is None:
            return
        res.balance["CNY"] -= amount
        shop.balance += amount
        self.consume(res, amount, without_pin)
        res.recent = True
        self.payments.append(PaymentModel(result.payment.pk, r, s, amount))
        assert result.balance.balance_minor == res.balance["CNY"]

    @rule(
        r=residents,
        s=shops,
        amount=amounts,
        pin=pin_modes,
        short=st.booleans(),
        currency=st.sampled_from(["CNY", "CNY", "CNY", "HKD"]),
    )
    @step
    def hold_create(
        self, r: int, s: int, amount: int, pin: str, short: bool, currency: str
    ) -> None:
        res, shop = self.res[r], self.shops[s]
        recorded, without_pin = False, False
        if currency != shop.account.currency:
            expected: type[ApplicationError] | None = ValidationFailed
        else:
            expected, without_pin = self.authorise(res, amount, pin)
            if expected is None:
                recorded = True
                expected = (
                    self.amount_limit_error(res, amount)
                    or self.funds_error(res, currency, amount)
                    or self.limit_error(res, amount, without_pin)
                )
        body = {"payee": shop.account.pk, "amount_minor": amount, "currency": currency}
        result, _sent = self.send(
            "holds",
            res.user,
            body,
            lambda idem, changed: payments.hold_create(
                payer=res.user,
                payee=shop.account,
                amount_minor=amount + changed,
                currency=currency,
                description="hypothesis hold",
                pin=PINS[pin],
                lifetime=SHORT_HOLD if short else payments.DEFAULT_HOLD_LIFETIME,
                idempotency=idem,
            ),
            renderers.hold_result,
            expected,
            recorded=recorded,
        )
        if result is None:
            return
        res.held["CNY"] += amount
        self.consume(res, amount, without_pin)
        res.recent = True
        self.holds.append(HoldModel(result.hold.pk, r, s, amount, short))
        assert result.balance.held_minor == res.held["CNY"]

    def _release(self, hold: HoldModel, amount: int) -> None:
        """A hold lets go of ``amount`` it set aside and counted against the limits."""
        res = self.res[hold.resident]
        res.held["CNY"] -= amount
        res.day_used -= amount

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), whole=st.booleans(), final=st.booleans())
    @step
    def hold_capture(self, data: st.DataObject, whole: bool, final: bool) -> None:
        hold = data.draw(st.sampled_from(self.holds), label="hold")
        amount = None if whole else data.draw(st.integers(1, hold.amount + 500), label="amount")
        take = hold.remaining if amount is None else amount
        if hold.status != Hold.Status.ACTIVE:
            expected: type[ApplicationError] | None = HoldNotActive
        elif take > hold.remaining:
            expected = CaptureExceedsHold
        else:
            expected = None
        body = {"hold": hold.pk, "amount_minor": amount, "final": final}
        result, _sent = self.send(
            "captures",
            self.res[hold.resident].user,
            body,
            lambda idem, changed: payments.hold_capture(
                hold=Hold.objects.get(pk=hold.pk),
                amount_minor=(amount or 0) + 1 if changed else amount,
                final=final,
                idempotency=idem,
            ),
            renderers.payment_result,
            expected,
            recorded=True,
        )
        if result is None:
            return
        res = self.res[hold.resident]
        release = hold.remaining if final else take
        res.balance["CNY"] -= take
        self._release(hold, release)
        res.day_used += take  # what is taken stays counted
        self.shops[hold.shop].balance += take
        hold.captured += take
        if final or hold.captured == hold.amount:
            hold.status = Hold.Status.CAPTURED
        self.payments.append(PaymentModel(result.payment.pk, hold.resident, hold.shop, take))
        assert (result.balance.balance_minor, result.balance.held_minor) == (
            res.balance["CNY"],
            res.held["CNY"],
        )

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    @step
    def hold_void(self, data: st.DataObject) -> None:
        hold = data.draw(st.sampled_from(self.holds), label="hold")
        expected = None if hold.status == Hold.Status.ACTIVE else HoldNotActive
        result, _sent = self.send(
            "voids",
            self.res[hold.resident].user,
            {"hold": hold.pk},
            lambda idem, changed: payments.hold_void(
                hold=Hold.objects.get(pk=hold.pk), idempotency=idem
            ),
            renderers.hold_result,
            expected,
            recorded=True,
        )
        if result is None:
            return
        self._release(hold, hold.remaining)
        hold.status = Hold.Status.VOIDED

    @precondition(lambda self: any(h.short and h.status == Hold.Status.ACTIVE for h in self.holds))
    @rule()
    @step
    def time_passes_and_short_holds_expire(self) -> None:
        with time_machine.travel(timezone.now() + SHORT_HOLD + timedelta(hours=1), tick=False):
            payments.holds_expire_due()
        for hold in self.holds:
            if hold.short and hold.status == Hold.Status.ACTIVE:
                self._release(hold, hold.remaining)
                hold.status = Hold.Status.EXPIRED

    @precondition(lambda self: self.payments)
    @rule(data=st.data(), whole=st.booleans())
    @step
    def refund(self, data: st.DataObject, whole: bool) -> None:
        payment = data.draw(st.sampled_from(self.payments), label="payment")
        amount = None if whole else data.draw(st.integers(1, payment.amount + 200), label="amount")
        shop = self.shops[payment.shop]
        refundable = payment.amount - payment.refunded
        refund = refundable if amount is None else amount
        if refund <= 0 or refund > refundable:
            expected: type[ApplicationError] | None = RefundExceedsPayment
        elif shop.balance < refund:  # a correction may have taken the shop's money
            expected = InsufficientFunds
        else:
            expected = None
        result, _sent = self.send(
            "refunds",
            self.res[payment.resident].user,
            {"payment": payment.pk, "amount_minor": amount},
            lambda idem, changed: payments.payment_refund(
                payment=Payment.objects.get(pk=payment.pk),
                amount_minor=(amount or 0) + 1 if changed else amount,
                reason="hypothesis",
                idempotency=idem,
            ),
            renderers.refund_result,
            expected,
            recorded=True,
        )
        if result is None:
            return
        shop.balance -= refund
        self.res[payment.resident].balance["CNY"] += refund
        payment.refunded += refund
        assert result.amount_minor == refund

    @precondition(lambda self: self.payments)
    @rule(data=st.data())
    @step
    def cancel(self, data: st.DataObject) -> None:
        payment = data.draw(st.sampled_from(self.payments), label="payment")
        shop = self.shops[payment.shop]
        if payment.refunded:
            expected: type[ApplicationError] | None = PaymentNotCancellable
        elif shop.balance < payment.amount:
            expected = InsufficientFunds
        else:
            expected = None
        result, _sent = self.send(
            "cancellations",
            self.res[payment.resident].user,
            {"payment": payment.pk},
            lambda idem, changed: payments.payment_cancel(
                payment=Payment.objects.get(pk=payment.pk), reason="hypothesis", idempotency=idem
            ),
            renderers.refund_result,
            expected,
            recorded=True,
        )
        if result is None:
            return
        shop.balance -= payment.amount
        self.res[payment.resident].balance["CNY"] += payment.amount
        payment.refunded, payment.cancelled = payment.amount, True

    @rule(
        sender=residents,
        to=st.sampled_from([1, 2, 1, 2, 0]),  # 0: to oneself
        amount=amounts,
        currency=st.sampled_from(["CNY", "CNY", "CNY", "HKD"]),
        pin=pin_modes,
    )
    @step
    def transfer(self, sender: int, to: int, amount: int, currency: str, pin: str) -> None:
        recipient = (sender + to) % N_RESIDENTS
        source, target = self.res[sender], self.res[recipient]
        amount_cny = self.cny_equivalent(amount, currency)
        recorded, without_pin = False, False
        if sender == recipient:
            expected: type[ApplicationError] | None = SelfTransfer
        else:
            expected, without_pin = self.authorise(source, amount_cny, pin)
            if expected is None:
                recorded = True
                expected = (
                    self.amount_limit_error(source, amount_cny)
                    or self.funds_error(source, currency, amount)
                    or self.limit_error(source, amount_cny, without_pin)
                )
        body = {"to": target.user.phone, "amount_minor": amount, "currency": currency}
        result, _sent = self.send(
            "transfers",
            source.user,
            body,
            lambda idem, changed: payments.transfer_create(
                sender=source.user,
                recipient=payments.find_recipient(target.user.phone),
                amount_minor=amount + changed,
                currency=currency,
                note="hypothesis",
                pin=PINS[pin],
                idempotency=idem,
            ),
            renderers.transfer_result,
            expected,
            recorded=recorded,
        )
        if result is None:
            return
        source.balance[currency] -= amount
        target.balance[currency] += amount
        self.consume(source, amount_cny, without_pin)
        source.recent = True
        assert result.balance.balance_minor == source.balance[currency]

    # --- currency conversion ---------------------------------------------------------

    @rule(mid=mid_rates, spread=spreads)
    @step
    def operator_sets_rate(self, mid: Decimal, spread: int) -> None:
        self.set_rate(mid, spread)

    @rule(
        r=residents,
        sell_cny=st.booleans(),
        sell_minor=st.integers(1, 300_000),
        convert=st.booleans(),
        pin=typed_pins,
    )
    @step
    def fx_quote(self, r: int, sell_cny: bool, sell_minor: int, convert: bool, pin: str) -> None:
        res = self.res[r]
        sell, buy = ("CNY", "HKD") if sell_cny else ("HKD", "CNY")
        buy_minor = self.quote_buy(sell, sell_minor)
        quote, _error = self.attempt(
            lambda: fx.quote_create(
                user=res.user, sell_currency=sell, buy_currency=buy, sell_minor=sell_minor
            ),
            None if buy_minor > 0 else InvalidAmount,
        )
        if quote is None:
            return
        assert quote.buy_minor == buy_minor
        self.quotes.append(
            QuoteModel(quote.pk, r, sell, buy, sell_minor, buy_minor, time.monotonic())
        )
        if convert:
            self._convert(self.quotes[-1], pin, stranger=False)

    @precondition(lambda self: self.quotes)
    @rule(data=st.data(), pin=typed_pins, stranger=st.booleans())
    @step
    def fx_convert(self, data: st.DataObject, pin: str, stranger: bool) -> None:
        self._convert(data.draw(st.sampled_from(self.quotes), label="quote"), pin, stranger)

    def _convert(self, quote: QuoteModel, pin: str, stranger: bool) -> None:
        age = time.monotonic() - quote.created
        if 45 < age < 75:
            return  # too close to the quote's 60 seconds to say
        user_index = (quote.resident + 1) % N_RESIDENTS if stranger else quote.resident
        res = self.res[user_index]
        recorded = False
        if stranger:
            expected: type[ApplicationError] | None = NotFound
        else:
            amount_cny = self.cny_equivalent(quote.sell_minor, quote.sell)
            expected, _without_pin = self.authorise(res, amount_cny, pin)
            if expected is None:
                recorded = True
                if quote.used or age >= 75:
                    expected = QuoteExpired
                else:
                    expected = self.funds_error(res, quote.sell, quote.sell_minor)
        result, _sent = self.send(
            "conversions",
            res.user,
            {"quote": quote.pk},
            lambda idem, changed: fx.conversion_execute(
                user=res.user, quote_id=quote.pk, pin=PINS[pin], idempotency=idem
            ),
            renderers.conversion_result,
            expected,
            recorded=recorded,
        )
        if result is None:
            return
        quote.used = True
        res.balance[quote.sell] -= quote.sell_minor
        res.balance[quote.buy] += quote.buy_minor
        self.fx_delta[quote.sell] += quote.sell_minor
        self.fx_delta[quote.buy] -= quote.buy_minor

    # --- operators and the owner's wallet settings -----------------------------------

    @rule(s=shops, r=residents, amount=amounts, to_resident=st.booleans())
    @step
    def correction(self, s: int, r: int, amount: int, to_resident: bool) -> None:
        shop, res = self.shops[s], self.res[r]
        wallet = wallet_account(res.user)
        sign = 1 if to_resident else -1
        proposal = corrections.correction_propose(
            operator=self.operator,
            legs=[
                {"account_id": shop.account.pk, "amount_minor": -sign * amount},
                {"account_id": wallet.pk, "amount_minor": sign * amount},
            ],
            reason="hypothesis correction",
        )
        self.attempt(
            lambda: corrections.correction_approve(operator=self.operator, proposal=proposal),
            CorrectionNotAllowed,
        )
        payer_has = shop.balance if to_resident else res.available("CNY")
        expected = InsufficientFunds if payer_has < amount else None
        approved, _error = self.attempt(
            lambda: corrections.correction_approve(operator=self.checker, proposal=proposal),
            expected,
        )
        if approved is None:
            return
        shop.balance -= sign * amount
        res.balance["CNY"] += sign * amount

    @precondition(lambda self: not any(res.frozen for res in self.res))
    @rule(r=residents)
    @step
    def freeze(self, r: int) -> None:
        """ "Lost phone": every payment and withdrawal stops at once."""
        wallet_freeze(user=self.res[r].user)
        self.res[r].frozen = True

    @precondition(lambda self: any(res.frozen for res in self.res))
    @rule(pin=typed_pins)
    @step
    def unfreeze(self, pin: str) -> None:
        res = next(res for res in self.res if res.frozen)
        expected = self.verify_pin(res, pin)
        profile, _error = self.attempt(
            lambda: wallet_unfreeze(user=res.user, password=DEFAULT_PASSWORD, pin=PINS[pin] or ""),
            expected,
        )
        if profile is not None:
            res.frozen = False

    @rule(r=residents, times=st.integers(1, MAX_PIN_FAILURES))
    @step
    def fumble_pin(self, r: int, times: int) -> None:
        """Wrong PINs in a row: the fifth locks what needs the PIN for 30 minutes."""
        res, shop = self.res[r], self.shops[0]
        for _attempt in range(times):
            self.attempt(
                lambda: payments.payment_create(
                    payer=res.user,
                    payee=shop.account,
                    amount_minor=100,
                    description="hypothesis",
                    pin=WRONG_PIN,
                ),
                self.authorise(res, 100, "wrong")[0],
            )

    # --- retries ---------------------------------------------------------------------

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    @step
    def retry_same_request(self, data: st.DataObject) -> None:
        sent = data.draw(st.sampled_from(self.sent), label="request")
        with pytest.raises(Replayed) as replay:
            sent.call(sent.idempotency(), False)
        assert replay.value.status_code == sent.status_code
        body = replay.value.body
        if sent.error_code is not None:
            assert body["error"]["code"] == sent.error_code
        elif sent.bank_op is not None:
            # A top-up or withdrawal answered "pending" first; a retry learns how it ended.
            kind = "topup" if sent.what == "topups" else "withdrawal"
            assert body[kind]["id"] == sent.bank_op.pk
            assert body[kind]["status"] == sent.bank_op.status
        else:
            assert body == sent.response

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    @step
    def reuse_key_for_another_request(self, data: st.DataObject) -> None:
        sent = data.draw(st.sampled_from(self.sent), label="request")
        with pytest.raises(IdempotencyKeyReused):
            sent.call(sent.idempotency(changed=True), True)

    # --- invariants ------------------------------------------------------------------

    @invariant()
    @step
    def books_agree_with_the_model(self) -> None:
        self.check_books()

    def check_books(self) -> None:
        assert [str(problem) for problem in ledger_check()] == []
        self.check_currency_sums()
        self.check_wallets_and_shops()
        self.check_bank_operations()
        self.check_holds_and_payments()
        self.check_limits()
        self.check_money_is_conserved()

    @staticmethod
    def check_currency_sums() -> None:
        totals: dict[str, int] = defaultdict(int)
        for currency, total in (
            Account.objects.values("currency")
            .annotate(total=Sum("balance_minor"))
            .values_list("currency", "total")
        ):
            totals[currency] += total
        for currency, total in (
            AccountShard.objects.values("account__currency")
            .annotate(total=Sum("balance_minor"))
            .values_list("account__currency", "total")
        ):
            totals[currency] += total
        assert {c: t for c, t in totals.items() if t} == {}, "balances must sum to 0 per currency"

    def wallets(self) -> dict[tuple[int, str], tuple[int, int]]:
        return {
            (owner, currency): (balance, held)
            for owner, currency, balance, held in Account.objects.filter(
                kind=Account.Kind.CUSTOMER, owner_id__in=[res.user.pk for res in self.res]
            ).values_list("owner_id", "currency", "balance_minor", "held_minor")
        }

    def check_wallets_and_shops(self) -> None:
        wallets = self.wallets()
        for res in self.res:
            for currency in CURRENCIES:
                balance, held = wallets.get((res.user.pk, currency), (0, 0))
                assert balance >= 0 and 0 <= held <= balance
                assert (balance, held) == (res.balance[currency], res.held[currency]), (
                    f"resident {res.index} {currency}"
                )
        for index, shop in enumerate(self.shops):
            real = account_balance(shop.account)
            assert (real.balance_minor, real.held_minor) == (shop.balance, 0), f"shop {index}"
        at_bank = dict(
            SandboxCard.objects.filter(pk__in=[res.sandbox_id for res in self.res]).values_list(
                "pk", "balance_minor"
            )
        )
        assert [at_bank[res.sandbox_id] for res in self.res] == [
            res.card_balance for res in self.res
        ]
        card_status = dict(
            BankCard.objects.filter(pk__in=[res.card_id for res in self.res]).values_list(
                "pk", "status"
            )
        )
        assert [card_status[res.card_id] == BankCard.Status.VALID for res in self.res] == [
            res.card_valid for res in self.res
        ]

    def check_bank_operations(self) -> None:
        topups = dict(
            TopUp.objects.filter(pk__in=[op.pk for op in self.topups]).values_list("pk", "status")
        )
        assert topups == {op.pk: op.status for op in self.topups}
        # Each top-up is credited once at most, and exactly once when it succeeded.
        credited = Counter(
            JournalTransaction.objects.filter(
                reference__in=[f"topup:{op.pk}" for op in self.topups]
            ).values_list("reference", flat=True)
        )
        for op in self.topups:
            times = credited[f"topup:{op.pk}"]
            assert times <= 1, f"top-up {op.pk} credited {times} times"
            assert times == (op.status == TopUp.Status.SUCCEEDED)
        linked = dict(
            TopUp.objects.filter(pk__in=[op.pk for op in self.topups]).values_list(
                "pk", "transaction__reference"
            )
        )
        assert linked == {
            op.pk: f"topup:{op.pk}" if op.status == TopUp.Status.SUCCEEDED else None
            for op in self.topups
        }
        credits = dict(
            Posting.objects.filter(
                transaction__reference__in=[f"topup:{op.pk}" for op in self.topups],
                account__kind=Account.Kind.CUSTOMER,
            ).values_list("transaction__reference", "amount_minor")
        )
        for op in self.topups:
            if op.status == TopUp.Status.SUCCEEDED:
                assert credits[f"topup:{op.pk}"] == op.amount
        withdrawals = dict(
            Withdrawal.objects.filter(pk__in=[op.pk for op in self.withdrawals]).values_list(
                "pk", "status"
            )
        )
        assert withdrawals == {op.pk: op.status for op in self.withdrawals}
        returned = Counter(
            JournalTransaction.objects.filter(
                reference__in=[f"withdrawal-return:{op.pk}" for op in self.withdrawals]
            ).values_list("reference", flat=True)
        )
        for op in self.withdrawals:
            assert returned[f"withdrawal-return:{op.pk}"] == (
                op.status == Withdrawal.Status.RETURNED
            )

    def check_holds_and_payments(self) -> None:
        holds = {
            pk: (status, captured)
            for pk, status, captured in Hold.objects.filter(
                pk__in=[h.pk for h in self.holds]
            ).values_list("pk", "status", "captured_minor")
        }
        assert holds == {h.pk: (h.status, h.captured) for h in self.holds}
        paid = {
            pk: (status, refunded, amount)
            for pk, status, refunded, amount in Payment.objects.filter(
                pk__in=[p.pk for p in self.payments]
            ).values_list("pk", "status", "refunded_minor", "amount_minor")
        }
        assert paid == {p.pk: (p.status, p.refunded, p.amount) for p in self.payments}

    def check_limits(self) -> None:
        today = timezone.localdate()
        used = {
            (user_id, span): amount
            for user_id, span, amount in UsageCounter.objects.filter(
                user_id__in=[res.user.pk for res in self.res]
            ).values_list("user_id", "span", "used_minor")
        }
        assert (
            not UsageCounter.objects.filter(
                user_id__in=[res.user.pk for res in self.res], span=UsageCounter.Span.DAY
            )
            .exclude(period=today)
            .exists()
        )
        for res in self.res:
            key = res.user.pk
            assert used.get((key, UsageCounter.Span.DAY), 0) == res.day_used, res.index
            assert used.get((key, UsageCounter.Span.YEAR), 0) == res.day_used, res.index
            assert used.get((key, UsageCounter.Span.NO_PIN_DAY), 0) == res.no_pin_used

    def in_flight(self) -> int:
        """Money between the bank and the wallets: charged at the bank but not yet credited,
        or taken from a wallet but not yet paid out by the bank."""
        pending_topups = dict(
            TopUp.objects.filter(
                pk__in=[op.pk for op in self.topups], status=TopUp.Status.PENDING
            ).values_list("pk", "amount_minor")
        )
        pending_withdrawals = dict(
            Withdrawal.objects.filter(
                pk__in=[op.pk for op in self.withdrawals], status=Withdrawal.Status.PENDING
            ).values_list("pk", "amount_minor")
        )
        booked = set(
            SandboxStatementLine.objects.filter(
                reference__in=[f"topup-{pk}" for pk in pending_topups]
                + [f"withdrawal-{pk}" for pk in pending_withdrawals]
            )
            .exclude(amount_minor=0)
            .values_list("reference", flat=True)
        )
        return sum(a for pk, a in pending_topups.items() if f"topup-{pk}" in booked) + sum(
            a for pk, a in pending_withdrawals.items() if f"withdrawal-{pk}" not in booked
        )

    def ours_on(self, system: Account) -> int:
        """What this example's transactions posted on a (shared) system account."""
        ours = Account.objects.filter(kind=Account.Kind.CUSTOMER, owner_id__in=self.user_ids)
        return (
            Posting.objects.filter(
                account=system,
                transaction_id__in=Posting.objects.filter(account__in=ours).values(
                    "transaction_id"
                ),
            ).aggregate(total=Sum("amount_minor"))["total"]
            or 0
        )

    def check_money_is_conserved(self, *, settled: bool = False) -> None:
        wallets = self.wallets()
        cards = SandboxCard.objects.filter(pk__in=[r.sandbox_id for r in self.res]).aggregate(
            total=Sum("balance_minor")
        )["total"]
        in_wallets = {
            currency: sum(wallets.get((r.user.pk, currency), (0, 0))[0] for r in self.res)
            for currency in CURRENCIES
        }
        in_shops = sum(account_balance(shop.account).balance_minor for shop in self.shops)
        fx_taken = {currency: self.ours_on(self.fx_position[currency]) for currency in CURRENCIES}
        assert fx_taken == self.fx_delta
        in_flight = self.in_flight()
        if settled:
            assert in_flight == 0
        # Money at the bank + in wallets and shops (+ CNY sold for HKD) never changes.
        assert cards + in_wallets["CNY"] + in_shops + fx_taken["CNY"] + in_flight == (
            self.initial_money
        )
        # HKD exists here only as bought from the FX position.
        assert in_wallets["HKD"] + fx_taken["HKD"] == 0
        # What came in from the bank is mirrored by the clearing account.
        clearing = self.ours_on(self.clearing)
        assert clearing + in_wallets["CNY"] + in_shops + fx_taken["CNY"] == 0

    def teardown(self) -> None:
        if not self.res:
            return
        was_clean = self.clean
        self.clear_faults()
        # Nothing stays pending for the next example: resolve everything, for good.
        bank.resolve_pending(now=timezone.now() + timedelta(days=1))
        if was_clean:
            self._model_resolves(give_up=True)
            assert not [op for op in self.topups + self.withdrawals if op.status == "pending"]
            self.check_books()
            self.check_money_is_conserved(settled=True)


MACHINE_SETTINGS = settings(
    # LEDGER_MODEL_EXAMPLES=500 for a longer hunt; 25 keeps the suite under a minute.
    max_examples=int(os.environ.get("LEDGER_MODEL_EXAMPLES", "25")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.django_db
@pytest.mark.usefixtures("pay_path")
def test_the_wallet_behaves_like_its_model() -> None:
    """Random sequences of every wallet procedure agree with the model, step by step."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    nine = datetime.combine(tomorrow, clock(9), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(nine, tick=True):
        run_state_machine_as_test(LedgerMachine, settings=MACHINE_SETTINGS)


# --- service bugs this model found (fixed since): regression tests ---------------------


@pytest.mark.django_db
def test_a_hold_for_a_payee_in_another_currency_is_refused() -> None:
    """hold_create used to accept an HKD hold for a CNY shop (payment_create refused it);
    hold_capture then raised UnbalancedTransaction, so the money stayed held until voided."""
    fx.rate_set(
        operator=UserFactory(is_staff=True),
        base="CNY",
        quote="HKD",
        mid_rate=Decimal("1.08"),
        spread_bps=50,
    )
    resident = make_resident(level=3)
    fund(resident, 10_000, "HKD")
    shop = shop_account()  # takes CNY
    with pytest.raises(ValidationFailed):
        payments.payment_create(
            payer=resident, payee=shop, amount_minor=1_000, currency="HKD", description="x", pin=PIN
        )
    with pytest.raises(ValidationFailed):
        payments.hold_create(
            payer=resident, payee=shop, amount_minor=1_000, currency="HKD", description="x", pin=PIN
        )
    assert account_balance(wallet_account(resident, "HKD")).held_minor == 0


@pytest.mark.django_db
def test_a_top_up_shows_in_the_history_of_its_card() -> None:
    """topup_settle used to post the top-up without setting TopUp.transaction, so the
    history filtered by card (selectors.history, card_id=...) missed every top-up."""
    resident = make_resident(real_name="王芳")
    at_bank = sandbox_card(number=luhn_number("621700999999999999"))
    card = bank.card_bind(
        user=resident,
        number=at_bank.number,
        holder_name="王芳",
        expiry_month=at_bank.expiry_month,
        expiry_year=at_bank.expiry_year,
    )
    topup = bank.topup_create(user=resident, card=card, amount_minor=5_000).topup
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.SUCCEEDED
    assert topup.transaction == JournalTransaction.objects.get(reference=f"topup:{topup.pk}")
    assert [p.amount_minor for p in history(resident, HistoryFilter(card_id=card.pk))] == [5_000]


# --- regressions of service bugs this model found ------------------------------


@pytest.mark.django_db
def test_a_top_up_cancelled_at_the_bank_is_never_credited() -> None:
    resident = make_resident(real_name="王芳")
    at_bank = sandbox_card(number=luhn_number("621700999999999998"), balance=100_000)
    card = bank.card_bind(
        user=resident,
        number=at_bank.number,
        holder_name="王芳",
        expiry_month=at_bank.expiry_month,
        expiry_year=at_bank.expiry_year,
    )
    inject_fault("charge", "timeout_before")  # the charge never reaches the bank
    topup = bank.topup_create(user=resident, card=card, amount_minor=5_000).topup
    # A first resolver gives up on it: cancels the reference at the bank, then stops (worker
    # killed, or a second resolver overtakes it) before it settles the top-up as declined.
    assert SandboxBank().cancel(kind="charge", reference=topup.gateway_reference).status == (
        "not_found"
    )
    bank.resolve_pending(now=timezone.now() + GIVE_UP)
    topup.refresh_from_db()
    at_bank.refresh_from_db()
    assert at_bank.balance_minor == 100_000  # the bank never charged the card
    assert topup.status == TopUp.Status.DECLINED  # today: succeeded
    assert account_balance(wallet_account(resident)).balance_minor == 0  # today: 5_000
