"""Offer pages: the owner's campaigns of a shop (results, create, pause, resume, end), the
offers of an estate for a resident (claim), and a resident's coupons. Thin: the rules are
in ``merchants.services.offers``, the reads in ``merchants.selectors_offers``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.auth import signed_in_user
from core.errors import ApplicationError, NotFound
from merchants import selectors_offers as reads
from merchants.models import Campaign, Coupon
from merchants.services import offers as services
from wallet.forms import AmountField, IdempotentForm
from wallet.services.idempotency import Replayed
from wallet.views.common import page_idempotency

# The service's field names → this form's.
FORM_FIELDS = {
    "amount_minor": "amount",
    "min_spend_minor": "min_spend",
    "budget_minor": "budget",
    "building_refs": "buildings",
}


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Campaign.Kind.choices)
    amount = AmountField(
        label=gettext_lazy("Amount off"),
        help_text=gettext_lazy("Percent off: the most one coupon takes off. Spend X: the Y."),
    )
    percent = forms.IntegerField(
        label=gettext_lazy("Percent off"), min_value=1, max_value=99, required=False
    )
    min_spend = AmountField(
        label=gettext_lazy("Minimum spend"),
        required=False,
        help_text=gettext_lazy("Spend X, save Y: the X."),
    )
    budget_count = forms.IntegerField(
        label=gettext_lazy("Coupons available"), min_value=1, max_value=1_000_000
    )
    budget = AmountField(
        label=gettext_lazy("Discount budget"),
        help_text=gettext_lazy("The most all coupons together may take off."),
    )
    per_resident_limit = forms.IntegerField(
        label=gettext_lazy("Coupons per resident"), min_value=1, max_value=99, initial=1
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Empty: now."),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    audience = forms.ChoiceField(
        label=gettext_lazy("Who it is for"),
        choices=Campaign.Audience.choices,
        initial="neighbourhood",
    )
    buildings = forms.CharField(
        label=gettext_lazy("Buildings"),
        required=False,
        help_text=gettext_lazy("Building numbers, separated by commas."),
    )
    circle = forms.TypedChoiceField(
        label=gettext_lazy("Circle"), coerce=int, required=False, empty_value=None
    )
    lapsed_days = forms.IntegerField(
        label=gettext_lazy("Days since the last visit"), min_value=1, max_value=365, initial=30
    )
    verified_only = forms.BooleanField(
        label=gettext_lazy("Verified residents only"), required=False
    )

    def __init__(self, *args: Any, circles: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["circle"].choices = [("", "—")] + [(c.pk, c.name) for c in circles]  # type: ignore[attr-defined]

    def clean_buildings(self) -> list[int]:
        text = self.cleaned_data.get("buildings") or ""
        parts = [part for part in text.replace("，", ",").split(",") if part.strip()]
        if not all(part.strip().isdigit() for part in parts):
            raise forms.ValidationError(_("Building numbers, separated by commas."))
        return [int(part) for part in parts]


class ClaimForm(IdempotentForm):
    pass


def _show_errors(form: forms.Form, error: ApplicationError) -> None:
    if not error.fields:
        form.add_error(None, str(error.message))
    for name, errors in error.fields.items():
        field = FORM_FIELDS.get(name, name)
        for message in errors:
            form.add_error(field if field in form.fields else None, str(message))


def _owner_shop(request: HttpRequest, shop_id: int) -> Any:
    try:
        return reads.owner_shop(signed_in_user(request), shop_id)
    except ApplicationError as error:
        if error.status_code == 403:
            raise PermissionDenied from None
        raise


# --- the owner's campaigns -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaigns(request: HttpRequest, shop_id: int) -> HttpResponse:
    """The shop's campaigns with their results, and a form for a new one (owner only)."""
    user = signed_in_user(request)
    shop = _owner_shop(request, shop_id)
    circles = list(reads.estate_circles(shop))
    form = CampaignForm(request.POST or None, circles=circles)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.campaign_create(
                owner=user,
                shop=shop,
                name=data["name"],
                kind=data["kind"],
                amount_minor=data["amount"],
                percent=data.get("percent"),
                min_spend_minor=data.get("min_spend") or 0,
                budget_count=data["budget_count"],
                budget_minor=data["budget"],
                per_resident_limit=data["per_resident_limit"],
                starts_at=data.get("starts_at"),
                ends_at=data["ends_at"],
                audience=data["audience"],
                building_refs=data.get("buildings") or [],
                circle_id=data.get("circle"),
                lapsed_days=data["lapsed_days"],
                verified_only=data["verified_only"],
            )
        except ApplicationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("%(name)s is running.") % {"name": made.name})
            return redirect("merchant-campaigns", shop.pk)
    return render(
        request,
        "merchants/offers/campaigns.html",
        {"shop": shop, "form": form, "campaigns": list(reads.shop_campaigns(shop))},
    )


MOVES = {
    "pause": (services.campaign_pause, gettext_lazy("Paused.")),
    "resume": (services.campaign_resume, gettext_lazy("Running again.")),
    "end": (services.campaign_end, gettext_lazy("Ended.")),
}


@login_required
@require_POST
def campaign_move(request: HttpRequest, shop_id: int, campaign_id: int, move: str) -> HttpResponse:
    if move not in MOVES:
        raise NotFound()
    user = signed_in_user(request)
    shop = _owner_shop(request, shop_id)
    campaign = reads.shop_campaign(shop, campaign_id)
    service, done = MOVES[move]
    try:
        service(owner=user, campaign=campaign)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, str(done))
    return redirect("merchant-campaigns", shop.pk)


# --- residents -------------------------------------------------------------------------------


@login_required
@require_GET
def estate_offers(request: HttpRequest, estate_id: int) -> HttpResponse:
    """The estate's running offers the resident may claim, with how many are left."""
    estate, rows = reads.estate_offers(signed_in_user(request), estate_id)
    return render(
        request,
        "merchants/offers/estate_offers.html",
        {"estate": estate, "offers": rows, "form": ClaimForm()},
    )


@login_required
@require_POST
def offer_claim(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = signed_in_user(request)
    campaign = reads.claimable_campaign(user, campaign_id)
    back = redirect("estate-offers", campaign.shop.neighbourhood_id)
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return back
    try:
        services.coupon_claim(
            user=user,
            campaign=campaign,
            idempotency=page_idempotency(request, form, lambda coupon: {"id": coupon.pk}),
        )
    except Replayed as replay:
        if "id" not in replay.body:
            messages.error(request, replay.body["error"]["message"])
            return back
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return back
    messages.success(
        request,
        _("Coupon claimed: it applies by itself when you pay %(shop)s.")
        % {"shop": campaign.shop.name},
    )
    return back


@login_required
@require_GET
def my_coupons(request: HttpRequest) -> HttpResponse:
    """The resident's coupons: usable (or paused), used, expired."""
    now = timezone.now()
    groups: dict[str, list[tuple[Coupon, str]]] = {"usable": [], "used": [], "expired": []}
    for coupon in reads.my_coupons(signed_in_user(request)):
        state = services.coupon_state(coupon, now)
        groups["usable" if state == "paused" else state].append((coupon, state))
    return render(request, "merchants/offers/my_coupons.html", {"groups": groups})
