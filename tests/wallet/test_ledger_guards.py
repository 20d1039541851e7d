"""The ledger's guards hold even against code that bypasses the services."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext

from tests.wallet.conftest import PIN, balance_of, fund, make_resident, shop_account
from wallet.errors import InsufficientFunds
from wallet.models import Account, JournalTransaction, Payment, Posting
from wallet.services import ledger, payments
from wallet.services.accounts import wallet_account
from wallet.services.audit import ledger_check


@pytest.mark.django_db
def test_unbalanced_legs_are_refused_in_code():
    user = make_resident()
    with pytest.raises(ledger.UnbalancedTransaction), transaction.atomic():
        ledger.post(
            kind="correction",
            legs=[ledger.Leg(wallet_account(user), 100), ledger.Leg(shop_account(), -99)],
            description="off by one",
        )
    with pytest.raises(ledger.UnbalancedTransaction), transaction.atomic():
        ledger.post(
            kind="correction",
            legs=[
                ledger.Leg(wallet_account(user, "CNY"), 100),
                ledger.Leg(wallet_account(user, "HKD"), -100),
            ],
            description="two currencies",
        )


@pytest.mark.django_db
def test_posting_outside_a_transaction_is_a_programming_error(django_db_blocker):
    user = make_resident()
    from django.db import connection

    # Inside the test's own atomic block we are "in a transaction"; fake its absence.
    original = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError):
            ledger.post(kind="topup", legs=[ledger.Leg(wallet_account(user), 1)], description="x")
    finally:
        connection.in_atomic_block = original


@pytest.mark.django_db
def test_customer_wallet_cannot_go_negative_even_by_sql():
    user = make_resident()
    account = wallet_account(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance_minor=-1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_refuses_an_unbalanced_transaction_at_commit():
    user = make_resident()
    account = wallet_account(user)
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        journal = JournalTransaction.objects.create(kind="correction", description="bypass")
        Posting.objects.create(
            transaction=journal, account=account, amount_minor=500, currency="CNY"
        )
    assert not JournalTransaction.objects.filter(description="bypass").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postings_and_transactions_are_append_only():
    user = make_resident()
    fund(user, 1_000)
    posting = Posting.objects.first()
    with pytest.raises((InternalError, DatabaseError), match="append-only"), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).update(amount_minor=2_000)
    with pytest.raises((InternalError, DatabaseError), match="append-only"), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).delete()
    with pytest.raises((InternalError, DatabaseError), match="append-only"), transaction.atomic():
        JournalTransaction.objects.filter(pk=posting.transaction_id).update(description="changed")
    assert ledger_check() == []


@pytest.mark.django_db
def test_ledger_check_finds_a_tampered_balance_and_the_command_exits_1(capsys):
    user = make_resident()
    fund(user, 1_000)
    account = wallet_account(user)
    Account.objects.filter(pk=account.pk).update(balance_minor=5_000)
    problems = ledger_check()
    assert any(p.check == "balance" for p in problems)
    try:
        with pytest.raises(CommandError) as failure:
            call_command("ledger_check")
        assert failure.value.returncode == 1
        assert "caches 5000" in capsys.readouterr().err
    finally:
        Account.objects.filter(pk=account.pk).update(balance_minor=1_000)
    call_command("ledger_check")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_ledger_check_reads_one_snapshot_while_payments_commit(monkeypatch):
    """The daily check runs under live traffic: a payment committed between its reads of
    the postings and of the balances is no discrepancy."""
    from wallet.services import audit

    resident = make_resident()
    fund(resident, 10_000)
    shop = shop_account()

    def pay_in_another_session() -> None:
        try:
            payments.payment_create(
                payer=resident, payee=shop, amount_minor=300, description="x", pin=PIN
            )
        finally:
            connection.close()

    real_shards = audit.AccountShard

    class ShardsReadAfterAPayment:
        class objects:  # stands in for the manager of the same name
            @staticmethod
            def values(*fields):
                paying = threading.Thread(target=pay_in_another_session)
                paying.start()
                paying.join()
                return real_shards.objects.values(*fields)

    monkeypatch.setattr(audit, "AccountShard", ShardsReadAfterAPayment)
    assert [str(problem) for problem in ledger_check()] == []
    monkeypatch.undo()
    assert balance_of(shop) == 300 and ledger_check() == []


@pytest.mark.django_db
def test_ledger_check_finds_inconsistent_holds():
    user = make_resident()
    fund(user, 1_000)
    account = wallet_account(user)
    Account.objects.filter(pk=account.pk).update(held_minor=300)
    assert any(p.check == "holds" for p in ledger_check())
    Account.objects.filter(pk=account.pk).update(held_minor=0)


@pytest.mark.django_db
def test_daily_ledger_check_task_tells_operators(settings):
    from core.models import Notification
    from tests.factories import UserFactory
    from wallet.tasks import daily_ledger_check

    operator = UserFactory(is_staff=True)
    assert daily_ledger_check.delay().get() == 0
    user = make_resident()
    fund(user, 1_000)
    Account.objects.filter(pk=wallet_account(user).pk).update(balance_minor=7)
    assert daily_ledger_check.delay().get() >= 1
    assert Notification.objects.filter(user=operator, kind="ledger_check_failed").exists()
    Account.objects.filter(pk=wallet_account(user).pk).update(balance_minor=1_000)


@pytest.mark.django_db
@pytest.mark.postgres
def test_on_postgresql_a_payment_moves_money_in_one_call(settings):
    """The PostgreSQL path: every write of a payment happens inside ``wallet_pay``."""
    settings.WALLET_PAY_IN_DATABASE = True
    resident = make_resident()
    fund(resident, 10_000)
    shop = shop_account(ref="shop:none")
    with CaptureQueriesContext(connection) as queries:
        result = payments.payment_create(
            payer=resident, payee=shop, amount_minor=300, description="x", pin=PIN
        )
    # (The test's own transaction turns the payment's into a savepoint.)
    statements = [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    assert sum("wallet_pay(" in sql for sql in statements) == 1
    writes = [sql for sql in statements if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes == []
    # The profile (for the PIN), the PIN lock's second look after the hash, the payment.
    assert len(statements) <= 3
    assert result.payment.pk == Payment.objects.get().pk
    assert result.payment.transaction.created_at == Payment.objects.get().created_at
    assert balance_of(shop) == 300


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_any_transaction_a_payment_is_one_statement_and_all_or_nothing(settings):
    """In autocommit, ``wallet_pay`` is its own transaction: no BEGIN or COMMIT is sent, and
    a refusal raised half-way through the function (after the profile's activity mark)
    leaves nothing behind."""
    settings.WALLET_PAY_IN_DATABASE = True
    resident = make_resident()
    fund(resident, 1_000)
    shop = shop_account(ref="shop:none")
    profile = resident.wallet_profile
    profile.refresh_from_db()
    active_before = profile.last_activity_at
    with CaptureQueriesContext(connection) as queries:
        result = payments.payment_create(
            payer=resident, payee=shop, amount_minor=300, description="x", pin=PIN
        )
    statements = [query["sql"] for query in queries.captured_queries]
    # What follows the call is the notices' delivery, woken after commit (eager in tests).
    paid_at = next(n for n, sql in enumerate(statements) if "wallet_pay(" in sql)
    # The profile (for the PIN), the PIN lock's second look after the hash, the payment.
    assert paid_at == 2, statements
    assert all("wallet_walletprofile" in sql for sql in statements[:2])
    assert statements[paid_at + 1 : paid_at + 2] != ["COMMIT"]
    assert result.balance.balance_minor == 700
    assert balance_of(shop) == 300

    profile.refresh_from_db()
    active_after_payment = profile.last_activity_at
    assert active_after_payment != active_before
    with pytest.raises(InsufficientFunds):
        payments.payment_create(
            payer=resident, payee=shop, amount_minor=701, description="too much", pin=PIN
        )
    profile.refresh_from_db()
    assert profile.last_activity_at == active_after_payment
    assert Payment.objects.count() == 1
    assert JournalTransaction.objects.filter(description="too much").count() == 0
    assert balance_of(shop) == 300
