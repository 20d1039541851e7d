"""Managers' settlement pages of a property company: the payout card, the list of
settled days, one settlement with its lines, and CSV statements. Thin: rules in
``property_mgmt.services.settlement``; reads in ``property_mgmt.selectors_settlement``."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from community.auth import signed_in_user
from core.errors import ApplicationError
from property_mgmt import selectors_settlement as reads
from property_mgmt.services import settlement as services
from wallet.models import Settlement
from wallet.settlement_statements import settlement_lines, statement_rows, with_lines

PAGE_SIZE = 31


class PayoutCardForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Card number"),
        max_length=23,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    expiry_month = forms.IntegerField(label=gettext_lazy("Expiry month"), min_value=1, max_value=12)
    expiry_year = forms.IntegerField(
        label=gettext_lazy("Expiry year"), min_value=2000, max_value=2100
    )


def _csv(settlements: list[Settlement], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        statement_rows(settlements), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def company_settlements(request: HttpRequest, company_id: int) -> HttpResponse:
    user = signed_in_user(request)
    company = reads.managed_company(user, company_id)
    form = PayoutCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_payout_card_set(
                manager=user,
                company=company,
                number=form.cleaned_data["number"],
                expiry_month=form.cleaned_data["expiry_month"],
                expiry_year=form.cleaned_data["expiry_year"],
            )
        except ApplicationError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Payouts now go to this card from the next settlement."))
            return redirect("company-settlements", company.pk)
    page = Paginator(reads.company_settlements(company), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "property_mgmt/settlement/list.html",
        {
            "company": company,
            "profile": services.company_payout_profile(company),
            "form": form,
            "page": page,
            "months": sorted(
                {s.business_date.replace(day=1) for s in page.object_list}, reverse=True
            ),
        },
    )


@login_required
@require_GET
def company_settlement(request: HttpRequest, company_id: int, settlement_id: int) -> HttpResponse:
    company = reads.managed_company(signed_in_user(request), company_id)
    settlement = reads.company_settlement(company, settlement_id)
    return render(
        request,
        "property_mgmt/settlement/detail.html",
        {"company": company, "settlement": settlement, "lines": settlement_lines(settlement)},
    )


@login_required
@require_GET
def company_settlement_csv(
    request: HttpRequest, company_id: int, settlement_id: int
) -> StreamingHttpResponse:
    company = reads.managed_company(signed_in_user(request), company_id)
    settlement = reads.company_settlement(company, settlement_id)
    settlements = with_lines(reads.company_settlements(company).filter(pk=settlement.pk))
    return _csv(
        settlements, f"settlement-company-{company.pk}-{settlement.business_date:%Y%m%d}.csv"
    )


@login_required
@require_GET
def company_settlements_month_csv(
    request: HttpRequest, company_id: int, year: int, month: int
) -> StreamingHttpResponse:
    company = reads.managed_company(signed_in_user(request), company_id)
    try:
        first = date(year, month, 1)
    except ValueError:
        raise Http404 from None
    settlements = with_lines(reads.company_month_settlements(company, first))
    return _csv(settlements, f"settlements-company-{company.pk}-{first:%Y%m}.csv")
