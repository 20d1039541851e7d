"""The bank's daily statement against our books: a clean day, each kind of difference
planted and found, the file's hash, day boundaries, the operators told, reruns, the
command and the operators' pages.

Money moves on DAY (a past day) through the sandbox bank; the reconciliation runs later.
Settlement payouts are booked the way ``wallet/models/settlement.py`` describes (one
journal transaction ``settlement:<id>`` with the payout leg on bank clearing, the payout
sent to the bank as ``settlement:<id>:<attempt>``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Notification
from tests.factories import UserFactory
from tests.wallet.conftest import PIN, fund, make_resident, sandbox_card, shop_account
from wallet.errors import BankUnavailable
from wallet.gateways import GatewayTimeout, Outcome, StatementFile, get_gateway
from wallet.gateways.sandbox import SandboxBank, inject_fault
from wallet.models import (
    Account,
    BankStatement,
    JournalTransaction,
    PayoutProfile,
    Reconciliation,
    SandboxCard,
    SandboxFault,
    SandboxStatementLine,
    Settlement,
    TopUp,
    Withdrawal,
)
from wallet.services import bank, ledger
from wallet.services.accounts import system_account, wallet_account
from wallet.services.reconciliation import DayNotOver, reconcile, statement_fetch
from wallet.tasks import reconcile_previous_day

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)
NEXT_DAY = DAY + timedelta(days=1)
Status = Reconciliation.Status


@contextmanager
def at(day: date, hour: int = 10, minute: int = 0, second: int = 0) -> Iterator[None]:
    with time_machine.travel(
        datetime.combine(day, time(hour, minute, second), tzinfo=SHANGHAI), tick=False
    ):
        yield


@pytest.fixture
def resident():
    user = make_resident()
    bank_card = sandbox_card(balance=1_000_000)
    card = bank.card_bind(
        user=user,
        number=bank_card.number,
        holder_name="王芳",
        expiry_month=bank_card.expiry_month,
        expiry_year=bank_card.expiry_year,
    )
    return user, card


@pytest.fixture
def operators():
    return [
        UserFactory(is_staff=True, role="operator", preferred_language="en"),
        UserFactory(is_staff=True, role="operator"),
    ]


def top_up(resident, amount: int) -> TopUp:
    user, card = resident
    return bank.topup_create(user=user, card=card, amount_minor=amount).topup


def withdraw(resident, amount: int) -> Withdrawal:
    user, card = resident
    return bank.withdrawal_create(user=user, card=card, amount_minor=amount, pin=PIN).withdrawal


def settle(
    payout: int, *, bank_amount: int | None = None, ledger_amount: int | None = None
) -> Settlement:
    """A shop's day of sales booked and paid out to its card, as the settlement engine does."""
    ledger_amount = payout if ledger_amount is None else ledger_amount
    payer = make_resident(real_name="李四", phone="+8613912340001")
    fund(payer, ledger_amount)
    shop = shop_account()
    payout_card = sandbox_card(holder="鲜果超市", number="6222020200000000014", balance=0)
    token = (
        get_gateway()
        .tokenize(
            number=payout_card.number,
            holder_name="鲜果超市",
            expiry_month=payout_card.expiry_month,
            expiry_year=payout_card.expiry_year,
        )
        .token
    )
    profile = PayoutProfile.objects.create(
        account=shop,
        label="鲜果超市",
        card_token=token,
        bank_name=payout_card.bank_name,
        last4="0014",
        holder_name="鲜果超市",
    )
    clearing = system_account(Account.SystemCode.BANK_CLEARING, "CNY")
    with transaction.atomic():
        ledger.post(
            kind=JournalTransaction.Kind.PAYMENT,
            legs=[
                ledger.Leg(wallet_account(payer), -ledger_amount),
                ledger.Leg(shop, ledger_amount),
            ],
            description="水果",
        )
        settlement = Settlement.objects.create(
            profile=profile,
            account=shop,
            business_date=DAY - timedelta(days=1),
            currency="CNY",
            status=Settlement.Status.BOOKED,
            payments_minor=ledger_amount,
            payout_minor=payout,
            attempts=1,
        )
        booked = ledger.post(
            kind=JournalTransaction.Kind.WITHDRAWAL,
            legs=[ledger.Leg(shop, -ledger_amount), ledger.Leg(clearing, ledger_amount)],
            description="settlement payout",
            reference=f"settlement:{settlement.pk}",
        )
        settlement.payout_reference = f"settlement:{settlement.pk}:1"
        settlement.booked_transaction = booked.transaction
        settlement.booked_at = timezone.now()
        settlement.save()
    outcome = get_gateway().payout(
        token=token,
        amount_minor=payout if bank_amount is None else bank_amount,
        currency="CNY",
        reference=settlement.payout_reference,
    )
    Settlement.objects.filter(pk=settlement.pk).update(
        status=Settlement.Status.PAID, bank_reference=outcome.bank_reference, paid_at=timezone.now()
    )
    settlement.refresh_from_db()
    return settlement


def issues(run: Reconciliation) -> list[tuple[str, str, int | None, int | None, str]]:
    return [
        (
            issue.kind,
            issue.reference,
            issue.bank_amount_minor,
            issue.books_amount_minor,
            issue.detail,
        )
        for issue in run.issues.all()
    ]


# --- the file -----------------------------------------------------------------------------


def test_the_bank_publishes_the_days_lines_as_csv_with_their_sha256(resident, settings, tmp_path):
    with at(DAY, 9):
        first = top_up(resident, 10_000)
    with at(DAY, 23, 59, 59):
        second = withdraw(resident, 2_500)
    with at(NEXT_DAY, 0, 0, 1):
        top_up(resident, 700)  # the next day's statement
    settings.BANK_STATEMENT_DIR = str(tmp_path)

    statement = SandboxBank().daily_statement(day=DAY)

    assert statement.filename == "statement-2026-11-20.csv"
    assert statement.sha256 == hashlib.sha256(statement.content.encode()).hexdigest()
    rows = [row.split(",") for row in statement.content.splitlines()]
    assert rows[0] == [
        "bank_reference",
        "kind",
        "our_reference",
        "amount_minor",
        "currency",
        "card_last4",
        "booked_at",
    ]
    assert [row[1:6] for row in rows[1:]] == [
        ["charge", f"topup-{first.pk}", "10000", "CNY", "0006"],
        ["payout", f"withdrawal-{second.pk}", "2500", "CNY", "0006"],
    ]
    assert rows[1][0] == TopUp.objects.get(pk=first.pk).bank_reference
    assert rows[2][6] == "2026-11-20T23:59:59+08:00"
    assert (tmp_path / statement.filename).read_bytes() == statement.content.encode()
    assert (tmp_path / "statement-2026-11-20.csv.sha256").read_text() == (
        f"{statement.sha256}  statement-2026-11-20.csv\n"
    )


def test_the_statement_is_fetched_and_kept_once_per_day(resident):
    with at(DAY):
        top_up(resident, 10_000)
    first = statement_fetch(day=DAY)
    # The bank's book changes after the fact; the kept copy is the one that was published.
    SandboxStatementLine.objects.update(amount_minor=-1)
    again = statement_fetch(day=DAY)
    assert (again.pk, again.content, again.line_count) == (first.pk, first.content, 1)
    assert BankStatement.objects.count() == 1


class TamperedBank(SandboxBank):
    """Someone changed the file on the way; the published hash is the bank's own."""

    def daily_statement(self, *, day: date) -> StatementFile:
        honest = super().daily_statement(day=day)
        return StatementFile(
            honest.filename, honest.content.replace("10000", "90000"), honest.sha256
        )


def test_a_tampered_file_fails_the_day_with_bad_file_and_matches_nothing(
    resident, operators, settings
):
    with at(DAY):
        top_up(resident, 10_000)
    settings.WALLET_GATEWAY = "tests.wallet.test_reconciliation.TamperedBank"

    run = reconcile(day=DAY)

    assert (run.status, run.matched_count, run.statement) == (Status.FAILED, 0, None)
    assert issues(run) == [("bad_file", "statement-2026-11-20.csv", None, None, "hash_mismatch")]
    assert not BankStatement.objects.exists()  # not kept: the next run asks again
    told = Notification.objects.filter(kind="reconciliation_failed")
    assert sorted(told.values_list("user_id", flat=True)) == [op.pk for op in operators]
    assert told.get(user=operators[0]).title == "The bank statement of 2026-11-20 is unusable"

    settings.WALLET_GATEWAY = "wallet.gateways.sandbox.SandboxBank"
    assert reconcile(day=DAY).status == Status.CLEAN


def test_a_kept_statement_changed_in_our_database_fails_the_day(resident):
    with at(DAY):
        top_up(resident, 10_000)
    statement = statement_fetch(day=DAY)
    BankStatement.objects.filter(pk=statement.pk).update(
        content=statement.content.replace("10000", "1")
    )
    run = reconcile(day=DAY)
    assert run.status == Status.FAILED
    assert issues(run)[0][4] == "stored_copy_changed"


class SilentBank(SandboxBank):
    def daily_statement(self, *, day: date) -> StatementFile:
        raise GatewayTimeout("no statement today")


def test_no_answer_from_the_bank_records_nothing_and_can_be_retried(settings):
    settings.WALLET_GATEWAY = "tests.wallet.test_reconciliation.SilentBank"
    with pytest.raises(BankUnavailable):
        reconcile(day=DAY)
    assert not Reconciliation.objects.exists()


def test_a_day_is_reconciled_only_once_it_is_over():
    with at(DAY, 23, 59), pytest.raises(DayNotOver):
        reconcile(day=DAY)
    with at(DAY, 23, 59), pytest.raises(DayNotOver):
        statement_fetch(day=DAY)  # the bank's statement of a day still running is not final
    assert not BankStatement.objects.exists()


# --- a clean day --------------------------------------------------------------------------


def test_a_clean_day_matches_every_line_and_the_three_totals_agree(resident, operators):
    with at(DAY, 9):
        top_up(resident, 10_000)
        top_up(resident, 5_000)
        withdraw(resident, 3_000)
        settlement = settle(8_800)
    # A top-up the bank never received: cancelled at the bank, declined in our books.
    inject_fault("charge", SandboxFault.Mode.TIMEOUT_BEFORE)
    with at(DAY, 11):
        lost = top_up(resident, 4_000)
    with at(DAY, 11, 15):
        bank.resolve_pending()
    assert TopUp.objects.get(pk=lost.pk).status == TopUp.Status.DECLINED

    run = reconcile(day=DAY)

    assert issues(run) == []
    assert (run.status, run.matched_count, run.statement.line_count) == (Status.CLEAN, 5, 5)
    assert (run.ledger_total_minor, run.settlements_total_minor, run.bank_total_minor) == (
        8_800,
        8_800,
        8_800,
    )
    assert settlement.status == Settlement.Status.PAID
    assert not Notification.objects.filter(kind__startswith="reconciliation").exists()


def test_the_settlement_engines_declined_then_retried_payout_reconciles_clean():
    from wallet.services.settlement import payout_profile_register, settle_due

    payer = make_resident(real_name="李四", phone="+8613912340001")
    fund(payer, 20_000)
    shop = shop_account()
    payout_card = sandbox_card(holder="鲜果超市", number="6222020200000000014", balance=0)
    token = (
        get_gateway()
        .tokenize(
            number=payout_card.number,
            holder_name="鲜果超市",
            expiry_month=payout_card.expiry_month,
            expiry_year=payout_card.expiry_year,
        )
        .token
    )
    payout_profile_register(
        account=shop,
        label="鲜果超市",
        card_token=token,
        bank_name=payout_card.bank_name,
        last4="0014",
        holder_name="鲜果超市",
        fee_bps=60,
    )
    with at(DAY - timedelta(days=1)), transaction.atomic():
        ledger.post(
            kind=JournalTransaction.Kind.PAYMENT,
            legs=[ledger.Leg(wallet_account(payer), -20_000), ledger.Leg(shop, 20_000)],
            description="水果",
        )
    SandboxCard.objects.filter(pk=payout_card.pk).update(status="blacklisted")
    with at(DAY, 1):
        settle_due()  # booked, declined by the bank, the payout given back
    settlement = Settlement.objects.get()
    assert settlement.status == Settlement.Status.RETRYING
    SandboxCard.objects.filter(pk=payout_card.pk).update(status="ok")
    with at(DAY, 2, 30):
        settle_due()  # attempt 2 booked and paid
    settlement.refresh_from_db()
    assert (settlement.status, settlement.attempts) == (Settlement.Status.PAID, 2)

    run = reconcile(day=DAY)

    assert issues(run) == []
    assert (run.ledger_total_minor, run.settlements_total_minor, run.bank_total_minor) == (
        settlement.payout_minor,
        settlement.payout_minor,
        settlement.payout_minor,
    )
    assert settlement.payout_minor == 20_000 - 120


def test_a_top_up_the_bank_booked_before_midnight_and_we_resolved_after_matches(resident):
    inject_fault("charge", SandboxFault.Mode.TIMEOUT_AFTER)
    with at(DAY, 23, 59, 50):
        topup = top_up(resident, 10_000)
    with at(NEXT_DAY, 0, 0, 30):
        bank.resolve_pending()
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.SUCCEEDED
    assert timezone.localtime(topup.resolved_at, SHANGHAI).date() == NEXT_DAY

    assert reconcile(day=DAY).status == Status.CLEAN  # the bank's line, our succeeded record
    assert reconcile(day=NEXT_DAY).status == Status.CLEAN  # found on the day before's statement


# --- planted differences ------------------------------------------------------------------


def test_a_bank_line_we_never_recorded_is_missing_in_books(resident):
    _user, card = resident
    with at(DAY):
        top_up(resident, 10_000)
        get_gateway().charge(
            token=card.token, amount_minor=6_600, currency="CNY", reference="topup-999999"
        )
    run = reconcile(day=DAY)
    assert run.status == Status.DISCREPANCIES
    assert (run.matched_count, issues(run)) == (
        1,
        [("missing_in_books", "topup-999999", 6_600, None, "unknown_reference")],
    )


def test_an_amount_changed_at_the_bank_is_an_amount_mismatch(resident):
    with at(DAY):
        topup = top_up(resident, 10_000)
    SandboxStatementLine.objects.filter(reference=topup.gateway_reference).update(
        amount_minor=-10_100
    )
    assert issues(reconcile(day=DAY)) == [
        ("amount_mismatch", topup.gateway_reference, 10_100, 10_000, "amount_differs")
    ]


def test_our_succeeded_top_up_that_no_bank_line_has_is_missing_at_bank(resident):
    inject_fault("charge", SandboxFault.Mode.TIMEOUT_BEFORE)
    with at(DAY):
        topup = top_up(resident, 10_000)
        # A forged "succeeded" answer: our books credit money the bank never took.
        bank.topup_settle(topup_id=topup.pk, outcome=Outcome("succeeded", "bnk_forged"))
    assert issues(reconcile(day=DAY)) == [
        ("missing_at_bank", topup.gateway_reference, None, 10_000, "not_at_bank")
    ]


def test_a_withdrawal_returned_in_our_books_but_paid_by_the_bank_is_missing_in_books(resident):
    with at(DAY, 9):
        top_up(resident, 10_000)
    inject_fault("payout", SandboxFault.Mode.TIMEOUT_AFTER)
    with at(DAY, 10):
        withdrawal = withdraw(resident, 3_000)  # the bank paid; the answer was lost
        bank.withdrawal_settle(
            withdrawal_id=withdrawal.pk, outcome=Outcome("declined", decline_code="forged")
        )
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Withdrawal.Status.RETURNED
    assert issues(reconcile(day=DAY)) == [
        ("missing_in_books", withdrawal.gateway_reference, 3_000, None, "failed_in_books")
    ]


def test_a_top_up_still_pending_in_our_books_is_a_status_mismatch(resident):
    inject_fault("charge", SandboxFault.Mode.TIMEOUT_AFTER)
    with at(DAY):
        topup = top_up(resident, 10_000)
    assert issues(reconcile(day=DAY)) == [
        ("status_mismatch", topup.gateway_reference, 10_000, 10_000, "pending_in_books")
    ]
    with at(NEXT_DAY, 6):
        bank.resolve_pending()
    assert reconcile(day=DAY).status == Status.CLEAN  # the rerun sees the books caught up


def test_a_settlement_paid_out_with_another_amount_is_found_and_the_totals_differ():
    with at(DAY):
        settlement = settle(8_800, bank_amount=8_000)
    run = reconcile(day=DAY)
    assert (run.ledger_total_minor, run.settlements_total_minor, run.bank_total_minor) == (
        8_800,
        8_800,
        8_000,
    )
    assert issues(run) == [
        ("amount_mismatch", settlement.payout_reference, 8_000, 8_800, "amount_differs"),
        ("totals_differ", "CNY", 8_000, 8_800, "ledger_total_differs"),
        ("totals_differ", "CNY", 8_000, 8_800, "settlements_total_differs"),
    ]


def test_a_ledger_that_disagrees_with_the_settlement_shows_in_the_totals():
    with at(DAY):
        settle(8_800, ledger_amount=9_000)
    run = reconcile(day=DAY)
    assert (run.ledger_total_minor, run.settlements_total_minor, run.bank_total_minor) == (
        9_000,
        8_800,
        8_800,
    )
    assert issues(run) == [("totals_differ", "CNY", 8_800, 9_000, "ledger_total_differs")]


def test_an_earlier_payout_attempt_the_bank_paid_after_all_is_missing_in_books():
    with at(DAY):
        settlement = settle(8_800)
        first_reference = settlement.payout_reference
        # Our books took attempt 1 as declined (reversed) and paid attempt 2: paid twice.
        settlement.attempts, settlement.payout_reference = 2, f"settlement:{settlement.pk}:2"
        outcome = get_gateway().payout(
            token=settlement.profile.card_token,
            amount_minor=8_800,
            currency="CNY",
            reference=settlement.payout_reference,
        )
        settlement.bank_reference = outcome.bank_reference
        settlement.save()
    run = reconcile(day=DAY)
    assert (run.ledger_total_minor, run.settlements_total_minor, run.bank_total_minor) == (
        8_800,
        8_800,
        17_600,
    )
    assert issues(run) == [
        ("missing_in_books", first_reference, 8_800, None, "earlier_attempt_paid"),
        ("totals_differ", "CNY", 17_600, 8_800, "ledger_total_differs"),
        ("totals_differ", "CNY", 17_600, 8_800, "settlements_total_differs"),
    ]


def test_a_paid_settlement_the_bank_never_paid_is_missing_at_bank():
    with at(DAY):
        settlement = settle(8_800)
    SandboxStatementLine.objects.filter(reference=settlement.payout_reference).delete()
    run = reconcile(day=DAY)
    assert (run.ledger_total_minor, run.settlements_total_minor, run.bank_total_minor) == (
        8_800,
        8_800,
        0,
    )
    assert issues(run) == [
        ("missing_at_bank", settlement.payout_reference, None, 8_800, "not_at_bank"),
        ("totals_differ", "CNY", 0, 8_800, "ledger_total_differs"),
        ("totals_differ", "CNY", 0, 8_800, "settlements_total_differs"),
    ]


# --- telling operators, reruns, the task and the command -------------------------------------


def test_every_operator_is_told_once_about_the_same_findings(resident, operators):
    resident_user, card = resident
    with at(DAY):
        get_gateway().charge(
            token=card.token, amount_minor=6_600, currency="CNY", reference="topup-999999"
        )
    first = reconcile(day=DAY)
    told = Notification.objects.filter(kind="reconciliation_discrepancies")
    assert sorted(told.values_list("user_id", flat=True)) == [op.pk for op in operators]
    english = told.get(user=operators[0])
    assert english.title == "Reconciliation of 2026-11-20: 1 difference with the bank"
    assert "topup-999999: We have no record of this reference." in english.body
    assert english.url == reverse("wallet-reconciliation", args=[first.pk])
    assert not Notification.objects.filter(user=resident_user, kind__startswith="recon").exists()

    second = reconcile(day=DAY)  # a retried task: same findings, nobody told again
    assert second.pk != first.pk and issues(second) == issues(first)
    assert told.count() == 2


def test_a_rerun_adds_a_run_and_the_latest_is_the_days_result(resident):
    from wallet.selectors_reconciliation import latest_runs

    with at(DAY):
        topup = top_up(resident, 10_000)
    SandboxStatementLine.objects.filter(reference=topup.gateway_reference).update(amount_minor=-1)
    first = reconcile(day=DAY)  # the statement is kept with the changed amount
    second = reconcile(day=DAY)
    assert issues(first) == issues(second)
    assert list(latest_runs()) == [second]
    assert BankStatement.objects.count() == 1


def test_the_daily_task_reconciles_yesterday(resident):
    with at(DAY):
        top_up(resident, 10_000)
    with at(NEXT_DAY, 6):
        assert reconcile_previous_day.delay().get() == Status.CLEAN
    assert Reconciliation.objects.get().business_date == DAY


def test_the_command_prints_the_totals_and_exits_1_on_issues(resident, capsys):
    with at(DAY):
        settle(8_800)
    call_command("reconcile", "--date", "2026-11-20")
    out = capsys.readouterr().out
    assert "2026-11-20" in out and "ledger ¥88.00, settlements ¥88.00, bank ¥88.00" in out

    _user, card = resident
    with at(DAY - timedelta(days=1)):
        get_gateway().charge(
            token=card.token, amount_minor=6_600, currency="CNY", reference="topup-999999"
        )
    with pytest.raises(CommandError) as failure:
        call_command("reconcile", "--date", "2026-11-19")
    assert failure.value.returncode == 1
    assert "[missing_in_books] topup-999999 bank=6600" in capsys.readouterr().err


# --- the operators' pages -------------------------------------------------------------------


def operator_client(client, operator):
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(operator)
    return client


def test_operators_read_every_day_and_a_days_issues(client, resident, operators):
    _user, card = resident
    with at(DAY):
        top_up(resident, 10_000)
        get_gateway().charge(
            token=card.token, amount_minor=6_600, currency="CNY", reference="topup-999999"
        )
    run = reconcile(day=DAY)
    operator_client(client, operators[0])

    page = client.get(reverse("wallet-reconciliations")).content.decode()
    assert f'data-reconciliation="{run.pk}" data-status="discrepancies"' in page
    detail = client.get(reverse("wallet-reconciliation", args=[run.pk])).content.decode()
    assert 'data-issue="missing_in_books"' in detail and "topup-999999" in detail
    assert "We have no record of this reference." in detail and "¥66.00" in detail

    rerun = client.post(reverse("wallet-reconciliation-rerun", args=[run.pk]), follow=True)
    latest = Reconciliation.objects.filter(business_date=DAY).latest("id")
    assert latest.pk != run.pk
    assert rerun.redirect_chain[-1][0] == reverse("wallet-reconciliation", args=[latest.pk])
    assert "Runs of this day" in rerun.content.decode()


@pytest.mark.parametrize("role", ["resident", "property_staff", "merchant_staff"])
def test_nobody_but_operators_sees_the_pages(client, role):
    run = reconcile(day=DAY)
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("wallet-reconciliations")).status_code == 404
    assert client.get(reverse("wallet-reconciliation", args=[run.pk])).status_code == 404
    assert client.post(reverse("wallet-reconciliation-rerun", args=[run.pk])).status_code == 404
    assert Reconciliation.objects.count() == 1


def test_the_list_page_costs_the_same_queries_for_one_day_or_many(client, operators):
    operator_client(client, operators[0])
    reconcile(day=DAY)
    client.get(reverse("wallet-reconciliations"))  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("wallet-reconciliations")).status_code == 200
    for back in range(1, 6):
        reconcile(day=DAY - timedelta(days=back))
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("wallet-reconciliations")).content.decode()
    assert page.count("data-reconciliation=") == 6
    assert len(many) == len(one)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_runs_of_one_day_at_once_keep_one_statement_and_agree(resident):
    from tests.concurrency.conftest import run_together

    with at(DAY):
        top_up(resident, 10_000)
    outcomes = run_together([lambda: reconcile(day=DAY).status for _ in range(4)])
    assert [(outcome.error, outcome.value) for outcome in outcomes] == [(None, Status.CLEAN)] * 4
    assert BankStatement.objects.count() == 1
    assert Reconciliation.objects.filter(business_date=DAY, status=Status.CLEAN).count() == 4
