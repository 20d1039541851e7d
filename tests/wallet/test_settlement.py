"""T+1 settlement, worked through: a day of payments and refunds becomes one settlement
with its lines and fees, paid out once to the payee's bank card, whatever fails on the way.

Business days are local (Asia/Shanghai). Each test pays during a fixed day (D) and runs
settlement in the small hours of the next one, as the nightly task would.
"""

from __future__ import annotations

import io
import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from tests.concurrency.conftest import run_together
from tests.factories import UserFactory
from tests.wallet.conftest import PIN, balance_of, fund, make_resident, sandbox_card, shop_account
from wallet.errors import InsufficientFunds
from wallet.gateways import get_gateway
from wallet.gateways.sandbox import SandboxBank, inject_fault
from wallet.models import (
    Account,
    JournalTransaction,
    PayoutProfile,
    SandboxCard,
    SandboxFault,
    SandboxStatementLine,
    Settlement,
    SettlementLine,
)
from wallet.services import ledger, payments, settlement
from wallet.services.accounts import system_account, wallet_account
from wallet.services.audit import ledger_check
from wallet.services.settlement import line_fee, settle_due

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 2)
SHOP_CARD = "6222020200000000014"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def next_day(day: date, hours: int = 0) -> date:
    return day + timedelta(days=1 + hours // 24)


@pytest.fixture
def shop() -> Account:
    return shop_account(hot=8)  # a real shop's account is hot: credits land in shards


@pytest.fixture
def bank_card() -> SandboxCard:
    return sandbox_card(holder="鲜果超市", number=SHOP_CARD, balance=0)


@pytest.fixture
def profile(shop: Account, bank_card: SandboxCard) -> PayoutProfile:
    details = get_gateway().tokenize(
        number=bank_card.number,
        holder_name=bank_card.holder_name,
        expiry_month=bank_card.expiry_month,
        expiry_year=bank_card.expiry_year,
    )
    return settlement.payout_profile_register(
        account=shop,
        label="鲜果超市",
        card_token=details.token,
        bank_name=details.bank_name,
        last4=details.last4,
        holder_name=details.holder_name,
        fee_bps=60,
    )


@pytest.fixture
def resident() -> Any:
    user = make_resident(level=2)
    fund(user, 1_000_000)
    return user


def pay(resident: Any, shop: Account, amount: int, when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        return payments.payment_create(
            payer=resident, payee=shop, amount_minor=amount, description="groceries", pin=PIN
        ).payment


def refund(payment: Any, amount: int | None, when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        return payments.payment_refund(payment=payment, amount_minor=amount)


def run(when: datetime) -> settlement.SettleRun:
    with time_machine.travel(when, tick=False):
        return settle_due()


def card_balance(card: SandboxCard) -> int:
    card.refresh_from_db()
    return card.balance_minor


def payout_lines() -> int:
    return SandboxStatementLine.objects.filter(kind="payout").count()


# --- the fee rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "bps", "fee"),
    [
        (12_345, 60, 74),  # 74.07 → 74
        (2_580, 60, 15),  # 15.48 → 15
        (750, 60, 5),  # 4.50 → 5: half up (banker's rounding would say 4)
        (250, 60, 2),  # 1.50 → 2
        (50, 60, 0),  # 0.30 → 0
        (-1_000, 60, 6),  # a refund's fee is figured on its size
        (10_000, 0, 0),
        (999, 10_000, 999),
    ],
)
def test_the_fee_of_a_line_is_rounded_half_up_to_the_fen(amount, bps, fee):
    assert line_fee(amount, bps) == fee


# --- a worked day ----------------------------------------------------------------------------


def test_a_day_of_payments_and_a_refund_is_paid_out_once_the_next_night(
    shop, profile, resident, bank_card
):
    # Given a day with three payments and a partial refund of one of them
    pay(resident, shop, 12_345, at(DAY, 9))
    apples = pay(resident, shop, 2_580, at(DAY, 12))
    pay(resident, shop, 750, at(DAY, 23, 59))
    refund(apples, 1_000, at(DAY, 15))
    # and a payment after midnight, which belongs to the next day
    pay(resident, shop, 400, at(next_day(DAY), 0, 30))

    # When the nightly run settles the day
    report = run(at(next_day(DAY), 2))

    # Then one settlement holds the day's four lines, with a fee per line
    day = Settlement.objects.get()
    assert (day.business_date, day.status) == (DAY, Settlement.Status.PAID)
    lines = list(day.lines.order_by("occurred_at").values_list("kind", "amount_minor", "fee_minor"))
    assert lines == [
        ("payment", 12_345, 74),
        ("payment", 2_580, 15),
        ("refund", -1_000, -6),  # the fee of what was refunded comes back
        ("payment", 750, 5),
    ]
    assert (day.payment_count, day.payments_minor) == (3, 15_675)
    assert (day.refund_count, day.refunds_minor, day.fees_minor) == (1, -1_000, 88)
    # 15 675 − 1 000 − 88 = 14 587 fen paid to the card, and nothing else moved
    assert day.payout_minor == 14_587 and day.carried_out_minor == 0
    assert card_balance(bank_card) == 14_587
    assert day.payout_reference == f"settlement:{day.pk}:1" and day.bank_reference
    assert report.paid == [day.pk]
    assert balance_of(system_account(Account.SystemCode.FEE_INCOME)) == 88
    assert balance_of(shop) == 400  # the next day's payment waits for its own settlement
    booked = JournalTransaction.objects.get(reference=f"settlement:{day.pk}")
    assert day.booked_transaction == booked
    assert booked.metadata["payout_minor"] == 14_587


def test_a_second_run_pays_nothing_twice(shop, profile, resident, bank_card):
    pay(resident, shop, 10_000, at(DAY, 10))
    run(at(next_day(DAY), 1))

    again = run(at(next_day(DAY), 3))

    assert again.calculated == 0 and again.paid == []
    assert Settlement.objects.count() == 1 and payout_lines() == 1
    assert card_balance(bank_card) == 9_940


def test_days_without_a_run_are_settled_oldest_first_one_settlement_each(
    shop, profile, resident, bank_card
):
    pay(resident, shop, 10_000, at(DAY, 10))
    pay(resident, shop, 20_000, at(DAY + timedelta(days=2), 10))

    run(at(DAY + timedelta(days=5), 1))

    days = list(
        Settlement.objects.order_by("business_date").values_list(
            "business_date", "payout_minor", "status"
        )
    )
    assert days == [
        (DAY, 9_940, "paid"),
        (DAY + timedelta(days=2), 19_880, "paid"),  # a day with nothing is not settled
    ]
    assert card_balance(bank_card) == 29_820 and payout_lines() == 2


def test_a_transaction_is_settled_once_whichever_day_finds_it(shop, profile, resident):
    payment = pay(resident, shop, 10_000, at(DAY, 10))
    run(at(next_day(DAY), 1))

    assert SettlementLine.objects.filter(transaction=payment.transaction).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementLine.objects.create(
            settlement=Settlement.objects.get(),
            account=shop,
            transaction=payment.transaction,
            kind="payment",
            amount_minor=10_000,
            occurred_at=payment.created_at,
        )


def test_a_transaction_committed_after_its_day_was_settled_lands_in_the_next_settlement(
    shop, profile, resident
):
    pay(resident, shop, 10_000, at(DAY, 10))
    run(at(next_day(DAY), 1))
    # A payment stamped before midnight whose transaction committed only after the run
    late = pay(resident, shop, 700, at(DAY, 23, 59))
    pay(resident, shop, 1_000, at(next_day(DAY), 10))

    run(at(DAY + timedelta(days=2), 1))

    second = Settlement.objects.get(business_date=next_day(DAY))
    assert set(second.lines.values_list("transaction_id", flat=True)) >= {late.transaction_id}
    assert second.payments_minor == 1_700


# --- a run killed half-way -----------------------------------------------------------------


class CrashAfterPayout(SandboxBank):
    """The sandbox bank really pays, then the process dies before our books hear of it."""

    crashes_left = 0

    def payout(self, *, token: str, amount_minor: int, currency: str, reference: str) -> Any:
        outcome = super().payout(
            token=token, amount_minor=amount_minor, currency=currency, reference=reference
        )
        if CrashAfterPayout.crashes_left:
            CrashAfterPayout.crashes_left -= 1
            raise SystemExit("killed between the payout and the bookkeeping")
        return outcome


def test_a_run_killed_between_payout_and_bookkeeping_recovers_without_paying_twice(
    settings, shop, profile, resident, bank_card
):
    pay(resident, shop, 10_000, at(DAY, 10))
    settings.WALLET_GATEWAY = "tests.wallet.test_settlement.CrashAfterPayout"
    CrashAfterPayout.crashes_left = 1

    # The run dies right after the bank paid
    with pytest.raises(SystemExit):
        run(at(next_day(DAY), 1))
    day = Settlement.objects.get()
    assert day.status == Settlement.Status.BOOKED
    assert card_balance(bank_card) == 9_940  # the bank did pay

    # The next run asks again with the same reference: the bank repeats its first answer
    run(at(next_day(DAY), 2))

    day.refresh_from_db()
    assert day.status == Settlement.Status.PAID and day.attempts == 1
    assert payout_lines() == 1 and card_balance(bank_card) == 9_940
    assert balance_of(shop) == 0


@pytest.mark.parametrize(
    ("fault", "paid_at_first"),
    [(SandboxFault.Mode.TIMEOUT_BEFORE, 0), (SandboxFault.Mode.TIMEOUT_AFTER, 9_940)],
)
def test_a_bank_timeout_leaves_it_booked_and_the_next_run_pays_once(
    shop, profile, resident, bank_card, fault, paid_at_first
):
    pay(resident, shop, 10_000, at(DAY, 10))
    inject_fault("payout", fault)

    first = run(at(next_day(DAY), 1))

    day = Settlement.objects.get()
    assert first.pending == [day.pk] and day.status == Settlement.Status.BOOKED
    assert card_balance(bank_card) == paid_at_first
    assert balance_of(shop) == 0  # the payout left the account when it was booked

    run(at(next_day(DAY), 2))

    day.refresh_from_db()
    assert day.status == Settlement.Status.PAID
    assert card_balance(bank_card) == 9_940 and payout_lines() == 1


def test_a_later_day_waits_while_the_day_before_is_not_final(shop, profile, resident):
    pay(resident, shop, 10_000, at(DAY, 10))
    pay(resident, shop, 5_000, at(DAY + timedelta(days=1), 10))
    inject_fault("payout", SandboxFault.Mode.TIMEOUT_BEFORE)

    run(at(DAY + timedelta(days=2), 1))

    # Its carried-in amount is the day before's carried-out one, known once that one ends
    assert list(Settlement.objects.values_list("business_date", "status")) == [(DAY, "booked")]
    run(at(DAY + timedelta(days=2), 2))
    assert list(
        Settlement.objects.order_by("business_date").values_list("business_date", "status")
    ) == [(DAY, "paid"), (DAY + timedelta(days=1), "paid")]


# --- a declined payout ---------------------------------------------------------------------


def test_a_declined_payout_comes_back_is_reported_and_retried_once_the_card_is_fixed(
    settings, shop, profile, resident, bank_card, django_capture_on_commit_callbacks
):
    told: list[Settlement] = []
    settings.WALLET_PAYOUT_FAILED_HANDLER = [
        "tests.wallet.test_settlement.remember_failure",
    ]
    remember_failure.calls = told
    operator = UserFactory(is_staff=True, preferred_language="en")
    pay(resident, shop, 10_000, at(DAY, 10))
    SandboxCard.objects.filter(pk=bank_card.pk).update(status=SandboxCard.Status.BLACKLISTED)

    # When the bank declines the payout
    with django_capture_on_commit_callbacks(execute=True):
        first = run(at(next_day(DAY), 1))

    # Then the money is back on the shop's account and the settlement waits to retry
    day = Settlement.objects.get()
    assert first.retrying == [day.pk]
    assert (day.status, day.last_decline_code) == ("retrying", "card_blacklisted")
    assert day.next_attempt_at == at(next_day(DAY), 2)  # first backoff: one hour
    assert balance_of(shop) == 9_940
    assert JournalTransaction.objects.filter(reference=f"settlement:{day.pk}:1:return").exists()
    notice = operator.notifications.get(kind="settlement_payout_declined")
    assert "¥99.40" in notice.title and "card_blacklisted" in notice.body
    assert [settled.pk for settled in told] == [day.pk]

    # A run before the retry is due leaves it alone
    run(at(next_day(DAY), 1, 30))
    assert payout_lines() == 0

    # Once the card is fixed, the due retry pays once, under a new reference
    SandboxCard.objects.filter(pk=bank_card.pk).update(status=SandboxCard.Status.OK)
    run(at(next_day(DAY), 2, 5))
    day.refresh_from_db()
    assert (day.status, day.attempts) == ("paid", 2)
    assert day.payout_reference == f"settlement:{day.pk}:2"
    assert card_balance(bank_card) == 9_940 and payout_lines() == 1
    assert balance_of(shop) == 0
    run(at(next_day(DAY), 5))
    assert card_balance(bank_card) == 9_940


def remember_failure(*, settlement: Settlement) -> None:
    remember_failure.calls.append(settlement)  # type: ignore[attr-defined]


remember_failure.calls = []  # type: ignore[attr-defined]


def test_the_retry_backoff_grows_then_stays_daily():
    assert [settlement.retry_delay(n) for n in (1, 2, 3, 4, 9)] == [
        timedelta(hours=1),
        timedelta(hours=4),
        timedelta(hours=12),
        timedelta(days=1),
        timedelta(days=1),
    ]


def test_a_paid_settlement_is_announced_to_the_layer_after_commit(
    settings, shop, profile, resident, django_capture_on_commit_callbacks
):
    told: list[Settlement] = []
    settings.WALLET_SETTLEMENT_PAID_HANDLER = "tests.wallet.test_settlement.remember_failure"
    remember_failure.calls = told
    pay(resident, shop, 10_000, at(DAY, 10))

    with django_capture_on_commit_callbacks(execute=True):
        run(at(next_day(DAY), 1))

    assert [(s.status, s.payout_minor) for s in told] == [("paid", 9_940)]


# --- refunds after settlement --------------------------------------------------------------


def test_a_refund_after_payout_is_lent_then_recovered_from_the_next_settlements(
    shop, profile, resident, bank_card
):
    # Day 1: a sale, paid out that night; the shop's account is empty again
    sale = pay(resident, shop, 10_000, at(DAY, 10))
    run(at(DAY + timedelta(days=1), 1))
    assert balance_of(shop) == 0
    before = balance_of(wallet_account(resident))

    # Day 2: the whole sale is refunded: the resident gets it all at once
    refund(sale, None, at(DAY + timedelta(days=1), 9))
    assert balance_of(wallet_account(resident)) == before + 10_000
    profile.refresh_from_db()
    assert profile.owed_minor == 10_000  # lent by the receivable account
    assert balance_of(system_account(Account.SystemCode.RECEIVABLE)) == -10_000
    assert balance_of(shop) == 0  # nothing negative
    # and the day's small takings do not cover it
    pay(resident, shop, 3_000, at(DAY + timedelta(days=1), 11))
    run(at(DAY + timedelta(days=2), 1))

    second = Settlement.objects.get(business_date=DAY + timedelta(days=1))
    lines = list(second.lines.values_list("kind", "amount_minor", "fee_minor"))
    # The refund's line shows 0 from the account, and its whole fee comes back
    assert sorted(lines) == [("payment", 3_000, 18), ("refund", 0, -60)]
    # 3 000 − (18 − 60) = 3 042 all goes to what is owed; nothing is paid out
    assert (second.status, second.recovered_minor, second.payout_minor) == ("carried", 3_042, 0)
    profile.refresh_from_db()
    assert profile.owed_minor == 6_958

    # Day 3: enough sales to repay the rest; the remainder is paid out
    pay(resident, shop, 20_000, at(DAY + timedelta(days=2), 10))
    run(at(DAY + timedelta(days=3), 1))

    third = Settlement.objects.get(business_date=DAY + timedelta(days=2))
    assert (third.status, third.recovered_minor, third.payout_minor) == ("paid", 6_958, 12_922)
    profile.refresh_from_db()
    assert profile.owed_minor == 0
    assert balance_of(system_account(Account.SystemCode.RECEIVABLE)) == 0
    # The shop kept 3 000 + 20 000 − fees 18 + 120 − 60 back; the bank got it all
    assert card_balance(bank_card) == 9_940 + 12_922
    assert balance_of(system_account(Account.SystemCode.FEE_INCOME)) == 60 + 18 - 60 + 120


def test_a_refund_partly_covered_by_the_balance_takes_what_is_there_first(shop, profile, resident):
    sale = pay(resident, shop, 10_000, at(DAY, 10))
    run(at(DAY + timedelta(days=1), 1))
    pay(resident, shop, 2_000, at(DAY + timedelta(days=1), 9))

    refund(sale, 6_000, at(DAY + timedelta(days=1), 10))

    profile.refresh_from_db()
    assert profile.owed_minor == 4_000 and balance_of(shop) == 0
    posted = JournalTransaction.objects.get(kind="refund")
    assert sorted(posted.postings.values_list("amount_minor", flat=True)) == [-4_000, -2_000, 6_000]
    assert posted.metadata["receivable_minor"] == 4_000


def test_several_partial_refunds_never_give_back_more_fee_than_was_charged(shop, resident):
    settlement.payout_profile_register(
        account=shop,
        label="鲜果超市",
        card_token="tok_missing",
        bank_name="x",
        last4="0000",
        holder_name="x",
        fee_bps=50,
    )
    sale = pay(resident, shop, 200, at(DAY, 10))  # fee 1.00 → 1
    refund(sale, 100, at(DAY, 11))  # fee 0.50 → 1
    refund(sale, 100, at(DAY, 12))  # fee 0.50 → 1, but only 0 is left to give back

    settlement.settlement_calculate(profile_id=shop.payout.pk, day=DAY)

    fees = list(SettlementLine.objects.order_by("occurred_at").values_list("fee_minor", flat=True))
    assert fees == [1, -1, 0]


def test_a_refund_without_a_payout_profile_still_needs_the_money(resident):
    shop = shop_account(ref="shop:77")
    sale = pay(resident, shop, 1_000, at(DAY, 10))
    with transaction.atomic():  # the shop's money went elsewhere (an operator's correction)
        ledger.post(
            kind=JournalTransaction.Kind.CORRECTION,
            legs=[
                ledger.Leg(shop, -800),
                ledger.Leg(system_account(Account.SystemCode.SUSPENSE), 800),
            ],
            description="test",
        )

    with pytest.raises(InsufficientFunds):
        payments.payment_refund(payment=sale, amount_minor=500)
    assert balance_of(system_account(Account.SystemCode.RECEIVABLE)) == 0


# --- under real concurrency (PostgreSQL, threads) ------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_runs_at_once_settle_the_day_once_and_pay_once(shop, profile, resident, bank_card):
    for hour in (9, 10, 11):
        pay(resident, shop, 10_000, at(DAY, hour))

    with time_machine.travel(at(next_day(DAY), 1), tick=True):
        outcomes = run_together([settle_due] * 4)

    assert [outcome.error for outcome in outcomes] == [None] * 4
    assert Settlement.objects.get().status == Settlement.Status.PAID
    assert payout_lines() == 1 and card_balance(bank_card) == 29_820
    assert sum(len(outcome.value.paid) for outcome in outcomes) >= 1
    assert [str(problem) for problem in ledger_check()] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_refunds_while_the_day_is_booked_never_lose_or_create_money(
    shop, profile, resident, bank_card
):
    sales = [pay(resident, shop, 10_000 + n, at(DAY, 9 + n)) for n in range(4)]

    with time_machine.travel(at(next_day(DAY), 1), tick=True):
        outcomes = run_together(
            [settle_due]
            + [
                lambda sale=sale: payments.payment_refund(payment=sale, amount_minor=7_000)
                for sale in sales[:3]
            ]
        )

    assert [outcome.error for outcome in outcomes] == [None] * 4
    day = Settlement.objects.get(business_date=DAY)
    profile.refresh_from_db()
    # What the shop has (paid out, still on the account) less what it owes is exactly the
    # day's sales less its refunds and fees, whichever finished first
    sales_total = sum(sale.amount_minor for sale in sales)
    assert card_balance(bank_card) + balance_of(shop) - profile.owed_minor == (
        sales_total - 21_000 - day.fees_minor
    )
    assert not Account.objects.filter(allow_negative=False, balance_minor__lt=0).exists()
    assert [str(problem) for problem in ledger_check()] == []


@pytest.mark.parametrize(
    "fault", [SandboxFault.Mode.DUPLICATE_CALLBACK, SandboxFault.Mode.LATE_CALLBACK]
)
def test_the_banks_callbacks_of_a_payout_record_it_once(shop, profile, resident, bank_card, fault):
    pay(resident, shop, 10_000, at(DAY, 10))
    inject_fault("payout", fault)

    report = run(at(next_day(DAY), 1))

    day = Settlement.objects.get()
    assert day.status == Settlement.Status.PAID and report.paid == [day.pk]
    assert payout_lines() == 1 and card_balance(bank_card) == 9_940
    run(at(next_day(DAY), 2))
    assert payout_lines() == 1 and card_balance(bank_card) == 9_940


# --- the command and the ledger check ------------------------------------------------------


def test_the_settle_command_settles_up_to_a_date_and_refuses_today(shop, profile, resident):
    pay(resident, shop, 10_000, at(DAY, 10))
    pay(resident, shop, 20_000, at(next_day(DAY), 10))
    out = io.StringIO()

    with time_machine.travel(at(DAY + timedelta(days=3), 9), tick=False):
        call_command("settle", "--date", DAY.isoformat(), stdout=out)
        with pytest.raises(CommandError):
            call_command("settle", "--date", (DAY + timedelta(days=3)).isoformat())

    assert list(Settlement.objects.values_list("business_date", flat=True)) == [DAY]
    assert "paid 1" in out.getvalue()


def test_the_ledger_check_finds_an_owed_amount_the_receivable_does_not_hold(
    shop, profile, resident
):
    sale = pay(resident, shop, 10_000, at(DAY, 10))
    run(at(next_day(DAY), 1))
    refund(sale, None, at(next_day(DAY), 9))
    assert ledger_check() == []

    PayoutProfile.objects.filter(pk=profile.pk).update(owed_minor=9_000)
    problems = [str(problem) for problem in ledger_check()]
    PayoutProfile.objects.filter(pk=profile.pk).update(owed_minor=10_000)

    assert problems == ["[receivable] CNY receivable is at -10000 but payees owe 9000"]
