"""Reads of the wallet that pages, the API and other apps share. Every one is scoped to the
user who asks: a resident only ever sees accounts they own."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from core.errors import NotFound
from wallet.models import (
    Account,
    BankCard,
    Hold,
    JournalTransaction,
    Payment,
    Posting,
    TopUp,
    Withdrawal,
)
from wallet.services import ledger


def user_accounts(user: Any) -> QuerySet[Account]:
    return Account.objects.filter(kind=Account.Kind.CUSTOMER, owner_id=user.pk).order_by("currency")


def balances(user: Any) -> list[ledger.Balance]:
    """Every sub-wallet of the user (customer wallets are never hot: no shards to add)."""
    return [ledger.Balance.of(account) for account in user_accounts(user)]


@dataclass(frozen=True)
class HistoryFilter:
    start: date | None = None
    end: date | None = None
    kind: str = ""
    counterparty: str = ""
    min_amount_minor: int | None = None
    max_amount_minor: int | None = None
    card_id: int | None = None
    currency: str = ""


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def history(user: Any, filters: HistoryFilter | None = None) -> QuerySet[Posting]:
    """The user's postings, newest first, each with its transaction and the other legs'
    accounts loaded in a fixed number of queries."""
    filters = filters or HistoryFilter()
    postings = Posting.objects.filter(
        account__kind=Account.Kind.CUSTOMER, account__owner_id=user.pk
    )
    if filters.start:
        postings = postings.filter(transaction__created_at__gte=_day_start(filters.start))
    if filters.end:
        postings = postings.filter(
            transaction__created_at__lt=_day_start(filters.end) + timedelta(days=1)
        )
    if filters.kind:
        postings = postings.filter(transaction__kind=filters.kind)
    if filters.currency:
        postings = postings.filter(currency=filters.currency)
    if filters.min_amount_minor is not None:
        postings = postings.filter(
            Q(amount_minor__gte=filters.min_amount_minor)
            | Q(amount_minor__lte=-filters.min_amount_minor)
        )
    if filters.max_amount_minor is not None:
        postings = postings.filter(
            amount_minor__lte=filters.max_amount_minor,
            amount_minor__gte=-filters.max_amount_minor,
        )
    if filters.counterparty:
        others = Posting.objects.filter(Q(account__name__icontains=filters.counterparty)).exclude(
            account__owner_id=user.pk
        )
        postings = postings.filter(
            Q(transaction__in=others.values("transaction_id"))
            | Q(transaction__description__icontains=filters.counterparty)
        )
    if filters.card_id is not None:
        card_topups = TopUp.objects.filter(card_id=filters.card_id, user_id=user.pk)
        card_withdrawals = Withdrawal.objects.filter(card_id=filters.card_id, user_id=user.pk)
        postings = postings.filter(
            Q(transaction_id__in=card_topups.values("transaction_id"))
            | Q(transaction_id__in=card_withdrawals.values("transaction_id"))
            | Q(transaction_id__in=card_withdrawals.values("reversal_id"))
        )
    legs = Posting.objects.select_related("account").order_by("pk")
    return (
        postings.select_related("transaction", "account")
        .prefetch_related(Prefetch("transaction__postings", queryset=legs, to_attr="legs"))
        .order_by("-pk")
    )


def counterparties(posting: Posting) -> list[str]:
    """Names on the other side of a posting (uses the prefetched legs)."""
    legs = getattr(posting.transaction, "legs", None)
    if legs is None:
        legs = list(posting.transaction.postings.select_related("account"))
    return [
        leg.account.name
        for leg in legs
        if leg.account_id != posting.account_id and leg.account.kind != Account.Kind.SYSTEM
    ]


def transaction_for(user: Any, transaction_id: int) -> JournalTransaction:
    """A transaction that touched one of the user's wallets, else 404."""
    journal = (
        JournalTransaction.objects.filter(
            pk=transaction_id,
            postings__account__kind=Account.Kind.CUSTOMER,
            postings__account__owner_id=user.pk,
        )
        .prefetch_related(
            Prefetch("postings", queryset=Posting.objects.select_related("account").order_by("pk"))
        )
        .distinct()
        .first()
    )
    if journal is None:
        raise NotFound()
    return journal


def my_posting(user: Any, journal: JournalTransaction) -> Posting:
    for posting in journal.postings.all():
        if posting.account.owner_id == user.pk and posting.account.kind == Account.Kind.CUSTOMER:
            return posting
    raise NotFound()


def cards(user: Any, include_removed: bool = False) -> QuerySet[BankCard]:
    queryset = BankCard.objects.filter(owner_id=user.pk)
    if not include_removed:
        queryset = queryset.filter(removed_at__isnull=True)
    return queryset.order_by("-is_default", "-created_at")


def card_for(user: Any, card_id: int) -> BankCard:
    card = BankCard.objects.filter(pk=card_id, owner_id=user.pk, removed_at__isnull=True).first()
    if card is None:
        raise NotFound()
    return card


def payment_received_by(user: Any, payment_id: int) -> Payment:
    """A payment into one of the user's own wallets (they may refund it), else 404."""
    payment = (
        Payment.objects.select_related("payer", "payee", "transaction")
        .filter(pk=payment_id, payee__kind=Account.Kind.CUSTOMER, payee__owner_id=user.pk)
        .first()
    )
    if payment is None:
        raise NotFound()
    return payment


def payment_visible_to(user: Any, payment_id: int) -> Payment:
    payment = (
        Payment.objects.select_related("payer", "payee__owner", "transaction")
        .filter(pk=payment_id)
        .filter(Q(payer__owner_id=user.pk) | Q(payee__owner_id=user.pk))
        .first()
    )
    if payment is None:
        raise NotFound()
    return payment


def holds(user: Any) -> QuerySet[Hold]:
    return (
        Hold.objects.filter(Q(account__owner_id=user.pk) | Q(payee__owner_id=user.pk))
        .select_related("account", "payee__owner")
        .order_by("-created_at")
    )


def hold_for(user: Any, hold_id: int, *, as_payee: bool = False) -> Hold:
    queryset = Hold.objects.select_related("account", "payee").filter(pk=hold_id)
    if as_payee:
        queryset = queryset.filter(payee__kind=Account.Kind.CUSTOMER, payee__owner_id=user.pk)
    else:
        queryset = queryset.filter(Q(account__owner_id=user.pk) | Q(payee__owner_id=user.pk))
    hold = queryset.first()
    if hold is None:
        raise NotFound()
    return hold


def topup_for(user: Any, topup_id: int) -> TopUp:
    topup = (
        TopUp.objects.select_related("card", "account").filter(pk=topup_id, user_id=user.pk).first()
    )
    if topup is None:
        raise NotFound()
    return topup


def withdrawal_for(user: Any, withdrawal_id: int) -> Withdrawal:
    withdrawal = (
        Withdrawal.objects.select_related("card", "account")
        .filter(pk=withdrawal_id, user_id=user.pk)
        .first()
    )
    if withdrawal is None:
        raise NotFound()
    return withdrawal


@dataclass(frozen=True)
class Statement:
    year: int
    month: int
    currency: str
    opening_minor: int
    closing_minor: int
    money_in_minor: int
    money_out_minor: int
    postings: list[Posting]


def monthly_statement(user: Any, year: int, month: int, currency: str = "CNY") -> Statement:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    mine = Posting.objects.filter(
        account__kind=Account.Kind.CUSTOMER, account__owner_id=user.pk, currency=currency
    )
    opening = (
        mine.filter(transaction__created_at__lt=_day_start(first)).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )
    in_month = list(
        history(user, HistoryFilter(start=first, end=last, currency=currency)).order_by(
            "transaction__created_at", "pk"
        )
    )
    money_in = sum(p.amount_minor for p in in_month if p.amount_minor > 0)
    money_out = -sum(p.amount_minor for p in in_month if p.amount_minor < 0)
    return Statement(
        year,
        month,
        currency,
        opening,
        opening + money_in - money_out,
        money_in,
        money_out,
        in_month,
    )
