"""Verification pages: the resident's own (/verify/), the operator's, and the estate staff's
in-person check. Thin: forms in, services called, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from community.auth import signed_in_user
from community.models import IdentityRecord, Neighbourhood, User
from community.selectors import staff_neighbourhood_ids
from community.services import verification as services
from community.verification import forms, selectors
from core.errors import ApplicationError, NotFound


def _show_error(form: Any, error: ApplicationError) -> None:
    """Field errors beside their field, the rest above the form."""
    shown = False
    for name, messages_ in error.fields.items():
        if name in form.fields:
            for message in messages_:
                form.add_error(name, str(message))
            shown = True
    if not shown:
        form.add_error(None, str(error.message))


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = forms.IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.identity_submit(user=user, **form.cleaned_data)
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Your identity is confirmed."))
            return redirect("verify")
    return render(
        request,
        "community/verification/verify.html",
        {"form": form, "status": selectors.verification_status(user)},
    )


def _operator(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not user.is_operator:
        raise PermissionDenied
    return user


@login_required
@require_http_methods(["GET", "POST"])
def operator_verification(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    action = request.POST.get("action", "")
    lookup_form = forms.LookupForm(request.POST if action == "lookup" else None)
    level_form = forms.OperatorLevelForm(request.POST if action == "level" else None)
    found: User | None = None
    searched = False
    if action == "lookup" and lookup_form.is_valid():
        # POST, so that an identity number never lands in a URL or an access log.
        searched = True
        found = selectors.user_lookup(lookup_form.cleaned_data["query"])
        lookup_form = forms.LookupForm()  # not echoed back: it may be an identity number
    elif action == "level" and level_form.is_valid():
        found = User.objects.filter(pk=level_form.cleaned_data["user_id"]).first()
        if found is None:
            raise NotFound()
        try:
            services.level_set_by_operator(
                operator=operator,
                user=found,
                level=level_form.cleaned_data["level"],
                reason=level_form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            _show_error(level_form, error)
        else:
            messages.success(request, _("Level changed."))
            return redirect(f"{reverse('operator-verification')}?user={found.pk}")
    elif request.GET.get("user", "").isdigit():
        found = User.objects.filter(pk=int(request.GET["user"])).first()
    record = IdentityRecord.objects.filter(user_id=found.pk).first() if found else None
    if found is not None and not level_form.is_bound:
        level_form = forms.OperatorLevelForm(
            initial={"user_id": found.pk, "level": found.verification_level}
        )
    return render(
        request,
        "community/verification/operator.html",
        {
            "lookup_form": lookup_form,
            "level_form": level_form,
            "found": found,
            "searched": searched,
            "record": record,
            "history": selectors.level_history(found) if found else [],
        },
    )


def _staff_estate(request: HttpRequest, neighbourhood_id: int) -> Neighbourhood:
    """The estate if the signed-in user is its staff; 404 for anyone else's."""
    if neighbourhood_id not in staff_neighbourhood_ids(request.user):
        raise NotFound()
    return Neighbourhood.objects.get(pk=neighbourhood_id)


@login_required
@require_http_methods(["GET", "POST"])
def in_person_check(request: HttpRequest, neighbourhood_id: int) -> HttpResponse:
    staff = signed_in_user(request)
    estate = _staff_estate(request, neighbourhood_id)
    phone_form = forms.ResidentPhoneForm(request.GET if "phone" in request.GET else None)
    confirm_form = forms.InPersonConfirmForm(request.POST or None)
    resident: User | None = None
    searched = False
    if request.method == "POST" and confirm_form.is_valid():
        resident = selectors.estate_resident(estate.pk, confirm_form.cleaned_data["phone"])
        if resident is None:
            raise NotFound()
        try:
            services.in_person_confirm(staff=staff, user=resident, neighbourhood=estate)
        except ApplicationError as error:
            _show_error(confirm_form, error)
        else:
            messages.success(
                request, _("Confirmed in person: %(name)s") % {"name": resident.real_name}
            )
            return redirect("estate-in-person-check", neighbourhood_id=estate.pk)
    elif request.method == "POST":
        resident = selectors.estate_resident(estate.pk, request.POST.get("phone", ""))
    elif phone_form.is_bound and phone_form.is_valid():
        searched = True
        resident = selectors.estate_resident(estate.pk, phone_form.cleaned_data["phone"])
        confirm_form = forms.InPersonConfirmForm(
            initial={"phone": phone_form.cleaned_data["phone"]}
        )
    record = IdentityRecord.objects.filter(user_id=resident.pk).first() if resident else None
    return render(
        request,
        "community/verification/in_person.html",
        {
            "estate": estate,
            "phone_form": phone_form,
            "confirm_form": confirm_form,
            "resident": resident,
            "record": record,
            "searched": searched,
        },
    )
