"""Reads of a shop's sales: its payments with their refunds and coupons, today's takings and
the daily figures of the dashboard. Scoping: callers pass a shop they resolved with
``selectors_checkout.staff_shop`` (another shop is 404 before anything here runs), and
every query is filtered by that shop's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from merchants.models import CouponRedemption, Shop, ShopRefund
from merchants.services.accounts import shop_account
from wallet.models import Payment
from wallet.services.accounts import masked_real_name

PAGE_SIZE = 50
DASHBOARD_DAYS = 30


@dataclass(frozen=True)
class SaleRow:
    """One payment as the shop sees it: who (masked), how much, what the coupon took off."""

    payment: Payment
    payer_name: str
    gross_minor: int  # the price before the coupon
    discount_minor: int


@dataclass(frozen=True)
class DayFigures:
    day: date
    payment_count: int
    sales_minor: int  # what residents paid
    refunds_minor: int

    @property
    def net_minor(self) -> int:
        return self.sales_minor - self.refunds_minor


def _local_day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    return start, start + timedelta(days=1)


def shop_payments(shop: Shop, *, day: date | None = None) -> QuerySet[Payment]:
    """The payments made to ``shop``, newest first, with their payers in the same query."""
    payments = Payment.objects.filter(payee_id=shop_account(shop).pk).select_related("payer__owner")
    if day is not None:
        start, end = _local_day_bounds(day)
        payments = payments.filter(created_at__gte=start, created_at__lt=end)
    return payments.order_by("-created_at", "-id")


def sale_rows(payments: list[Payment]) -> list[SaleRow]:
    """``payments`` with their coupons (one query for all of them)."""
    redemptions = {
        redemption.payment_id: redemption
        for redemption in CouponRedemption.objects.filter(
            payment_id__in=[payment.pk for payment in payments]
        )
    }
    rows = []
    for payment in payments:
        redemption = redemptions.get(payment.pk)
        discount = redemption.discount_minor if redemption else 0
        owner = payment.payer.owner
        rows.append(
            SaleRow(
                payment=payment,
                payer_name=masked_real_name(owner) if owner is not None else "",
                gross_minor=payment.amount_minor + discount,
                discount_minor=discount,
            )
        )
    return rows


def payment_refunds(payment: Payment) -> QuerySet[ShopRefund]:
    return ShopRefund.objects.filter(payment=payment).select_related("refunded_by")


def recent_refunds(shop: Shop, limit: int = 20) -> QuerySet[ShopRefund]:
    return ShopRefund.objects.filter(shop=shop).select_related("refunded_by", "payment")[:limit]


def daily_figures(
    shop: Shop, *, days: int = DASHBOARD_DAYS, today: date | None = None
) -> list[DayFigures]:
    """Sales and refunds of each of the last ``days`` local days, today included, oldest
    first; days without sales are there with zeros (a chart needs every day). Two queries."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    start, _ = _local_day_bounds(first)
    _, end = _local_day_bounds(today)
    zone = timezone.get_current_timezone()
    sales: dict[date, dict[str, Any]] = {
        row["day"]: dict(row)
        for row in Payment.objects.filter(
            payee_id=shop_account(shop).pk, created_at__gte=start, created_at__lt=end
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("id"), total=Sum("amount_minor"))
    }
    refunds: dict[date, int] = {
        row["day"]: row["total"]
        for row in ShopRefund.objects.filter(shop=shop, created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(total=Sum("amount_minor"))
    }
    figures = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = sales.get(day, {})
        figures.append(
            DayFigures(
                day=day,
                payment_count=int(row.get("count") or 0),
                sales_minor=int(row.get("total") or 0),
                refunds_minor=int(refunds.get(day) or 0),
            )
        )
    return figures
