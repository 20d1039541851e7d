"""Wallet settings: PIN, limits, freezing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError
from wallet import forms
from wallet.services import profile
from wallet.views.common import show_error, yuan


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    wallet_profile = profile.wallet_profile(request.user)
    action = request.POST.get("action", "")
    pin_form = forms.PinSetForm(request.POST if action == "pin" else None)
    limits_form = forms.LimitsForm(
        request.POST if action == "limits" else None,
        initial={
            "no_pin_limit": yuan(wallet_profile.no_pin_limit_minor),
            "single_limit": yuan(wallet_profile.single_limit_minor),
            "daily_limit": yuan(wallet_profile.daily_limit_minor),
        },
    )
    unfreeze_form = forms.UnfreezeForm(request.POST if action == "unfreeze" else None)
    try:
        if action == "pin" and pin_form.is_valid():
            profile.pin_set(
                user=request.user,
                new_pin=pin_form.cleaned_data["new_pin"],
                current_pin=pin_form.cleaned_data.get("current_pin") or None,
            )
            messages.success(request, _("Your payment PIN is set."))
            return redirect("wallet-settings")
        if action == "limits" and limits_form.is_valid():
            profile.limits_update(
                user=request.user,
                no_pin_limit_minor=limits_form.cleaned_data["no_pin_limit"] or 0,
                single_limit_minor=limits_form.cleaned_data["single_limit"],
                daily_limit_minor=limits_form.cleaned_data["daily_limit"],
                pin=limits_form.cleaned_data["pin"],
            )
            messages.success(request, _("Your limits are saved."))
            return redirect("wallet-settings")
        if action == "freeze":
            profile.wallet_freeze(user=request.user)
            messages.warning(request, _("Your wallet is frozen. Nothing can be paid from it."))
            return redirect("wallet-settings")
        if action == "unfreeze" and unfreeze_form.is_valid():
            profile.wallet_unfreeze(user=request.user, **unfreeze_form.cleaned_data)
            messages.success(request, _("Your wallet is unfrozen."))
            return redirect("wallet-settings")
    except ApplicationError as error:
        target = {"pin": pin_form, "limits": limits_form, "unfreeze": unfreeze_form}.get(action)
        if target is not None:
            show_error(target, error)
        else:
            messages.error(request, str(error.message))
    return render(
        request,
        "wallet/settings.html",
        {
            "profile": wallet_profile,
            "pin_form": pin_form,
            "limits_form": limits_form,
            "unfreeze_form": unfreeze_form,
        },
    )
