"""Pages of checkout at the till: the cashier's till, a request's QR code, the shop's
printable static QR, the resident's pay page for a request, and the resident's payment
code. Thin: the rules are in ``merchants.services.checkout``; a shop the user does not work
in is 404."""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from community.auth import signed_in_user
from core.errors import ApplicationError, NotFound
from core.money import Money
from merchants import selectors_checkout as selectors
from merchants.models import PaymentRequest
from merchants.services import checkout, offers
from merchants.services.accounts import shop_account
from wallet import paylinks
from wallet.errors import PinRequired
from wallet.forms import AmountField, IdempotentForm, PinField
from wallet.services import payments
from wallet.services.idempotency import Replayed
from wallet.views.common import page_idempotency, show_error

CODE_SESSION_KEY = "merchants_code_pin_at"


class RequestForm(IdempotentForm):
    amount = AmountField()
    reference = forms.CharField(
        label=gettext_lazy("Order reference"), max_length=40, required=False
    )


class ChargeCodeForm(IdempotentForm):
    code = forms.RegexField(
        r"^[0-9 ]{18,24}$",
        label=gettext_lazy("Customer's payment code"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    amount = AmountField()


class PayRequestForm(IdempotentForm):
    pin = PinField(required=False)
    # Empty: the best coupon; "none": no coupon; else the id of one of the payer's coupons.
    coupon = forms.RegexField(r"^(none|[0-9]{1,18})$", required=False)

    def coupon_pick(self) -> offers.CouponPick:
        raw = self.cleaned_data.get("coupon") or ""
        if not raw:
            return offers.BEST
        return None if raw == "none" else int(raw)


class CodePinForm(forms.Form):
    pin = PinField()


def qr_svg(url: str, scale: int = 6) -> SafeString:
    """An inline SVG QR code of ``url`` (segno draws only paths: nothing of ours inside)."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=scale))


def _render_id(value: Any) -> dict[str, Any]:
    return {"id": value.pk}


@login_required
@require_http_methods(["GET", "POST"])
def till(request: HttpRequest, shop_id: int) -> HttpResponse:
    """The till: ask for an amount (a QR code appears), charge a customer's code, and the
    shop's recent requests."""
    user = signed_in_user(request)
    shop = selectors.staff_shop(user, shop_id)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = checkout.request_create(
                cashier=user,
                shop=shop,
                amount_minor=form.cleaned_data["amount"],
                reference=form.cleaned_data.get("reference") or "",
                idempotency=page_idempotency(request, form, _render_id),
            )
            request_id = made.pk
        except Replayed as replay:
            if "id" not in replay.body:
                messages.error(request, replay.body["error"]["message"])
                return redirect("merchant-till", shop_id=shop.pk)
            return redirect("merchant-till-request", shop_id=shop.pk, request_id=replay.body["id"])
        except ApplicationError as error:
            show_error(form, error)
        else:
            return redirect("merchant-till-request", shop_id=shop.pk, request_id=request_id)
    return render(
        request,
        "merchants/checkout/till.html",
        {
            "shop": shop,
            "form": form,
            "code_form": ChargeCodeForm(),
            "recent": _recent_rows(shop),
        },
    )


def _recent_rows(shop: Any) -> list[tuple[PaymentRequest, str]]:
    return [(row, checkout.effective_status(row)) for row in selectors.recent_requests(shop)]


@login_required
def till_request(request: HttpRequest, shop_id: int, request_id: int) -> HttpResponse:
    """One request's QR code with its amount and countdown; turns "Received" live."""
    user = signed_in_user(request)
    shop = selectors.staff_shop(user, shop_id)
    payment_request = selectors.staff_request(user, request_id)
    if payment_request.shop_id != shop.pk:
        raise NotFound()
    pay_url = request.build_absolute_uri(
        reverse("merchant-request-pay", args=[payment_request.token])
    )
    status = checkout.effective_status(payment_request)
    seconds_left = max(0, int((payment_request.expires_at - timezone.now()).total_seconds()))
    return render(
        request,
        "merchants/checkout/request.html",
        {
            "shop": shop,
            "payment_request": payment_request,
            "status": status,
            "pay_url": pay_url,
            "qr": qr_svg(pay_url) if status == PaymentRequest.Status.OPEN else "",
            "seconds_left": seconds_left,
        },
    )


@login_required
@require_POST
def till_charge_code(request: HttpRequest, shop_id: int) -> HttpResponse:
    """The cashier types (or scans) a customer's payment code and the amount."""
    user = signed_in_user(request)
    shop = selectors.staff_shop(user, shop_id)
    form = ChargeCodeForm(request.POST)
    if form.is_valid():
        try:
            charged = checkout.code_charge(
                cashier=user,
                shop=shop,
                code=form.cleaned_data["code"],
                amount_minor=form.cleaned_data["amount"],
                idempotency=page_idempotency(
                    request, form, lambda r: {"amount_minor": r.payment.amount_minor}
                ),
            )
            amount = charged.payment.amount_minor
        except Replayed as replay:
            if "amount_minor" not in replay.body:
                messages.error(request, replay.body["error"]["message"])
                return redirect("merchant-till", shop_id=shop.pk)
            return redirect("merchant-till", shop_id=shop.pk)
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("Received %(amount)s") % {"amount": Money(amount).format()})
            return redirect("merchant-till", shop_id=shop.pk)
    return render(
        request,
        "merchants/checkout/till.html",
        {"shop": shop, "form": RequestForm(), "code_form": form, "recent": _recent_rows(shop)},
    )


@login_required
def static_qr(request: HttpRequest, shop_id: int) -> HttpResponse:
    """The shop's open-amount pay link as a QR code to print; the wallet's pay page takes
    the payment."""
    shop = selectors.staff_shop(signed_in_user(request), shop_id)
    url = request.build_absolute_uri(paylinks.make_url(shop_account(shop)))
    return render(
        request,
        "merchants/checkout/static_qr.html",
        {"shop": shop, "qr": qr_svg(url, scale=10), "pay_url": url},
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's side of a request: the shop, the price, the coupon applied (their
    best; they may pick another or none), what they pay, the PIN if needed."""
    payer = signed_in_user(request)
    payment_request = selectors.request_by_token(token)
    form = PayRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = checkout.request_pay(
                payer=payer,
                payment_request=payment_request,
                pin=form.cleaned_data.get("pin") or None,
                coupon=form.coupon_pick(),
                idempotency=page_idempotency(request, form, _render_paid),
            )
            transaction_id = result.payment.transaction_id
        except Replayed as replay:
            if "transaction_id" not in replay.body:
                messages.error(request, replay.body["error"]["message"])
                return redirect(request.path)
            return redirect("wallet-transaction", transaction_id=replay.body["transaction_id"])
        except PinRequired:
            form.add_error("pin", _("Enter your payment PIN."))
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("Paid."))
            return redirect("wallet-transaction", transaction_id=transaction_id)
    status = checkout.effective_status(payment_request)
    preview = offer = None
    if status == PaymentRequest.Status.OPEN:
        try:
            offer = _offer(form, payer, payment_request)
            preview = payments.payment_preview(
                payer=payer,
                payee=shop_account(payment_request.shop, payment_request.currency),
                amount_minor=offer.net_minor,
                currency=payment_request.currency,
            )
        except ApplicationError as error:
            show_error(form, error)
    return render(
        request,
        "merchants/checkout/pay.html",
        {
            "form": form,
            "payment_request": payment_request,
            "status": status,
            "preview": preview,
            "offer": offer,
            "coupon_rows": _coupon_rows(offer),
        },
    )


def _offer(
    form: PayRequestForm, payer: Any, payment_request: PaymentRequest
) -> checkout.RequestPreview:
    """The coupon shown as applied: the one posted (if the form came back), else the best."""
    pick: offers.CouponPick = offers.BEST
    if form.is_bound and form.is_valid():
        pick = form.coupon_pick()
    try:
        return checkout.request_preview(payer=payer, payment_request=payment_request, coupon=pick)
    except ApplicationError:
        return checkout.request_preview(payer=payer, payment_request=payment_request)


def _coupon_rows(offer: checkout.RequestPreview | None) -> list[dict[str, Any]]:
    """The payer's choices on the pay page: each coupon, then none, with what they pay."""
    if offer is None or not offer.choices:
        return []
    price = offer.payment_request.amount_minor
    chosen = offer.coupon.coupon.pk if offer.coupon else None
    rows = [
        {
            "value": str(choice.coupon.pk),
            "name": choice.coupon.campaign.name,
            "discount_minor": choice.discount_minor,
            "net_minor": price - choice.discount_minor,
            "checked": choice.coupon.pk == chosen,
        }
        for choice in offer.choices
    ]
    rows.append(
        {
            "value": "none",
            "name": "",
            "discount_minor": 0,
            "net_minor": price,
            "checked": not chosen,
        }
    )
    return rows


def _render_paid(result: checkout.RequestPaidResult) -> dict[str, Any]:
    return {"request_id": result.request.pk, "transaction_id": result.payment.transaction_id}


@login_required
@require_http_methods(["GET", "POST"])
def payment_code(request: HttpRequest) -> HttpResponse:
    """The resident's 付款码: the PIN once, then a code and its QR, renewed every minute."""
    user = signed_in_user(request)
    form = CodePinForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = checkout.code_issue(user=user, pin=form.cleaned_data["pin"])
        except ApplicationError as error:
            show_error(form, error)
        else:
            request.session[CODE_SESSION_KEY] = timezone.now().isoformat()
    return render(
        request,
        "merchants/checkout/code.html",
        {"form": form, "issued": _code_body(issued) if issued else None},
    )


@login_required
@require_POST
def payment_code_next(request: HttpRequest) -> JsonResponse:
    """A fresh code for the open code page, while its PIN is recent (JSON)."""
    stamp = request.session.get(CODE_SESSION_KEY)
    try:
        issued = checkout.code_issue(
            user=signed_in_user(request),
            pin=None,
            pin_verified_at=parse_datetime(stamp) if stamp else None,
        )
    except ApplicationError as error:
        return JsonResponse(
            {"error": {"code": error.code, "message": str(error.message)}},
            status=error.status_code,
        )
    return JsonResponse(_code_body(issued))


def _code_body(issued: checkout.IssuedCode) -> dict[str, Any]:
    code = issued.code
    return {
        "code": code,
        "spaced": " ".join(code[i : i + 4] for i in range(0, len(code), 4)),
        "qr": str(qr_svg(code, scale=5)),
        "expires_in": int(checkout.CODE_LIFETIME.total_seconds()),
        "max_amount": Money(issued.payment_code.max_amount_minor).format(),
    }
