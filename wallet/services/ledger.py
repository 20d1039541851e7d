"""Posting engine: the only code that changes balances.

Lock order, the same everywhere so that no two transactions wait on each other in a cycle:

1. the business entity of the operation (a hold, a payment, a top-up, a quote), by its caller,
   and that row only (``of=("self",)``): a join in the locking query would lock account rows
   out of order;
2. account rows, in primary-key order;
3. shard rows of hot accounts, in (account, slot) order.

Balance checks are conditions of the ``UPDATE`` that moves the money, so two debits can
never both pass a check made before either wrote.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from wallet.errors import AccountUnavailable, InsufficientFunds
from wallet.models import Account, AccountShard, JournalTransaction, Posting


@dataclass(frozen=True)
class Leg:
    account: Account
    amount_minor: int


@dataclass(frozen=True)
class Balance:
    account_id: int
    currency: str
    balance_minor: int
    held_minor: int

    @property
    def available_minor(self) -> int:
        return self.balance_minor - self.held_minor

    @classmethod
    def of(cls, account: Account) -> Balance:
        """The balance of a row just read; hot accounts need ``account_balance`` instead."""
        if account.is_hot:
            raise ValueError("a hot account's balance includes its shards")
        return cls(account.pk, account.currency, account.balance_minor, account.held_minor)


@dataclass(frozen=True)
class Posted:
    transaction: JournalTransaction
    balances: dict[int, Balance]

    def balance_of(self, account: Account) -> Balance:
        """The account's new balance; a hot account credited through a shard is read whole."""
        return self.balances.get(account.pk) or account_balance(account)


class UnbalancedTransaction(ValueError):
    """A programming error: legs that do not sum to zero per currency."""


def require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("ledger writes must run inside transaction.atomic()")


def _check_balanced(legs: Sequence[Leg]) -> None:
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        if not isinstance(leg.amount_minor, int) or isinstance(leg.amount_minor, bool):
            raise UnbalancedTransaction("amounts are ints of minor units")
        if leg.amount_minor == 0:
            raise UnbalancedTransaction("a leg of zero")
        totals[leg.account.currency] += leg.amount_minor
    if not legs or any(totals.values()):
        raise UnbalancedTransaction(f"legs do not sum to zero: {dict(totals)}")


_UPDATE_ACCOUNT = """
    UPDATE wallet_account
       SET balance_minor = balance_minor + %(delta)s, held_minor = held_minor + %(held)s
     WHERE id = %(id)s
       AND status <> 'closed'
       AND ((%(delta)s >= 0 AND %(held)s <= 0) OR %(force)s OR status = 'active')
       AND (allow_negative OR (
            balance_minor + %(delta)s >= 0
            AND held_minor + %(held)s >= 0
            AND balance_minor + %(delta)s >= held_minor + %(held)s))
 RETURNING balance_minor, held_minor
"""


def change_account(
    account: Account, *, delta_minor: int = 0, held_delta_minor: int = 0, force: bool = False
) -> Balance:
    """Apply a balance and held change to one non-hot account row, or refuse.

    The row stays locked until the surrounding transaction ends. A debit (or a new hold)
    needs the account active and enough available money; ``force`` lets an approved
    correction debit a frozen account.
    """
    require_transaction()
    with connection.cursor() as cursor:
        cursor.execute(
            _UPDATE_ACCOUNT,
            {"delta": delta_minor, "held": held_delta_minor, "id": account.pk, "force": force},
        )
        row = cursor.fetchone()
    if row is None:
        status = Account.objects.filter(pk=account.pk).values_list("status", flat=True).first()
        if status != Account.Status.ACTIVE and not (force and status == Account.Status.FROZEN):
            raise AccountUnavailable()
        raise InsufficientFunds()
    return Balance(account.pk, account.currency, int(row[0]), int(row[1]))


def _lock_hot_account(account: Account) -> None:
    # NO KEY UPDATE: concurrent credits insert postings that reference this row, and their
    # foreign-key checks take KEY SHARE locks, which a plain FOR UPDATE would block while
    # we wait for their shards: a deadlock.
    Account.objects.select_for_update(no_key=True).filter(pk=account.pk).values_list("pk").first()


def _sweep_shards(account: Account) -> None:
    """Move a hot account's shard balances into its main row (row and shards locked)."""
    shards = list(
        AccountShard.objects.select_for_update()
        .filter(account_id=account.pk)
        .order_by("slot")
        .values_list("pk", "balance_minor")
    )
    swept = sum(balance for _pk, balance in shards)
    if swept:
        AccountShard.objects.filter(pk__in=[pk for pk, balance in shards if balance]).update(
            balance_minor=0
        )
        change_account(account, delta_minor=swept)


def _credit_shard(account: Account, amount_minor: int) -> None:
    slot = random.randrange(account.shard_count)
    updated = AccountShard.objects.filter(account_id=account.pk, slot=slot).update(
        balance_minor=F("balance_minor") + amount_minor
    )
    if updated != 1:
        raise RuntimeError(f"hot account {account.pk} has no shard {slot}")


def post(
    *,
    kind: str,
    legs: Iterable[Leg],
    description: str,
    metadata: dict[str, Any] | None = None,
    parent: JournalTransaction | None = None,
    reference: str | None = None,
    created_by_id: int | None = None,
    held_changes: dict[int, int] | None = None,
    force: bool = False,
) -> Posted:
    """Post a balanced journal transaction and update the cached balances with it.

    ``held_changes`` maps account ids to a change of their held amount made in the same
    row update (a capture releases what it takes from a hold). Requires an open
    transaction; takes account row locks in primary-key order, then hot-account shards.
    Returns the new balance of every non-hot account it touched.
    """
    require_transaction()
    legs = list(legs)
    _check_balanced(legs)
    accounts: dict[int, Account] = {}
    deltas: dict[int, int] = defaultdict(int)
    for leg in legs:
        accounts[leg.account.pk] = leg.account
        deltas[leg.account.pk] += leg.amount_minor
    held = dict(held_changes or {})
    if set(held) - set(accounts):
        raise ValueError("held changes only on accounts of this transaction")

    balances: dict[int, Balance] = {}
    hot: list[Account] = []
    for account_id in sorted(accounts):
        account = accounts[account_id]
        if account.is_hot:
            if deltas[account_id] < 0 or held.get(account_id):
                _lock_hot_account(account)
            hot.append(account)
            continue
        balances[account_id] = change_account(
            account,
            delta_minor=deltas[account_id],
            held_delta_minor=held.get(account_id, 0),
            force=force,
        )
    for account in hot:
        delta = deltas[account.pk]
        if delta < 0 or held.get(account.pk):
            _sweep_shards(account)
            balances[account.pk] = change_account(
                account, delta_minor=delta, held_delta_minor=held.get(account.pk, 0), force=force
            )
        elif delta > 0:
            _credit_shard(account, delta)

    journal = JournalTransaction.objects.create(
        kind=kind,
        description=description[:200],
        metadata=metadata or {},
        parent=parent,
        reference=reference,
        created_by_id=created_by_id,
    )
    Posting.objects.bulk_create(
        Posting(
            transaction=journal,
            account_id=leg.account.pk,
            amount_minor=leg.amount_minor,
            currency=leg.account.currency,
        )
        for leg in legs
    )
    return Posted(journal, balances)


def lock_balances(accounts: Iterable[Account]) -> dict[int, Balance]:
    """Lock accounts (primary-key order, then hot accounts' shards swept into their rows) and
    return their balances, for a debit whose size depends on what an account holds (a
    settlement pays out at most its account's available money). A later ``post`` on these
    accounts in the same transaction takes the same locks again without waiting."""
    require_transaction()
    by_pk = {account.pk: account for account in accounts}
    rows = {
        pk: (balance, held)
        for pk, balance, held in Account.objects.select_for_update(no_key=True)
        .filter(pk__in=list(by_pk))
        .order_by("pk")
        .values_list("pk", "balance_minor", "held_minor")
    }
    balances: dict[int, Balance] = {}
    for pk in sorted(by_pk):
        account = by_pk[pk]
        if account.is_hot:
            _sweep_shards(account)
            balances[pk] = account_balance(account)
        else:
            balance, held = rows[pk]
            balances[pk] = Balance(pk, account.currency, balance, held)
    return balances


def account_balance(account: Account) -> Balance:
    """The current balance of any account, hot ones included (shards summed)."""
    account.refresh_from_db(fields=["balance_minor", "held_minor"])
    extra = 0
    if account.is_hot:
        extra = sum(
            AccountShard.objects.filter(account_id=account.pk).values_list(
                "balance_minor", flat=True
            )
        )
    return Balance(account.pk, account.currency, account.balance_minor + extra, account.held_minor)


@transaction.atomic
def make_hot(account: Account, shards: int = 16) -> Account:
    """Spread an account's future credits over ``shards`` rows (busy shops, collections)."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    existing = set(locked.shards.values_list("slot", flat=True))
    AccountShard.objects.bulk_create(
        AccountShard(account=locked, slot=slot) for slot in range(shards) if slot not in existing
    )
    locked.shard_count = max(shards, locked.shard_count)
    locked.save(update_fields=["shard_count"])
    return locked
