"""Pages that move money: the wallet home, top-up, withdrawal, pay links, transfers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError
from core.money import Money
from wallet import forms, paylinks, renderers, selectors
from wallet.errors import PinRequired
from wallet.models import BankCard, Withdrawal
from wallet.services import bank, payments, profile
from wallet.services.accounts import masked_real_name
from wallet.services.idempotency import Replayed
from wallet.views.common import page_idempotency, show_error, yuan


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    recent = list(selectors.history(user)[:8])
    return render(
        request,
        "wallet/home.html",
        {
            "balances": selectors.balances(user),
            "recent": [(posting, selectors.counterparties(posting)) for posting in recent],
            "profile": profile.wallet_profile(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def topup(request: HttpRequest) -> HttpResponse:
    cards = selectors.cards(request.user).filter(status=BankCard.Status.VALID)
    form = forms.TopUpForm(request.POST or None, cards=cards, initial={"card": cards.first()})
    if request.method == "POST" and form.is_valid():
        status = ""
        try:
            result = bank.topup_create(
                user=request.user,
                card=form.cleaned_data["card"],
                amount_minor=form.cleaned_data["amount"],
                idempotency=page_idempotency(
                    request, form, renderers.topup_result, resource=lambda r: f"topup:{r.topup.pk}"
                ),
            )
            status = result.topup.status
        except Replayed as replay:
            status = replay.body.get("topup", {}).get("status", "")
        except ApplicationError as error:
            show_error(form, error)
        if status == "succeeded":
            messages.success(request, _("Money added to your wallet."))
            return redirect("wallet-home")
        if status == "pending":
            messages.info(
                request,
                _("The bank is still processing the top-up. We will tell you when it is done."),
            )
            return redirect("wallet-home")
        if status == "declined":
            messages.error(request, _("The bank declined this card. Choose another card."))
            return redirect("wallet-topup")
    return render(request, "wallet/topup.html", {"form": form, "has_cards": cards.exists()})


def _tell_withdrawal_outcome(request: HttpRequest, status: str) -> None:
    if status == Withdrawal.Status.SUCCEEDED:
        messages.success(request, _("Withdrawal sent to your card."))
    elif status == Withdrawal.Status.RETURNED:
        messages.error(
            request, _("The bank returned the withdrawal; the money is back in your wallet.")
        )
    else:
        messages.info(
            request,
            _("Withdrawal submitted. The bank has not confirmed it yet; we will tell you."),
        )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    cards = selectors.cards(request.user)
    if request.method == "GET":
        cards = cards.filter(status=BankCard.Status.VALID)
    # A POST takes any of the resident's cards: the service replays a double submit first,
    # even after the first one's refusal blocked the card, then refuses an unusable card
    # with its reason.
    form = forms.WithdrawForm(request.POST or None, cards=cards, initial={"card": cards.first()})
    if request.method == "POST" and form.is_valid():
        try:
            result = bank.withdrawal_create(
                user=request.user,
                card=form.cleaned_data["card"],
                amount_minor=form.cleaned_data["amount"],
                pin=form.cleaned_data["pin"],
                idempotency=page_idempotency(
                    request,
                    form,
                    renderers.withdrawal_result,
                    resource=lambda r: f"withdrawal:{r.withdrawal.pk}",
                ),
            )
        except Replayed as replay:  # a double submit: say what the first one came to
            if "withdrawal" not in replay.body:
                messages.error(request, replay.body["error"]["message"])
                return redirect("wallet-withdraw")
            status = replay.body["withdrawal"]["status"]
        except ApplicationError as error:
            show_error(form, error)
            return render(request, "wallet/withdraw.html", {"form": form})
        else:
            status = result.withdrawal.status
        _tell_withdrawal_outcome(request, status)
        return redirect("wallet-home")
    return render(request, "wallet/withdraw.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, token: str) -> HttpResponse:
    link = paylinks.read_token(token)
    form = forms.PayForm(request.POST or None, initial={"amount": yuan(link.amount_minor)})
    amount = link.amount_minor
    if request.method == "POST" and form.is_valid():
        amount = link.amount_minor or form.cleaned_data["amount"]
        if not amount:
            form.add_error("amount", _("Enter an amount such as 25.50."))
        else:
            try:
                result = payments.payment_create(
                    payer=request.user,
                    payee=link.payee,
                    amount_minor=amount,
                    currency=link.payee.currency,
                    description=link.description or link.payee.name,
                    pin=form.cleaned_data.get("pin") or None,
                    idempotency=page_idempotency(request, form, renderers.payment_result),
                )
                transaction_id = result.payment.transaction_id
            except Replayed as replay:
                # A second submit of the same form: show how the first one ended.
                if "payment" not in replay.body:
                    messages.error(request, replay.body["error"]["message"])
                    return redirect(request.path)
                return redirect(
                    "wallet-transaction", transaction_id=replay.body["payment"]["transaction_id"]
                )
            except PinRequired:
                # The first step of an open-amount link: show what will be charged, then
                # ask for the PIN without calling it a mistake.
                pass
            except ApplicationError as error:
                show_error(form, error)
            else:
                messages.success(request, _("Paid."))
                return redirect("wallet-transaction", transaction_id=transaction_id)
    preview = None
    if amount:
        try:
            preview = payments.payment_preview(
                payer=request.user,
                payee=link.payee,
                amount_minor=amount,
                currency=link.payee.currency,
            )
        except ApplicationError as error:
            show_error(form, error)
    return render(
        request,
        "wallet/pay.html",
        {"form": form, "link": link, "preview": preview, "amount_minor": amount},
    )


@login_required
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest) -> HttpResponse:
    """Step 1: who and how much. Step 2 (``confirm``): the masked real name, then the PIN."""
    if request.method == "POST" and "confirm" in request.POST:
        confirm = forms.TransferConfirmForm(request.POST)
        recipient = None
        if confirm.is_valid():
            try:
                recipient = payments.find_recipient(confirm.cleaned_data["phone"])
                result = payments.transfer_create(
                    sender=request.user,
                    recipient=recipient,
                    amount_minor=confirm.cleaned_data["amount"],
                    note=confirm.cleaned_data.get("note", ""),
                    pin=confirm.cleaned_data.get("pin") or None,
                    idempotency=page_idempotency(request, confirm, renderers.transfer_result),
                )
                transaction_id = result.transaction.pk
            except Replayed as replay:
                if "transfer" not in replay.body:
                    messages.error(request, replay.body["error"]["message"])
                    return redirect("wallet-transfer")
                return redirect(
                    "wallet-transaction", transaction_id=replay.body["transfer"]["transaction_id"]
                )
            except ApplicationError as error:
                show_error(confirm, error)
            else:
                messages.success(request, _("Sent."))
                return redirect("wallet-transaction", transaction_id=transaction_id)
        return render(
            request,
            "wallet/transfer_confirm.html",
            {
                "form": confirm,
                "recipient": recipient,
                "masked": masked_real_name(recipient) if recipient else "",
                "amount": Money(int(request.POST.get("amount") or 0)),
            },
        )
    form = forms.TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recipient = payments.find_recipient(form.cleaned_data["phone"])
        except ApplicationError as error:
            form.add_error("phone", str(error.message))
        else:
            if recipient.pk == request.user.pk:
                form.add_error("phone", _("You cannot send money to yourself."))
            else:
                confirm = forms.TransferConfirmForm(
                    initial={
                        "phone": form.cleaned_data["phone"],
                        "amount": form.cleaned_data["amount"],
                        "note": form.cleaned_data["note"],
                    }
                )
                return render(
                    request,
                    "wallet/transfer_confirm.html",
                    {
                        "form": confirm,
                        "recipient": recipient,
                        "masked": masked_real_name(recipient),
                        "amount": Money(form.cleaned_data["amount"]),
                    },
                )
    return render(request, "wallet/transfer.html", {"form": form})
