"""The ledger check: recompute everything from postings and compare.

Run by ``manage.py ledger_check`` and daily by a Celery task; the tests run it after every
ledger test. It only reads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from wallet.models import (
    Account,
    AccountShard,
    Hold,
    JournalTransaction,
    PayoutProfile,
    Posting,
)


@dataclass(frozen=True)
class Discrepancy:
    check: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.detail}"


def ledger_check() -> list[Discrepancy]:
    """Everything that is wrong, read from one snapshot of the ledger.

    The daily run happens under live traffic: read statement by statement, a payment that
    committed between the postings' sums and the accounts' balances would show as a
    discrepancy that is not there and wake an operator for nothing.
    """
    if connection.in_atomic_block:
        return _check()  # the caller's transaction (a test's) is its snapshot
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _check()


def _check() -> list[Discrepancy]:
    problems: list[Discrepancy] = []

    posted = dict(
        Posting.objects.values("account_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("account_id", "total")
    )
    shards: dict[int, int] = dict(
        AccountShard.objects.values("account_id")
        .annotate(total=Sum("balance_minor"))
        .values_list("account_id", "total")
    )
    held_by_holds = dict(
        Hold.objects.filter(status=Hold.Status.ACTIVE)
        .values("account_id")
        .annotate(total=Sum("amount_minor") - Sum("captured_minor"))
        .values_list("account_id", "total")
    )
    per_currency: dict[str, int] = defaultdict(int)
    for account in Account.objects.order_by("pk").iterator():
        cached = account.balance_minor + shards.get(account.pk, 0)
        from_postings = posted.get(account.pk, 0) or 0
        per_currency[account.currency] += from_postings
        if cached != from_postings:
            problems.append(
                Discrepancy(
                    "balance",
                    f"account {account.pk} ({account}) caches {cached}, "
                    f"postings say {from_postings}",
                )
            )
        if not account.allow_negative and from_postings < 0:
            problems.append(
                Discrepancy("negative", f"account {account.pk} ({account}) is at {from_postings}")
            )
        expected_held = held_by_holds.get(account.pk, 0) or 0
        if account.held_minor != expected_held:
            problems.append(
                Discrepancy(
                    "holds",
                    f"account {account.pk} holds {account.held_minor}, active holds say "
                    f"{expected_held}",
                )
            )
        if not account.allow_negative and account.held_minor > cached:
            problems.append(
                Discrepancy("holds", f"account {account.pk} holds more than its balance")
            )

    for currency, total in sorted(per_currency.items()):
        if total != 0:
            problems.append(Discrepancy("currency", f"{currency} balances sum to {total}, not 0"))

    # Every fen the receivable account lent (refunds after payout) is owed by a payee.
    lent = dict(
        Posting.objects.filter(
            account__kind=Account.Kind.SYSTEM, account__system_code=Account.SystemCode.RECEIVABLE
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )
    owed = dict(
        PayoutProfile.objects.values("account__currency")
        .annotate(total=Sum("owed_minor"))
        .values_list("account__currency", "total")
    )
    for currency in sorted(set(lent) | set(owed)):
        if (lent.get(currency) or 0) != -(owed.get(currency) or 0):
            problems.append(
                Discrepancy(
                    "receivable",
                    f"{currency} receivable is at {lent.get(currency) or 0} but payees owe "
                    f"{owed.get(currency) or 0}",
                )
            )

    unbalanced = (
        Posting.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .filter(~Q(total=0))
        .order_by("transaction_id")[:50]
    )
    for row in unbalanced:
        problems.append(
            Discrepancy(
                "zero-sum",
                f"transaction {row['transaction_id']} is off by {row['total']} {row['currency']}",
            )
        )

    mismatched = Posting.objects.exclude(currency=F("account__currency")).values_list(
        "pk", flat=True
    )[:50]
    for posting_id in mismatched:
        problems.append(
            Discrepancy("currency", f"posting {posting_id} is not in its account's currency")
        )

    empty = (
        JournalTransaction.objects.annotate(legs=Count("postings"))
        .filter(legs__lt=2)
        .values_list("pk", flat=True)[:50]
    )
    for transaction_id in empty:
        problems.append(
            Discrepancy("zero-sum", f"transaction {transaction_id} has fewer than 2 legs")
        )
    return problems
