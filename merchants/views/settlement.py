"""A shop owner's settlement pages: the list of days, one settlement with its lines, and
the CSV statements of one settlement and of a month. Reads only; owners only (a cashier
or anyone else gets 404)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from community.auth import signed_in_user
from merchants import selectors_settlement as reads
from wallet.models import Settlement
from wallet.settlement_statements import settlement_lines, statement_rows, with_lines

PAGE_SIZE = 31


def _csv(settlements: list[Settlement], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        statement_rows(settlements), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def settlement_list(request: HttpRequest, shop_id: int) -> HttpResponse:
    shop = reads.owned_shop(signed_in_user(request), shop_id)
    page = Paginator(reads.shop_settlements(shop), PAGE_SIZE).get_page(request.GET.get("page"))
    months = sorted({s.business_date.replace(day=1) for s in page.object_list}, reverse=True)
    return render(
        request,
        "merchants/settlement/list.html",
        {"shop": shop, "page": page, "months": months},
    )


@login_required
@require_GET
def settlement_detail(request: HttpRequest, shop_id: int, settlement_id: int) -> HttpResponse:
    shop = reads.owned_shop(signed_in_user(request), shop_id)
    settlement = reads.shop_settlement(shop, settlement_id)
    return render(
        request,
        "merchants/settlement/detail.html",
        {"shop": shop, "settlement": settlement, "lines": settlement_lines(settlement)},
    )


@login_required
@require_GET
def settlement_csv(request: HttpRequest, shop_id: int, settlement_id: int) -> StreamingHttpResponse:
    shop = reads.owned_shop(signed_in_user(request), shop_id)
    settlement = reads.shop_settlement(shop, settlement_id)
    settlements = with_lines(reads.shop_settlements(shop).filter(pk=settlement.pk))
    return _csv(settlements, f"settlement-{shop.pk}-{settlement.business_date:%Y%m%d}.csv")


@login_required
@require_GET
def settlement_month_csv(
    request: HttpRequest, shop_id: int, year: int, month: int
) -> StreamingHttpResponse:
    shop = reads.owned_shop(signed_in_user(request), shop_id)
    try:
        first = date(year, month, 1)
    except ValueError:
        raise Http404 from None
    settlements = with_lines(reads.shop_month_settlements(shop, first))
    return _csv(settlements, f"settlements-{shop.pk}-{first:%Y%m}.csv")
