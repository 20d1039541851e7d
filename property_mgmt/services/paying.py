"""Residents paying property bills: one or several bills in one wallet payment.

Who may pay. Any confirmed member (``Household.Status.CONFIRMED``) of the bill's unit; a
bill of any other unit is 404, as if it did not exist. The bills of one payment belong to
one estate, because one estate has one payee: its billing company's collection account
(``billing_policy(estate).company`` -> ``collection_account(company)``, a hot account whose
credits spread over shards, so a neighbourhood paying at once does not queue on one row).

The money. Bills are ``OPEN`` or ``OVERDUE``; the payment is the sum of their
``total_minor`` (already whole fen: rounding happened once per line when the bill was made).
The PIN and limits are checked by ``authorise_debit`` before the transaction, because a
wrong PIN must commit on its own. Then one durable transaction (``execute``, with the
idempotency record) locks the bills in primary-key order, re-checks them, posts the payment
with ``payment_post`` and marks the bills ``PAID`` with a ``PAID`` event each. The bills
and the payment change together or not at all.

Races. Two members paying the same bill at the same moment both pass the checks before the
transaction; the second then waits on the first one's bill lock, reads the bill again once
it commits (PostgreSQL re-reads a row locked ``FOR UPDATE`` after the wait), finds it paid
and is refused with ``bill_already_paid`` before any money moves. A bill whose total changed
between the amount the payer authorised and the lock (a late fee landed) is refused with
``bills_changed``: nobody is charged an amount they did not see.

Lock order (docs/ledger.md): the bills (``FOR NO KEY UPDATE``, those rows only, by primary
key), then the wallet's own locks (profile, accounts by primary key, shards, counters).
Auto-pay (``property_mgmt.services.autopay``) locks its consent row before the bills.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound
from core.money import Money
from core.notifications import lazy_format, notify
from property_mgmt.errors import (
    BillAlreadyPaid,
    BillNotPayable,
    BillsChanged,
    BillsNoneSelected,
    BillsSeveralEstates,
)
from property_mgmt.models import Bill, BillEvent, Household
from property_mgmt.services.collection import billing_policy, collection_account
from wallet.models import Account, Payment
from wallet.services import ledger, payments
from wallet.services.idempotency import Idempotency, execute, replay_if_recorded

CURRENCY = "CNY"
PAYABLE = (Bill.Status.OPEN, Bill.Status.OVERDUE)
MAX_BILLS_AT_ONCE = 24


@dataclass(frozen=True)
class BillsPaid:
    bills: list[Bill]
    payment: Payment
    balance: ledger.Balance


# A translated message rendered when ``notify`` forces it, in the recipient's language.
say = lazy_format


# --- reads ---------------------------------------------------------------------------------


def _confirmed_member(user_id: int) -> Exists:
    return Exists(
        Household.objects.filter(
            unit_id=OuterRef("unit_id"), user_id=user_id, status=Household.Status.CONFIRMED
        )
    )


def resident_bills(user: Any, *, status: str | None = None) -> QuerySet[Bill]:
    """The bills of every unit ``user`` is a confirmed household member of, newest due
    first, with what a list shows (unit, building, estate) in the same query."""
    bills = (
        Bill.objects.filter(_confirmed_member(user.pk))
        .select_related("unit__building", "neighbourhood")
        .order_by("-due_date", "-pk")
    )
    if status:
        bills = bills.filter(status=status)
    return bills


def resident_bill(user: Any, bill_id: int) -> Bill:
    """One of the caller's household bills, with its lines; any other bill is 404."""
    bill = (
        resident_bills(user)
        .select_related("payment__transaction", "paid_by")
        .prefetch_related("lines")
        .filter(pk=bill_id)
        .first()
    )
    if bill is None:
        raise NotFound()
    return bill


def bills_to_pay(user: Any, bill_ids: Iterable[int]) -> list[Bill]:
    """The named bills, checked as far as can be without locks: all the caller's (else
    404), one estate, each still to pay."""
    ids = sorted(set(bill_ids))
    if not ids:
        raise BillsNoneSelected()
    if len(ids) > MAX_BILLS_AT_ONCE:
        raise BillsNoneSelected(
            _("Pay at most %(count)s bills at once.") % {"count": MAX_BILLS_AT_ONCE}
        )
    bills = list(resident_bills(user).filter(pk__in=ids).order_by("pk"))
    if len(bills) != len(ids):
        raise NotFound()
    if len({bill.neighbourhood_id for bill in bills}) > 1:
        raise BillsSeveralEstates()
    for bill in bills:
        check_payable(bill)
    return bills


def check_payable(bill: Bill) -> None:
    if bill.status == Bill.Status.PAID:
        raise BillAlreadyPaid()
    if bill.status not in PAYABLE or bill.total_minor <= 0:
        raise BillNotPayable()


def payee_for(bill: Bill) -> Account:
    """The collection account of the company that bills ``bill``'s estate. Opened (and
    made hot) outside the money transaction: it may write."""
    return collection_account(billing_policy(bill.neighbourhood).company, CURRENCY)


# --- the shared money step: lock, re-check, settle -----------------------------------------


def lock_payable_bills(bill_ids: Sequence[int], *, expected_total_minor: int) -> list[Bill]:
    """Lock the bills in primary-key order (``FOR NO KEY UPDATE``, the bill rows only, so
    events and attempts that point at them can still be written), then re-check each: paid
    meanwhile -> ``BillAlreadyPaid``; waived or cancelled -> ``BillNotPayable``; their sum
    no longer what the payer authorised -> ``BillsChanged``. Inside a transaction only."""
    ledger.require_transaction()
    locked = list(
        Bill.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=bill_ids)
        .order_by("pk")
    )
    if len(locked) != len(set(bill_ids)):
        raise NotFound()
    for bill in locked:
        check_payable(bill)
    if sum(bill.total_minor for bill in locked) != expected_total_minor:
        raise BillsChanged()
    return locked


def settle_bills(bills: Sequence[Bill], *, payment: Payment, payer: Any, reason: str = "") -> None:
    """Mark locked bills paid by ``payment`` with a ``PAID`` event each, in the caller's
    transaction. The other household members are told (``bill_paid``) once it has committed,
    from the wallet's outbox: ``payment_to_company``."""
    ledger.require_transaction()
    now = timezone.now()
    for bill in bills:
        bill.status = Bill.Status.PAID
        bill.payment = payment
        bill.paid_by = payer
        bill.paid_at = now
    Bill.objects.bulk_update(bills, ["status", "payment", "paid_by", "paid_at"])
    BillEvent.objects.bulk_create(
        BillEvent(
            bill=bill,
            kind=BillEvent.Kind.PAID,
            amount_minor=bill.total_minor,
            actor=payer,
            reason=reason,
        )
        for bill in bills
    )


def description_for(bills: Sequence[Bill]) -> str:
    if len(bills) == 1:
        return f"{bills[0].title} · {bills[0].unit}"
    return f"{bills[0].neighbourhood.name}: " + ", ".join(bill.title for bill in bills)


# --- paying -----------------------------------------------------------------------------


def bills_pay(
    *,
    user: Any,
    bills: Sequence[Bill | int],
    pin: str | None,
    expected_total_minor: int | None = None,
    idempotency: Idempotency | None = None,
) -> BillsPaid:
    """Pay ``bills`` (objects or ids) from ``user``'s CNY wallet in one payment.

    Checks (before the transaction): a replay of ``idempotency`` answers first; every bill
    is a confirmed household bill of the user (else ``NotFound``), of one estate
    (``BillsSeveralEstates``), open or overdue (``BillAlreadyPaid`` / ``BillNotPayable``);
    ``expected_total_minor`` is the sum the payer was shown: if the bills no longer add up
    to it (a late fee landed since) the payment is refused with ``BillsChanged``. Then the
    wallet's PIN, verification and limits for the sum (``authorise_debit``).
    Locks: the bills by primary key, then the wallet's rows. Invariant: every bill PAID
    points at the one payment whose amount is their sum; nothing changes if anything is
    refused. Side effects after commit: the wallet's payment notices, and ``bill_paid`` to
    the other confirmed members of the units.
    """
    replay_if_recorded(idempotency)
    ids = [item.pk if isinstance(item, Bill) else int(item) for item in bills]
    checked = bills_to_pay(user, ids)
    total = sum(bill.total_minor for bill in checked)
    if expected_total_minor is not None and expected_total_minor != total:
        raise BillsChanged()
    payee = payee_for(checked[0])
    description = description_for(checked)
    authorisation = payments.authorise_debit(
        payer=user, amount_minor=total, currency=CURRENCY, pin=pin, idempotency=idempotency
    )
    bill_ids = [bill.pk for bill in checked]

    def work() -> BillsPaid:
        locked = lock_payable_bills(bill_ids, expected_total_minor=total)
        paid = payments.payment_post(
            payer=user,
            payee=payee,
            amount_minor=total,
            currency=CURRENCY,
            description=description,
            authorisation=authorisation,
            metadata={"bill_ids": bill_ids},
        )
        settle_bills(locked, payment=paid.payment, payer=user)
        by_pk = {bill.pk: bill for bill in checked}
        for bill in locked:
            # The locking query read no relations; reuse the ones already loaded.
            bill.unit = by_pk[bill.pk].unit
            bill.neighbourhood = by_pk[bill.pk].neighbourhood
        return BillsPaid(locked, paid.payment, paid.balance)

    return execute(idempotency, work)


def payment_to_company(*, payment: Payment, payee: Any) -> None:
    """One of the wallet's ``WALLET_PAYEE_PAID_HANDLERS``: run once a payment to an account
    no user owns has committed, in the transaction that marks its outbox entry delivered.
    A payment that settled bills (their ids are in its metadata) tells the households."""
    if "bill_ids" in (payment.transaction.metadata or {}):
        bills_paid_announce(payment_id=payment.pk)


def bills_paid_announce(*, payment_id: int) -> int:
    """Tell the other confirmed members of the paid bills' units (``bill_paid``).

    Runs once a payment: the outbox delivers its entry once, in the transaction that writes
    these notices and marks the entry sent (a failure rolls both back). So it does not look
    for members already told, which would mean searching every inbox entry's data.
    """
    bills = list(
        Bill.objects.filter(payment_id=payment_id).select_related("paid_by", "unit__building")
    )
    if not bills:
        return 0
    payer = bills[0].paid_by
    members = (
        Household.objects.filter(
            unit_id__in={bill.unit_id for bill in bills},
            status=Household.Status.CONFIRMED,
            user__isnull=False,
        )
        .exclude(user_id__in=[payer.pk] if payer is not None else [])
        .select_related("user")
    )
    count = 0
    seen: set[int] = set()
    for member in members:
        assert member.user is not None  # filtered above
        if member.user_id in seen:
            continue
        seen.add(member.user.pk)
        theirs = [bill for bill in bills if bill.unit_id == member.unit_id]
        amount = Money(sum(bill.total_minor for bill in theirs), CURRENCY)
        with transaction.atomic():
            notify(
                member.user,
                kind="bill_paid",
                title=say(
                    _("%(name)s paid %(amount)s of property bills for %(unit)s"),
                    name=str(payer) if payer else "",
                    amount=amount,
                    unit=str(theirs[0].unit),
                ),
                body=", ".join(bill.title for bill in theirs),
                url="/bills/",
                data={"payment_id": payment_id, "bill_ids": [bill.pk for bill in theirs]},
            )
        count += 1
    return count
