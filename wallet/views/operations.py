"""Less frequent procedures (exchange, holds, refunds) and the operator console."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from wallet import forms, renderers, selectors
from wallet.models import CorrectionProposal, FxQuote, FxRate, JournalTransaction
from wallet.services import corrections, fx, payments
from wallet.services.idempotency import Replayed
from wallet.views.common import page_idempotency, show_error


@login_required
@require_http_methods(["GET", "POST"])
def exchange(request: HttpRequest) -> HttpResponse:
    quote_form = forms.QuoteForm(request.POST if "quote" in request.POST else None)
    convert_form = forms.ConvertForm(request.POST if "convert" in request.POST else None)
    quote = None
    if "quote" in request.POST and quote_form.is_valid():
        try:
            quote = fx.quote_create(
                user=request.user,
                sell_currency=quote_form.cleaned_data["sell_currency"],
                buy_currency=quote_form.cleaned_data["buy_currency"],
                sell_minor=quote_form.cleaned_data["amount"],
            )
            convert_form = forms.ConvertForm(initial={"quote_id": quote.pk})
        except ApplicationError as error:
            show_error(quote_form, error)
    if "convert" in request.POST and convert_form.is_valid():
        quote = FxQuote.objects.filter(
            pk=convert_form.cleaned_data["quote_id"], user_id=int(request.user.pk or 0)
        ).first()
        try:
            fx.conversion_execute(
                user=request.user,
                quote_id=convert_form.cleaned_data["quote_id"],
                pin=convert_form.cleaned_data.get("pin") or None,
                idempotency=page_idempotency(request, convert_form, renderers.conversion_result),
            )
        except ApplicationError as error:
            show_error(convert_form, error)
        except Replayed as replay:  # a double submit: say what the first one came to
            if "error" in replay.body:
                messages.error(request, replay.body["error"]["message"])
            else:
                messages.success(request, _("Exchanged."))
            return redirect("wallet-home")
        else:
            messages.success(request, _("Exchanged."))
            return redirect("wallet-home")
    return render(
        request,
        "wallet/exchange.html",
        {
            "quote_form": quote_form,
            "convert_form": convert_form,
            "quote": quote,
            "balances": selectors.balances(request.user),
        },
    )


@login_required
def holds(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "wallet/holds.html",
        {"holds": selectors.holds(request.user)[:100], "capture_form": forms.CaptureForm()},
    )


@login_required
@require_POST
def hold_action(request: HttpRequest, hold_id: int) -> HttpResponse:
    try:
        if request.POST.get("action") == "capture":
            hold = selectors.hold_for(request.user, hold_id, as_payee=True)
            form = forms.CaptureForm(request.POST)
            if form.is_valid():
                payments.hold_capture(
                    hold=hold,
                    amount_minor=form.cleaned_data["amount"],
                    idempotency=page_idempotency(request, form, renderers.payment_result),
                )
                messages.success(request, _("Taken from the hold."))
        else:
            payments.hold_void(hold=selectors.hold_for(request.user, hold_id, as_payee=True))
            messages.success(request, _("The hold is released."))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    except Replayed:
        pass
    return redirect("wallet-holds")


@login_required
@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Refund (or cancel) a payment that was paid into your own wallet."""
    payment = selectors.payment_received_by(request.user, payment_id)
    form = forms.RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cancel = request.POST.get("action") == "cancel"
        try:
            service = payments.payment_cancel if cancel else payments.payment_refund
            kwargs = {} if cancel else {"amount_minor": form.cleaned_data["amount"]}
            result = service(
                payment=payment,
                reason=form.cleaned_data["reason"],
                actor_id=request.user.pk,
                idempotency=page_idempotency(request, form, renderers.refund_result),
                **kwargs,
            )
        except ApplicationError as error:
            show_error(form, error)
        except Replayed:
            return redirect("wallet-transaction", transaction_id=payment.transaction_id)
        else:
            messages.success(request, _("Refunded."))
            return redirect("wallet-transaction", transaction_id=result.transaction.pk)
    return render(request, "wallet/refund.html", {"payment": payment, "form": form})


@staff_member_required
@require_http_methods(["GET", "POST"])
def operator_console(request: HttpRequest) -> HttpResponse:
    rate_form = forms.FxRateForm(request.POST if request.POST.get("action") == "rate" else None)
    correction_form = forms.CorrectionForm(
        request.POST if request.POST.get("action") == "propose" else None
    )
    try:
        if request.POST.get("action") == "rate" and rate_form.is_valid():
            fx.rate_set(operator=request.user, **rate_form.cleaned_data)
            messages.success(request, _("Rate saved."))
            return redirect("wallet-operator")
        if request.POST.get("action") == "propose" and correction_form.is_valid():
            data = correction_form.cleaned_data
            corrects = (
                JournalTransaction.objects.filter(pk=data["corrects"]).first()
                if data["corrects"]
                else None
            )
            corrections.correction_propose(
                operator=request.user,
                legs=[
                    {"account_id": data["debit_account"], "amount_minor": -data["amount"]},
                    {"account_id": data["credit_account"], "amount_minor": data["amount"]},
                ],
                reason=data["reason"],
                corrects=corrects,
            )
            messages.success(request, _("Correction proposed. Another operator must approve it."))
            return redirect("wallet-operator")
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return render(
        request,
        "wallet/operator.html",
        {
            "rate_form": rate_form,
            "correction_form": correction_form,
            "rates": FxRate.objects.select_related("set_by").order_by("-created_at")[:20],
            "proposals": CorrectionProposal.objects.select_related(
                "proposed_by", "decided_by"
            ).order_by("-proposed_at")[:50],
        },
    )


@staff_member_required
@require_POST
def correction_decide(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(CorrectionProposal, pk=proposal_id)
    try:
        if request.POST.get("action") == "approve":
            corrections.correction_approve(
                operator=request.user, proposal=proposal, note=request.POST.get("note", "")
            )
            messages.success(request, _("Correction approved and posted."))
        else:
            corrections.correction_reject(
                operator=request.user, proposal=proposal, note=request.POST.get("note", "")
            )
            messages.success(request, _("Correction rejected."))
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect("wallet-operator")
