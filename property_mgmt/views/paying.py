"""Residents' pages: my bills (pay several at once), a bill, its receipt, auto-pay.

Thin: the rules are in ``property_mgmt.services.paying`` and ``.autopay``. Paying is two
steps, as on the wallet's pay page: tick bills and review the total (what the wallet would
charge and whether it needs the PIN), then confirm, with the PIN when needed. The confirm
form carries its own Idempotency-Key, so a double-tapped "Pay" pays once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from community.auth import signed_in_user
from core.errors import ApplicationError, NotFound
from core.money import Money
from property_mgmt import receipts
from property_mgmt.api.paying import receipt_pdf_response, render_bills_paid
from property_mgmt.models import Bill
from property_mgmt.services import autopay, paying
from wallet.errors import PinNotSet, PinRequired
from wallet.forms import AmountField, IdempotentForm, PinField
from wallet.services import payments
from wallet.services.idempotency import Replayed
from wallet.views.common import page_idempotency, show_error

PAID_SHOWN = 24

# --- forms (shapes of input only) ----------------------------------------------------------


class BillIdsField(forms.MultipleChoiceField):
    """Bill ids as ticked; which of them the resident may pay is the service's to say."""

    widget = forms.MultipleHiddenInput

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) < 19

    def clean(self, value: Any) -> list[int]:
        return sorted({int(item) for item in super().clean(value)})


class BillsReviewForm(forms.Form):
    bills = BillIdsField(error_messages={"required": gettext_lazy("Choose at least one bill.")})


class BillsPayForm(IdempotentForm):
    bills = BillIdsField()
    # The total shown on the review step: what the resident agreed to pay.
    total = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    pin = PinField(required=False)


class AutoPayConsentForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    cap = AmountField(
        label=gettext_lazy("Pay at most a month"),
        help_text=gettext_lazy("Bills above what is left of this cap are not paid automatically."),
    )


class AutoPayWithdrawForm(forms.Form):
    consent = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- my bills ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_bills(request: HttpRequest) -> HttpResponse:
    """Open bills with a checkbox each and a running total; paid bills below. A POST of
    ticked bills shows the review step; a POST from the review step pays."""
    user = signed_in_user(request)
    if request.method == "POST" and "confirm" in request.POST:
        return _pay(request, user)
    if request.method == "POST":
        review = BillsReviewForm(request.POST)
        if review.is_valid():
            try:
                bills = paying.bills_to_pay(user, review.cleaned_data["bills"])
            except ApplicationError as error:
                messages.error(request, str(error.message))
            else:
                form = BillsPayForm(
                    initial={
                        "bills": [bill.pk for bill in bills],
                        "total": sum(bill.total_minor for bill in bills),
                    }
                )
                return _confirm_page(request, user, form, bills, ask_pin=False)
        else:
            messages.error(request, _("Choose at least one bill."))
        return redirect("my-bills")
    open_bills = list(
        paying.resident_bills(user).filter(status__in=paying.PAYABLE).order_by("due_date", "pk")
    )
    paid_bills = list(
        paying.resident_bills(user, status=Bill.Status.PAID).order_by("-paid_at", "-pk")[
            :PAID_SHOWN
        ]
    )
    return render(
        request,
        "property_mgmt/paying/bills.html",
        {
            "open_bills": open_bills,
            "paid_bills": paid_bills,
            "open_total": sum(bill.total_minor for bill in open_bills),
            # Ticked from the start when they can be paid together (one estate, one payee).
            "tick_all": len({bill.neighbourhood_id for bill in open_bills}) == 1,
        },
    )


def _confirm_page(
    request: HttpRequest, user: Any, form: BillsPayForm, bills: list[Bill], *, ask_pin: bool
) -> HttpResponse:
    total = sum(bill.total_minor for bill in bills)
    preview = None
    try:
        preview = payments.payment_preview(
            payer=user,
            payee=paying.payee_for(bills[0]),
            amount_minor=total,
            currency=paying.CURRENCY,
        )
    except ApplicationError as error:
        show_error(form, error)
    return render(
        request,
        "property_mgmt/paying/confirm.html",
        {
            "form": form,
            "bills": bills,
            "total": total,
            "preview": preview,
            "ask_pin": ask_pin or (preview is not None and preview.needs_pin),
        },
    )


def _pay(request: HttpRequest, user: Any) -> HttpResponse:
    form = BillsPayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose at least one bill."))
        return redirect("my-bills")
    values = form.cleaned_data
    try:
        result = paying.bills_pay(
            user=user,
            bills=values["bills"],
            pin=values.get("pin") or None,
            expected_total_minor=values["total"],
            idempotency=page_idempotency(request, form, render_bills_paid),
        )
    except Replayed as replay:
        # A second submit of the same form: say how the first one ended.
        if "error" in replay.body:
            messages.error(request, replay.body["error"]["message"])
        else:
            messages.success(request, _("Paid."))
        return redirect("my-bills")
    except (PinRequired, PinNotSet) as error:
        return _retry_page(request, user, form, error, ask_pin=True)
    except ApplicationError as error:
        if error.status_code in (404, 409):
            # Paid by a family member meanwhile, changed, or not theirs: start again.
            messages.error(request, str(error.message))
            return redirect("my-bills")
        _fresh_key(form)
        return _retry_page(request, user, form, error, ask_pin=bool(values.get("pin")))
    messages.success(
        request,
        _("Paid %(count)s bill(s). Receipts are below.") % {"count": len(result.bills)},
    )
    return redirect("my-bills")


def _retry_page(
    request: HttpRequest, user: Any, form: BillsPayForm, error: ApplicationError, *, ask_pin: bool
) -> HttpResponse:
    try:
        bills = paying.bills_to_pay(user, form.cleaned_data["bills"])
    except ApplicationError as gone:
        messages.error(request, str(gone.message))
        return redirect("my-bills")
    show_error(form, error)
    return _confirm_page(request, user, form, bills, ask_pin=ask_pin)


def _fresh_key(form: IdempotentForm) -> None:
    """After a refusal the corrected form is a new operation: give it a new key (the
    refusal is stored under the old one)."""
    data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict on a bound form
    data["idempotency_key"] = uuid.uuid4().hex
    form.data = data


# --- one bill and its receipt --------------------------------------------------------------


@login_required
def my_bill(request: HttpRequest, bill_id: int) -> HttpResponse:
    bill = paying.resident_bill(signed_in_user(request), bill_id)
    return render(
        request,
        "property_mgmt/paying/bill.html",
        {
            "bill": bill,
            "lines": list(bill.lines.all()),
            "payable": bill.status in paying.PAYABLE,
        },
    )


@login_required
def my_bill_receipt(request: HttpRequest, bill_id: int) -> HttpResponse:
    bill = paying.resident_bill(signed_in_user(request), bill_id)
    if bill.status != Bill.Status.PAID:
        raise NotFound()
    return render(
        request, "property_mgmt/paying/receipt.html", {"receipt": receipts.bill_receipt(bill)}
    )


@login_required
def my_bill_receipt_pdf(request: HttpRequest, bill_id: int) -> HttpResponse:
    return receipt_pdf_response(request, paying.resident_bill(signed_in_user(request), bill_id))


# --- auto-pay ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_autopay(request: HttpRequest) -> HttpResponse:
    """One row per household unit: its consent and cap, a form to set or change the cap,
    a button to withdraw; the latest attempts below."""
    user = signed_in_user(request)
    failed: dict[int, AutoPayConsentForm] = {}
    if request.method == "POST" and "withdraw" in request.POST:
        withdraw = AutoPayWithdrawForm(request.POST)
        if withdraw.is_valid():
            autopay.autopay_withdraw(
                user=user, consent=autopay.resident_consent(user, withdraw.cleaned_data["consent"])
            )
            messages.success(request, _("Auto-pay is off for this unit."))
        return redirect("my-bills-autopay")
    if request.method == "POST":
        form = AutoPayConsentForm(request.POST, auto_id=f"unit-{request.POST.get('unit')}-%s")
        if form.is_valid():
            unit = autopay.resident_unit(user, form.cleaned_data["unit"])
            try:
                consent = autopay.autopay_consent(
                    user=user, unit=unit, monthly_cap_minor=form.cleaned_data["cap"]
                )
            except ApplicationError as error:
                show_error(form, error)
            else:
                messages.success(
                    request,
                    _("Auto-pay is on for %(unit)s.") % {"unit": consent.unit},
                )
                return redirect("my-bills-autopay")
        unit_id = form.data.get("unit", "")
        if str(unit_id).isdigit():
            failed[int(unit_id)] = form
    consents = {consent.unit_id: consent for consent in autopay.resident_consents(user)}
    rows = [
        {
            "unit": unit,
            "consent": consents.get(unit.pk),
            "form": failed.get(unit.pk)
            or AutoPayConsentForm(
                initial={
                    "unit": unit.pk,
                    "cap": _yuan(consents[unit.pk].monthly_cap_minor)
                    if unit.pk in consents
                    else "",
                },
                auto_id=f"unit-{unit.pk}-%s",
            ),
        }
        for unit in autopay.resident_units(user)
    ]
    attempts = autopay.resident_attempts(user)[:10]
    return render(
        request, "property_mgmt/paying/autopay.html", {"rows": rows, "attempts": attempts}
    )


def _yuan(amount_minor: int) -> str:
    return str(Money(amount_minor).to_decimal())
