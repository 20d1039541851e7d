"""Wallet pages. Thin: forms in, services called, errors shown in the user's language."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from core.money import Money
from wallet import forms, paylinks, receipts, renderers, selectors
from wallet.errors import PinRequired
from wallet.models import BankCard, Payment
from wallet.services import bank, payments, profile
from wallet.services.idempotency import Idempotency, Replayed, request_fingerprint

HISTORY_PAGE_SIZE = 20


def _idempotency(request: HttpRequest, form: Any, render: Any, resource: Any = None) -> Idempotency:
    body = {k: v for k, v in form.cleaned_data.items() if k not in {"pin", "idempotency_key"}}
    return Idempotency(
        user_id=int(request.user.pk or 0),
        key="page:" + form.cleaned_data["idempotency_key"],
        fingerprint=request_fingerprint("POST", request.path, body),
        render=render,
        resource=resource,
    )


def _show_error(form: Any, error: ApplicationError) -> None:
    form.add_error(None, str(error.message))


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
                idempotency=_idempotency(
                    request, form, renderers.topup_result, resource=lambda r: f"topup:{r.topup.pk}"
                ),
            )
            status = result.topup.status
        except Replayed as replay:
            status = replay.body.get("topup", {}).get("status", "")
        except ApplicationError as error:
            _show_error(form, error)
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


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    cards = selectors.cards(request.user).filter(status=BankCard.Status.VALID)
    form = forms.WithdrawForm(request.POST or None, cards=cards, initial={"card": cards.first()})
    if request.method == "POST" and form.is_valid():
        try:
            bank.withdrawal_create(
                user=request.user,
                card=form.cleaned_data["card"],
                amount_minor=form.cleaned_data["amount"],
                pin=form.cleaned_data["pin"],
                idempotency=_idempotency(
                    request,
                    form,
                    renderers.withdrawal_result,
                    resource=lambda r: f"withdrawal:{r.withdrawal.pk}",
                ),
            )
        except Replayed:
            pass
        except ApplicationError as error:
            _show_error(form, error)
            return render(request, "wallet/withdraw.html", {"form": form})
        messages.success(request, _("Withdrawal sent to your card."))
        return redirect("wallet-home")
    return render(request, "wallet/withdraw.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, token: str) -> HttpResponse:
    link = paylinks.read_token(token)
    form = forms.PayForm(request.POST or None, initial={"amount": _yuan(link.amount_minor)})
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
                    idempotency=_idempotency(request, form, renderers.payment_result),
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
                _show_error(form, error)
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
            _show_error(form, error)
    return render(
        request,
        "wallet/pay.html",
        {"form": form, "link": link, "preview": preview, "amount_minor": amount},
    )


def _yuan(amount_minor: int | None) -> str:
    return "" if not amount_minor else str(Money(amount_minor).to_decimal())


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
                    idempotency=_idempotency(request, confirm, renderers.transfer_result),
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
                _show_error(confirm, error)
            else:
                messages.success(request, _("Sent."))
                return redirect("wallet-transaction", transaction_id=transaction_id)
        return render(
            request,
            "wallet/transfer_confirm.html",
            {
                "form": confirm,
                "recipient": recipient,
                "masked": payments.masked_real_name(recipient) if recipient else "",
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
                        "masked": payments.masked_real_name(recipient),
                        "amount": Money(form.cleaned_data["amount"]),
                    },
                )
    return render(request, "wallet/transfer.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def cards(request: HttpRequest) -> HttpResponse:
    form = forms.BindCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank.card_bind(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _show_error(form, error)
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


@login_required
def history(request: HttpRequest) -> HttpResponse:
    user_cards = selectors.cards(request.user, include_removed=True)
    form = forms.HistoryFilterForm(request.GET or None, cards=user_cards)
    filters = selectors.HistoryFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.HistoryFilter(
            start=data["start"],
            end=data["end"],
            kind=data["kind"] or "",
            counterparty=data["counterparty"] or "",
            min_amount_minor=data["min_amount"],
            max_amount_minor=data["max_amount"],
            card_id=data["card"].pk if data["card"] else None,
        )
    page = Paginator(selectors.history(request.user, filters), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(posting, selectors.counterparties(posting)) for posting in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    today = timezone.localdate()
    return render(
        request,
        "wallet/history.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "csv_url": reverse("api-wallet-history-csv")
            + ("?" + query.urlencode() if query else ""),
            "statement_url": reverse("wallet-statement", args=[today.year, today.month]),
        },
    )


@login_required
def transaction_detail(request: HttpRequest, transaction_id: int) -> HttpResponse:
    journal = selectors.transaction_for(request.user, transaction_id)
    posting = selectors.my_posting(request.user, journal)
    receipt = receipts.receipt_for(journal, posting)
    refundable = Payment.objects.filter(
        transaction=journal, payee__owner_id=request.user.pk, refunded_minor__lt=F("amount_minor")
    ).first()
    return render(
        request,
        "wallet/receipt.html",
        {"receipt": receipt, "journal": journal, "refundable_payment": refundable},
    )


def receipt_verify(request: HttpRequest) -> HttpResponse:
    """Public: anyone holding a receipt can check it is genuine."""
    code = request.GET.get("code", "").strip()
    journal = receipts.verify_code(code) if code else None
    facts = None
    if journal is not None:
        amount = max((p.amount_minor for p in journal.postings.all()), default=0)
        currency = next((p.currency for p in journal.postings.all()), "CNY")
        facts = {"journal": journal, "amount": Money(amount, currency)}
    return render(request, "wallet/receipt_verify.html", {"code": code, "facts": facts})


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    wallet_profile = profile.wallet_profile(request.user)
    action = request.POST.get("action", "")
    pin_form = forms.PinSetForm(request.POST if action == "pin" else None)
    limits_form = forms.LimitsForm(
        request.POST if action == "limits" else None,
        initial={
            "no_pin_limit": _yuan(wallet_profile.no_pin_limit_minor),
            "single_limit": _yuan(wallet_profile.single_limit_minor),
            "daily_limit": _yuan(wallet_profile.daily_limit_minor),
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
            _show_error(target, error)
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


@login_required
def statement(request: HttpRequest, year: int, month: int) -> HttpResponse:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        from django.http import Http404

        raise Http404
    currency = request.GET.get("currency", "CNY")
    monthly = selectors.monthly_statement(request.user, year, month, currency)
    rows = [(posting, selectors.counterparties(posting)) for posting in monthly.postings]
    previous = (year, month - 1) if month > 1 else (year - 1, 12)
    following = (year, month + 1) if month < 12 else (year + 1, 1)
    return render(
        request,
        "wallet/statement.html",
        {"statement": monthly, "rows": rows, "previous": previous, "following": following},
    )
