"""Settlement reads and statements as CSV, the same for a shop and a property company.

The layers above scope by who asks (the shop's owner, the company's managers) and then
read their account's settlements here.

One row per line of each settlement, then the settlement's totals; a statement of several
settlements (a month) ends with their sum. UTF-8 with a byte-order mark so that Excel
reads Chinese; amounts in yuan with two decimals; times local (``settings.TIME_ZONE``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.csv_export import BYTE_ORDER_MARK, RowWriter
from core.errors import NotFound
from core.money import Money
from wallet.models import Settlement, SettlementLine


def payee_settlements(kind: str, owner_ref: str) -> QuerySet[Settlement]:
    """The settlements of the payee account ``owner_ref`` ("shop:12"), newest day first,
    with the payout card (one query)."""
    return (
        Settlement.objects.filter(account__kind=kind, account__owner_ref=owner_ref)
        .select_related("profile")
        .order_by("-business_date", "-pk")
    )


def settlement_in(settlements: QuerySet[Settlement], settlement_id: int) -> Settlement:
    """One of ``settlements`` (already scoped to the caller), else ``NotFound``."""
    settlement = settlements.filter(pk=settlement_id).first()
    if settlement is None:
        raise NotFound()
    return settlement


def month_settlements(settlements: QuerySet[Settlement], month: date) -> QuerySet[Settlement]:
    """The settlements of one calendar month, oldest first (a monthly statement)."""
    return settlements.filter(
        business_date__year=month.year, business_date__month=month.month
    ).order_by("business_date", "pk")


def settlement_lines(settlement: Settlement) -> QuerySet[SettlementLine]:
    return SettlementLine.objects.filter(settlement=settlement).order_by("occurred_at", "pk")


def with_lines(settlements: QuerySet[Settlement]) -> list[Settlement]:
    """The settlements with their lines, in two queries however many there are."""
    return list(
        settlements.prefetch_related(
            Prefetch("lines", queryset=SettlementLine.objects.order_by("occurred_at", "pk"))
        )
    )


def _yuan(minor: int, currency: str) -> str:
    return str(Money(minor, currency).to_decimal())


def statement_rows(settlements: Sequence[Settlement]) -> Iterator[str]:
    """The CSV text, row by row (for a streaming response); ``settlements`` with lines
    prefetched (``with_lines``), oldest first."""
    writer = RowWriter()
    yield BYTE_ORDER_MARK
    yield writer.writerow(
        [
            _("Business day"),
            _("Time"),
            _("Type"),
            _("Transaction"),
            _("Amount"),
            _("Fee"),
            _("Net"),
            _("Currency"),
        ]
    )
    totals: dict[str, int] = {}
    for settlement in settlements:
        day = settlement.business_date.isoformat()
        currency = settlement.currency
        for line in settlement.lines.all():
            yield writer.writerow(
                [
                    day,
                    timezone.localtime(line.occurred_at, timezone.get_default_timezone()).strftime(
                        "%Y-%m-%d %H:%M:%S"
                    ),
                    line.get_kind_display(),
                    line.transaction_id,
                    _yuan(line.amount_minor, currency),
                    _yuan(line.fee_minor, currency),
                    _yuan(line.amount_minor - line.fee_minor, currency),
                    currency,
                ]
            )
        for label, amount in _summary(settlement):
            yield writer.writerow([day, "", label, "", _yuan(amount, currency), "", "", currency])
            totals[label] = totals.get(label, 0) + amount
        yield writer.writerow(
            [
                day,
                "",
                _("Status"),
                settlement.payout_reference,
                settlement.get_status_display(),
                settlement.bank_reference,
                "",
                "",
            ]
        )
    if len(settlements) > 1:
        currency = settlements[0].currency
        for label, amount in totals.items():
            yield writer.writerow(
                [
                    pgettext("statement", "Total"),
                    "",
                    label,
                    "",
                    _yuan(amount, currency),
                    "",
                    "",
                    currency,
                ]
            )


def _summary(settlement: Settlement) -> list[tuple[str, int]]:
    return [
        (_("Sales"), settlement.payments_minor),
        (_("Refunds"), settlement.refunds_minor),
        (pgettext("settlement", "Other"), settlement.other_minor),
        (_("Fees"), -settlement.fees_minor),
        (_("Carried in"), settlement.carried_in_minor),
        (_("Owed refunds recovered"), -settlement.recovered_minor),
        (_("Paid out"), settlement.payout_minor),
        (_("Carried forward"), settlement.carried_out_minor),
    ]
