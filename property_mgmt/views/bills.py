"""Managers' pages of one bill (lines, history, adjust / waive / cancel) and the one-off
bill form: thin. The rules are in ``property_mgmt.services.bills``.

Adjusting and issuing carry the form's own Idempotency-Key (a hidden field), so a
double-tapped button adjusts or bills once. Every page is scoped to the estates the caller
manages: any other estate, or another estate's bill, is 404.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community.auth import signed_in_user
from community.models import Neighbourhood
from core.errors import ApplicationError
from core.money import Money
from property_mgmt.api.bills import render_estate_bill
from property_mgmt.errors import BillNotChangeable
from property_mgmt.models import Bill, Unit
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.services import bills
from wallet.forms import AmountField, IdempotentForm
from wallet.services.idempotency import Replayed
from wallet.views.common import page_idempotency, show_error

MAX_YUAN = Decimal(bills.MAX_LINE_MINOR) / 100

# --- forms (shapes of input only) ----------------------------------------------------------


class SignedAmountField(forms.CharField):
    """Yuan to add (``25.50``) or take off (``-25.50``), cleaned to fen; never a float."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "-0.00"})
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int:
        text = (super().clean(value) or "").strip().replace(",", "").replace("¥", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount such as 25.50 or -25.50.")) from None
        exponent = amount.as_tuple().exponent
        if (
            not amount.is_finite()
            or amount == 0
            or abs(amount) > MAX_YUAN
            or (isinstance(exponent, int) and exponent < -2)
        ):
            raise forms.ValidationError(_("Enter an amount such as 25.50 or -25.50."))
        return Money.from_decimal(amount).minor


class BillAdjustForm(IdempotentForm):
    amount = SignedAmountField(
        label=gettext_lazy("Amount (yuan)"),
        help_text=gettext_lazy("Positive adds to the bill, negative takes off."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=bills.MAX_REASON)


class BillReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=bills.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AdhocBillForm(IdempotentForm):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=gettext_lazy("Unit"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    due_date = forms.DateField(
        label=gettext_lazy("Due"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, estate: Neighbourhood, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = bills.estate_units(estate)  # type: ignore[attr-defined]

    def clean_due_date(self) -> Any:
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due


class AdhocLineForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("What for"), max_length=200)
    amount = AmountField(label=gettext_lazy("Amount (yuan)"))


AdhocLineFormSet = formset_factory(
    AdhocLineForm, extra=3, min_num=1, validate_min=True, max_num=bills.MAX_ADHOC_LINES
)


# --- pages ---------------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    estate: Neighbourhood,
    bill: Bill,
    *,
    adjust_form: BillAdjustForm | None = None,
    waive_form: BillReasonForm | None = None,
    cancel_form: BillReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "property_mgmt/bills/detail.html",
        {
            "estate": estate,
            "bill": bill,
            "changeable": bills.is_changeable(bill),
            "adjust_form": adjust_form or BillAdjustForm(),
            "waive_form": waive_form or BillReasonForm(prefix="waive"),
            "cancel_form": cancel_form or BillReasonForm(prefix="cancel"),
        },
        status=status,
    )


def _scoped(request: HttpRequest, neighbourhood_id: int, bill_id: int) -> tuple[Any, Any, Bill]:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, neighbourhood_id)
    return user, estate, bills.estate_bill(neighbourhood_id=estate.pk, bill_id=bill_id)


def _back(bill: Bill) -> HttpResponse:
    return redirect("estate-bill-detail", bill.neighbourhood_id, bill.pk)


def _settled(request: HttpRequest, bill: Bill, error: ApplicationError) -> HttpResponse:
    """Paid, waived or cancelled meanwhile: the form no longer applies, so say so above the
    bill as it now stands."""
    messages.error(request, str(error.message))
    return _back(bill)


@login_required
@require_GET
def bill_detail(request: HttpRequest, neighbourhood_id: int, bill_id: int) -> HttpResponse:
    _user, estate, bill = _scoped(request, neighbourhood_id, bill_id)
    return _detail(request, estate, bill)


@login_required
@require_POST
def bill_adjust(request: HttpRequest, neighbourhood_id: int, bill_id: int) -> HttpResponse:
    user, estate, bill = _scoped(request, neighbourhood_id, bill_id)
    form = BillAdjustForm(request.POST)
    if form.is_valid():
        try:
            bills.bill_adjust(
                manager=user,
                bill=bill,
                amount_minor=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                idempotency=page_idempotency(request, form, render_estate_bill),
            )
        except Replayed as replay:
            if "error" in replay.body:
                messages.error(request, replay.body["error"]["message"])
            return _back(bill)
        except BillNotChangeable as error:
            return _settled(request, bill, error)
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("The bill was adjusted."))
            return _back(bill)
    return _detail(request, estate, bill, adjust_form=form, status=422)


def _close(
    request: HttpRequest, neighbourhood_id: int, bill_id: int, *, waive: bool
) -> HttpResponse:
    user, estate, bill = _scoped(request, neighbourhood_id, bill_id)
    form = BillReasonForm(request.POST, prefix="waive" if waive else "cancel")
    if form.is_valid():
        action = bills.bill_waive if waive else bills.bill_cancel
        try:
            action(manager=user, bill=bill, reason=form.cleaned_data["reason"])
        except BillNotChangeable as error:
            return _settled(request, bill, error)
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(
                request, _("The bill was waived.") if waive else _("The bill was cancelled.")
            )
            return _back(bill)
    if waive:
        return _detail(request, estate, bill, waive_form=form, status=422)
    return _detail(request, estate, bill, cancel_form=form, status=422)


@login_required
@require_POST
def bill_waive(request: HttpRequest, neighbourhood_id: int, bill_id: int) -> HttpResponse:
    return _close(request, neighbourhood_id, bill_id, waive=True)


@login_required
@require_POST
def bill_cancel(request: HttpRequest, neighbourhood_id: int, bill_id: int) -> HttpResponse:
    return _close(request, neighbourhood_id, bill_id, waive=False)


@login_required
@require_http_methods(["GET", "POST"])
def bill_new(request: HttpRequest, neighbourhood_id: int) -> HttpResponse:
    user = signed_in_user(request)
    estate = managed_neighbourhood(user, neighbourhood_id)
    form = AdhocBillForm(request.POST or None, estate=estate)
    lines = AdhocLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        entries = [
            bills.AdhocLine(line["description"], line["amount"])
            for line in lines.cleaned_data
            if line and not line.get("DELETE")
        ]
        try:
            created = bills.bill_create_adhoc(
                manager=user,
                unit=form.cleaned_data["unit"],
                title=form.cleaned_data["title"],
                lines=entries,
                due_date=form.cleaned_data["due_date"],
                idempotency=page_idempotency(request, form, render_estate_bill),
            )
        except Replayed as replay:
            if "error" in replay.body:
                messages.error(request, replay.body["error"]["message"])
                return redirect("estate-bill-new", estate.pk)
            return redirect("estate-bill-detail", estate.pk, replay.body["id"])
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("The bill was issued."))
            return redirect("estate-bill-detail", estate.pk, created.pk)
    return render(
        request,
        "property_mgmt/bills/new.html",
        {"estate": estate, "form": form, "lines": lines},
        status=422 if request.method == "POST" else 200,
    )
