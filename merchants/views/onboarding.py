"""Onboarding pages: apply for a shop, the owner's staff page, my invitations, the
operators' application queue, and an estate's shop directory. Thin: the rules are in
``merchants.services.onboarding``; the reads in ``merchants.selectors_directory``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.auth import signed_in_user
from community.models import Neighbourhood, User
from community.phones import display_phone
from core.errors import ApplicationError
from merchants import selectors_directory as reads
from merchants.models import Shop
from merchants.services import onboarding as services

PAGE_SIZE = 30


# --- forms -----------------------------------------------------------------------------------


class ApplyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Shop name"), max_length=100)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Shop.Category.choices)
    neighbourhood = forms.TypedChoiceField(label=gettext_lazy("Neighbourhood"), coerce=int)
    address = forms.CharField(label=gettext_lazy("Shop address"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What the shop offers"), max_length=300, required=False
    )
    business_name = forms.CharField(
        label=gettext_lazy("Registered business name"),
        max_length=100,
        help_text=gettext_lazy("As printed on the business licence."),
    )
    credit_code = forms.CharField(
        label=gettext_lazy("Unified social credit code"),
        max_length=30,
        help_text=gettext_lazy("18 characters, on the business licence."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    settlement_card = forms.TypedChoiceField(
        label=gettext_lazy("Settlement card"),
        coerce=int,
        help_text=gettext_lazy("Your takings are paid out to this card."),
    )

    def __init__(self, *args: Any, cards: list[Any], estates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["settlement_card"].choices = [(card.pk, str(card)) for card in cards]  # type: ignore[attr-defined]
        self.fields["neighbourhood"].choices = [(e.pk, e.name) for e in estates]  # type: ignore[attr-defined]


class InviteForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Required to reject; shown to the applicant."),
    )


def _show_errors(form: forms.Form, error: ApplicationError) -> None:
    if not error.fields:
        form.add_error(None, str(error.message))
    for name, errors in error.fields.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, str(message))


def _operator(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not user.is_operator:
        raise PermissionDenied
    return user


# --- applying --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def shop_apply(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    cards = list(reads.settlement_cards(user))
    estates = list(Neighbourhood.objects.order_by("name"))
    form = ApplyForm(request.POST or None, cards=cards, estates=estates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shop = services.shop_apply(
                owner=user,
                name=data["name"],
                business_name=data["business_name"],
                credit_code=data["credit_code"],
                category=data["category"],
                neighbourhood=next(e for e in estates if e.pk == data["neighbourhood"]),
                address=data["address"],
                description=data["description"],
                settlement_card=reads.card_for_application(data["settlement_card"]),
            )
        except ApplicationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request,
                _("Thank you: %(name)s is waiting for review. We will tell you the outcome.")
                % {"name": shop.name},
            )
            return redirect("merchant-home")
    return render(
        request,
        "merchants/onboarding/apply.html",
        {
            "form": form,
            "verified": user.verification_level >= User.VerificationLevel.I,
            "has_cards": bool(cards),
        },
    )


# --- staff -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def staff_page(request: HttpRequest, shop_id: int) -> HttpResponse:
    user = signed_in_user(request)
    shop = reads.staffed_shop(user, shop_id)
    is_owner = services.is_shop_owner(user, shop)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.staff_invite(owner=user, shop=shop, phone=form.cleaned_data["phone"])
            except ApplicationError as error:
                _show_errors(form, error)
            else:
                messages.success(request, _("Invitation sent."))
                return redirect("merchant-staff", shop.pk)
    staff = [(member, display_phone(member.user.phone)) for member in reads.shop_staff(shop)]
    invites = [(invite, display_phone(invite.phone)) for invite in reads.shop_invites(shop)]
    return render(
        request,
        "merchants/onboarding/staff.html",
        {"shop": shop, "is_owner": is_owner, "form": form, "staff": staff, "invites": invites},
    )


@login_required
@require_POST
def invite_revoke(request: HttpRequest, shop_id: int, invite_id: int) -> HttpResponse:
    user = signed_in_user(request)
    shop = reads.staffed_shop(user, shop_id)
    invite = reads.shop_invite(shop, invite_id)
    try:
        services.invite_revoke(owner=user, invite=invite)
    except ApplicationError as error:
        if error.status_code == 403:
            raise PermissionDenied from None
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("merchant-staff", shop.pk)


@login_required
@require_POST
def staff_remove(request: HttpRequest, shop_id: int, staff_id: int) -> HttpResponse:
    user = signed_in_user(request)
    shop = reads.staffed_shop(user, shop_id)
    member = reads.shop_staff_member(shop, staff_id)
    try:
        services.staff_remove(owner=user, staff=member)
    except ApplicationError as error:
        if error.status_code == 403:
            raise PermissionDenied from None
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(person)s no longer works here.") % {"person": member.user})
    return redirect("merchant-staff", shop.pk)


# --- my invitations --------------------------------------------------------------------------


@login_required
@require_GET
def my_invites(request: HttpRequest) -> HttpResponse:
    invites = list(reads.my_invites(signed_in_user(request)))
    return render(request, "merchants/onboarding/invites.html", {"invites": invites})


@login_required
@require_POST
def invite_accept(request: HttpRequest, invite_id: int) -> HttpResponse:
    user = signed_in_user(request)
    invite = reads.my_invite(user, invite_id)
    try:
        services.invite_accept(user=user, invite=invite)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("merchant-invites")
    messages.success(request, _("You now work at %(shop)s.") % {"shop": invite.shop.name})
    return redirect("merchant-home")


# --- operators -------------------------------------------------------------------------------


@login_required
@require_GET
def operator_queue(request: HttpRequest) -> HttpResponse:
    _operator(request)
    page = Paginator(reads.pending_applications(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "merchants/onboarding/operator_queue.html",
        {"page": page, "form": ReviewForm()},
    )


@login_required
@require_POST
def operator_review(request: HttpRequest, shop_id: int) -> HttpResponse:
    operator = _operator(request)
    shop = reads.pending_application(shop_id)
    form = ReviewForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.shop_review(operator=operator, shop=shop, approve=approve, reason=reason)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        if approve:
            messages.success(request, _("%(name)s is approved.") % {"name": shop.name})
        else:
            messages.success(request, _("%(name)s was rejected.") % {"name": shop.name})
    return redirect("operator-shops")


# --- the directory ---------------------------------------------------------------------------


@login_required
@require_GET
def directory(request: HttpRequest, estate_id: int) -> HttpResponse:
    category = request.GET.get("category", "")
    search = request.GET.get("q", "")[:100]
    estate, entries = reads.directory_shops(
        signed_in_user(request), estate_id, category=category, search=search
    )
    return render(
        request,
        "merchants/onboarding/directory.html",
        {
            "estate": estate,
            "entries": entries,
            "categories": Shop.Category.choices,
            "category": category if category in Shop.Category.values else "",
            "search": search,
        },
    )
