"""Bank card pages: bind, name, make default, remove, ask the bank for the balance."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from wallet import forms, selectors
from wallet.services import bank
from wallet.views.common import show_error


@login_required
@require_http_methods(["GET", "POST"])
def cards(request: HttpRequest) -> HttpResponse:
    form = forms.BindCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank.card_bind(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("Card added."))
            return redirect("wallet-cards")
    return render(
        request,
        "wallet/cards.html",
        {"form": form, "cards": selectors.cards(request.user)},
    )


@login_required
@require_POST
def card_action(request: HttpRequest, card_id: int) -> HttpResponse:
    try:
        card = selectors.card_for(request.user, card_id)
        action = request.POST.get("action")
        if action == "default":
            bank.card_set_default(card=card)
        elif action == "rename":
            bank.card_rename(card=card, nickname=request.POST.get("nickname", ""))
        elif action == "remove":
            bank.card_remove(card=card)
        elif action == "balance":
            money = bank.card_bank_balance(card=card)
            messages.info(
                request,
                _("Bank balance of %(card)s: %(amount)s")
                % {"card": card, "amount": money.format()},
            )
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect("wallet-cards")
