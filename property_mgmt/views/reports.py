"""Managers' report pages: bills by building and unit, arrears, collection rate with a chart,
and CSV exports of bills and payments. Reads only; every page is 404 outside the caller's
estates."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from community.auth import signed_in_user
from community.models import Neighbourhood
from core.csv_export import BYTE_ORDER_MARK, RowWriter
from core.money import Money
from property_mgmt import selectors_reports as reports
from property_mgmt.models import Bill, Building
from property_mgmt.selectors import managed_neighbourhood

BILLS_PAGE_SIZE = 50
ARREARS_PAGE_SIZE = 50
CSV_CHUNK = 500


def _estate(request: HttpRequest, estate_id: int) -> Neighbourhood:
    return managed_neighbourhood(signed_in_user(request), estate_id)


class BillFilterForm(forms.Form):
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Building.objects.none(), required=False
    )
    unit = forms.CharField(
        label=_("Unit number"), max_length=20, required=False, widget=forms.TextInput()
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any")), *Bill.Status.choices], required=False
    )
    period = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    due_from = forms.DateField(
        label=_("Due from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = forms.DateField(
        label=_("Due until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, estate: Neighbourhood, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["building"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Building.objects.filter(neighbourhood=estate).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("due_from"), data.get("due_to")
        if start and end and start > end:
            self.add_error("due_to", _("The end of the range is before its start."))
        return data

    def bill_filter(self) -> reports.BillFilter:
        """The filter the valid fields describe; nothing filters while the form is invalid."""
        if not self.is_valid():
            return reports.BillFilter()
        data = self.cleaned_data
        return reports.BillFilter(
            building_id=data["building"].pk if data["building"] else None,
            unit_number=(data["unit"] or "").strip(),
            status=data["status"] or "",
            period=data["period"],
            due_from=data["due_from"],
            due_to=data["due_to"],
        )


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def estate_bills(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = _estate(request, estate_id)
    form = BillFilterForm(request.GET or None, estate=estate)
    bills = reports.estate_bills(estate, form.bill_filter())
    page = Paginator(bills, BILLS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query_without_page(request)
    return render(
        request,
        "property_mgmt/reports/bills.html",
        {
            "estate": estate,
            "form": form,
            "page": page,
            "totals": reports.bill_totals(bills),
            "query": query,
            "suffix": f"?{query}" if query else "",
        },
    )


@login_required
@require_GET
def estate_arrears(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = _estate(request, estate_id)
    today = timezone.localdate()
    summary = reports.arrears_by_building(estate, today)
    page = Paginator(reports.arrears_bills(estate, today), ARREARS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "property_mgmt/reports/arrears.html",
        {
            "estate": estate,
            "summary": summary,
            "page": page,
            "rows": reports.arrears_rows(page.object_list, today),
        },
    )


# --- the collection chart ----------------------------------------------------------------


@dataclass(frozen=True)
class ChartBar:
    month: datetime.date
    percent: Decimal | None
    x: Decimal
    y: Decimal
    height: Decimal
    label_x: Decimal
    value_y: Decimal  # the percentage written just above the bar


@dataclass(frozen=True)
class RateChart:
    """Geometry of a bar chart of the estate's rate by month, in SVG user units."""

    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    bar_width: Decimal
    bars: list[ChartBar]
    gridlines: list[tuple[int, Decimal]]  # (percent, y)


def rate_chart(report: reports.CollectionReport) -> RateChart:
    """Bars of 0-100 % scaled to the plot; a month with nothing billed has no bar."""
    width, height, left, right, top, bottom = 640, 240, 40, 8, 12, 204
    slot = Decimal(width - left - right) / max(len(report.months), 1)
    bar_width = (slot * Decimal("0.6")).quantize(Decimal("0.1"))
    plot_height = Decimal(bottom - top)
    bars = []
    for index, month in enumerate(report.months):
        percent = month.total.percent
        bar_height = (
            Decimal(0)
            if percent is None
            else (plot_height * min(percent, Decimal(100)) / 100).quantize(Decimal("0.1"))
        )
        x = (left + slot * index + (slot - bar_width) / 2).quantize(Decimal("0.1"))
        bars.append(
            ChartBar(
                month=month.month,
                percent=percent,
                x=x,
                y=Decimal(bottom) - bar_height,
                height=bar_height,
                label_x=(x + bar_width / 2).quantize(Decimal("0.1")),
                value_y=Decimal(bottom) - bar_height - 3,
            )
        )
    gridlines = [
        (p, (Decimal(bottom) - plot_height * p / 100).quantize(Decimal("0.1")))
        for p in (0, 25, 50, 75, 100)
    ]
    return RateChart(width, height, top, bottom, left, bar_width, bars, gridlines)


@login_required
@require_GET
def estate_collection(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = _estate(request, estate_id)
    report = reports.collection_report(estate, today=timezone.localdate())
    return render(
        request,
        "property_mgmt/reports/collection.html",
        {
            "estate": estate,
            "report": report,
            "chart": rate_chart(report),
            "rows": [
                (month, list(zip(report.buildings, month.by_building, strict=True)))
                for month in reversed(report.months)
            ],
            "building_totals": list(zip(report.buildings, report.building_totals, strict=True)),
        },
    )


# --- CSV exports -------------------------------------------------------------------------


def _yuan(minor: int) -> str:
    return str(Money(minor).to_decimal())


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).isoformat() if moment else ""


def _csv_response(rows: Iterator[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _bad_filter(form: BillFilterForm) -> HttpResponse:
    # An export must never quietly widen to every bill because one filter did not parse.
    lines = [f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()]
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def estate_bills_csv(request: HttpRequest, estate_id: int) -> HttpResponse | StreamingHttpResponse:
    """The filtered bills with each line kind's total, streamed in chunks so that an estate
    of any size exports in constant memory. UTF-8 with a BOM: Excel then reads Chinese."""
    estate = _estate(request, estate_id)
    form = BillFilterForm(request.GET or None, estate=estate)
    if form.is_bound and not form.is_valid():
        return _bad_filter(form)
    bills = reports.with_line_totals(reports.estate_bills(estate, form.bill_filter()))
    writer = RowWriter()

    def rows() -> Iterator[str]:
        yield BYTE_ORDER_MARK
        yield writer.writerow(
            ["bill", "building", "unit", "period", "title", "kind", "status", "due_date"]
            + [f"{kind}_total" for kind in reports.LINE_KINDS]
            + ["total", "currency", "paid_at"]
        )
        for bill in bills.iterator(chunk_size=CSV_CHUNK):
            yield writer.writerow(
                [
                    bill.pk,
                    bill.unit.building.name,
                    bill.unit.number,
                    f"{bill.period:%Y-%m}" if bill.period else "",
                    bill.title,
                    bill.kind,
                    bill.status,
                    bill.due_date.isoformat(),
                ]
                + [_yuan(getattr(bill, f"line_{kind}_minor")) for kind in reports.LINE_KINDS]
                + [_yuan(bill.total_minor), "CNY", _local(bill.paid_at)]
            )

    return _csv_response(rows(), f"bills-{estate.pk}.csv")


@login_required
@require_GET
def estate_payments_csv(
    request: HttpRequest, estate_id: int
) -> HttpResponse | StreamingHttpResponse:
    """Paid bills with the wallet payment that settled each (its id and the journal
    transaction the payer's receipt names), when, and by whom (mobile masked)."""
    estate = _estate(request, estate_id)
    form = BillFilterForm(request.GET or None, estate=estate)
    if form.is_bound and not form.is_valid():
        return _bad_filter(form)
    bills = reports.estate_payments(estate, form.bill_filter())
    writer = RowWriter()

    def rows() -> Iterator[str]:
        yield BYTE_ORDER_MARK
        yield writer.writerow(
            [
                "bill",
                "building",
                "unit",
                "period",
                "title",
                "amount",
                "currency",
                "paid_at",
                "payment",
                "payment_reference",
                "payment_amount",
                "payer",
                "payer_mobile",
            ]
        )
        for bill in bills.iterator(chunk_size=CSV_CHUNK):
            payment, payer = bill.payment, bill.paid_by
            yield writer.writerow(
                [
                    bill.pk,
                    bill.unit.building.name,
                    bill.unit.number,
                    f"{bill.period:%Y-%m}" if bill.period else "",
                    bill.title,
                    _yuan(bill.total_minor),
                    "CNY",
                    _local(bill.paid_at),
                    payment.pk if payment else "",
                    payment.transaction_id if payment else "",
                    _yuan(payment.amount_minor) if payment else "",
                    payer.display_name if payer else "",
                    reports.masked_phone(payer.phone) if payer else "",
                ]
            )

    return _csv_response(rows(), f"payments-{estate.pk}.csv")
