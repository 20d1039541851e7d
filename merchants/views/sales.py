"""Pages of a shop's sales: its payments, one payment with its refunds and the refund form,
and the dashboard. Thin: rules in ``merchants.services.refunds``; reads in
``merchants.selectors_sales``. A shop the user does not work in is 404, and so is every
payment of it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from community.auth import signed_in_user
from core.errors import ApplicationError
from core.money import Money
from merchants import selectors_checkout, selectors_offers, selectors_sales, selectors_settlement
from merchants.services import refunds
from merchants.services.onboarding import is_shop_owner
from wallet.forms import AmountField, IdempotentForm
from wallet.services.idempotency import Replayed
from wallet.views.common import page_idempotency, show_error

CHART_HEIGHT = 120
DASHBOARD_CAMPAIGNS = 5
DASHBOARD_SETTLEMENTS = 5


class DayFilterForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class RefundForm(IdempotentForm):
    amount = AmountField(
        required=False,
        help_text=gettext_lazy("Leave empty to refund everything that is left."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=refunds.REASON_MAX_LENGTH, required=False
    )


@login_required
def payments_list(request: HttpRequest, shop_id: int) -> HttpResponse:
    """The shop's payments, newest first, fifty a page, optionally of one day."""
    shop = selectors_checkout.staff_shop(signed_in_user(request), shop_id)
    filters = DayFilterForm(request.GET or None)
    day: date | None = None
    if filters.is_valid():
        day = filters.cleaned_data.get("day")
    page = Paginator(
        selectors_sales.shop_payments(shop, day=day), selectors_sales.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "merchants/sales/payments.html",
        {
            "shop": shop,
            "filters": filters,
            "page": page,
            "rows": selectors_sales.sale_rows(list(page.object_list)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def payment_detail(request: HttpRequest, shop_id: int, payment_id: int) -> HttpResponse:
    """One payment with its coupon and refunds; the refund form while something is left."""
    user = signed_in_user(request)
    shop = selectors_checkout.staff_shop(user, shop_id)
    payment = refunds.shop_payment(shop, payment_id)
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            given = refunds.refund_create(
                actor=user,
                shop=shop,
                payment=payment,
                amount_minor=form.cleaned_data.get("amount") or None,
                reason=form.cleaned_data.get("reason") or "",
                idempotency=page_idempotency(
                    request, form, lambda r: {"amount_minor": r.refund.amount_minor}
                ),
            )
            amount = given.refund.amount_minor
        except Replayed as replay:
            if "amount_minor" not in replay.body:
                messages.error(request, replay.body["error"]["message"])
            return redirect(request.path)
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(
                request,
                _("Refunded %(amount)s.") % {"amount": Money(amount, payment.currency).format()},
            )
            return redirect(request.path)
    row = selectors_sales.sale_rows([payment])[0]
    return render(
        request,
        "merchants/sales/payment.html",
        {
            "shop": shop,
            "row": row,
            "payment": payment,
            "refunds": selectors_sales.payment_refunds(payment),
            "form": form,
        },
    )


def _chart(figures: list[selectors_sales.DayFigures]) -> dict[str, Any]:
    """Bar geometry of the daily sales chart, drawn as inline SVG (no chart library)."""
    peak = max((figure.sales_minor for figure in figures), default=0) or 1
    bar_width = 10
    gap = 4
    bars = []
    for index, figure in enumerate(figures):
        height = round(CHART_HEIGHT * figure.sales_minor / peak)
        bars.append(
            {
                "x": index * (bar_width + gap),
                "y": CHART_HEIGHT - height,
                "width": bar_width,
                "height": height,
                "figure": figure,
            }
        )
    return {
        "bars": bars,
        "width": len(figures) * (bar_width + gap),
        "height": CHART_HEIGHT,
        "peak_minor": peak if peak > 1 else 0,
    }


@login_required
def dashboard(request: HttpRequest, shop_id: int) -> HttpResponse:
    """Today's takings (live), 30 days of sales as a chart, campaign results and, for the
    owner, the latest settlements."""
    user = signed_in_user(request)
    shop = selectors_checkout.staff_shop(user, shop_id)
    figures = selectors_sales.daily_figures(shop)
    today = figures[-1]
    owner = is_shop_owner(user, shop)
    return render(
        request,
        "merchants/sales/dashboard.html",
        {
            "shop": shop,
            "today": today,
            "today_date": timezone.localdate(),
            "figures": figures,
            "chart": _chart(figures),
            "month_sales_minor": sum(figure.sales_minor for figure in figures),
            "month_refunds_minor": sum(figure.refunds_minor for figure in figures),
            "is_owner": owner,
            "recent_refunds": selectors_sales.recent_refunds(shop, limit=5),
            "campaigns": selectors_offers.shop_campaigns(shop)[:DASHBOARD_CAMPAIGNS],
            "settlements": (
                selectors_settlement.shop_settlements(shop)[:DASHBOARD_SETTLEMENTS] if owner else []
            ),
        },
    )
