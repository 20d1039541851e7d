"""A shop owner's settlement pages: the list of days, one settlement with its lines, the
CSV statements of one settlement and of a month, and the settlement card. Owners only (a
cashier or anyone else gets 404); the card's change is ``settlement_card_change``'s."""

from __future__ import annotations

from datetime import date
from typing import Any

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
from merchants import selectors_directory as directory
from merchants import selectors_settlement as reads
from merchants.services import onboarding
from wallet.forms import PinField
from wallet.models import BankCard, Settlement
from wallet.services.profile import wallet_profile
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


class SettlementCardForm(forms.Form):
    card = forms.TypedChoiceField(
        label=gettext_lazy("Settlement card"),
        coerce=int,
        help_text=gettext_lazy("Your takings are paid out to this card from the next payout on."),
    )
    pin = PinField()

    def __init__(self, *args: Any, cards: list[BankCard], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["card"].choices = [(card.pk, str(card)) for card in cards]  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def settlement_card(request: HttpRequest, shop_id: int) -> HttpResponse:
    user = signed_in_user(request)
    shop = reads.owned_shop(user, shop_id)
    cards = list(directory.settlement_cards(user))
    form = SettlementCardForm(request.POST or None, cards=cards)
    if request.method == "POST" and form.is_valid():
        try:
            onboarding.settlement_card_change(
                owner=user,
                shop=shop,
                card=directory.card_for_application(form.cleaned_data["card"]),
                pin=form.cleaned_data["pin"],
            )
        except ApplicationError as error:
            # A PIN refusal belongs to the PIN, a refused card (the one field error) to the card.
            field = "pin" if error.code.startswith("pin_") else "card" if error.fields else None
            form.add_error(field, str(error.message))
        else:
            messages.success(request, _("Payouts now go to the card you chose."))
            return redirect("merchant-settlements", shop_id=shop.pk)
    return render(
        request,
        "merchants/settlement/card.html",
        {
            "shop": shop,
            "form": form,
            "current": shop.settlement_card,
            "has_cards": bool(cards),
            "has_pin": wallet_profile(user).has_pin,
        },
    )
