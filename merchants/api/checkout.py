"""Checkout at the till over the API: payment requests (create, status, recent, the payer's
preview with their coupon, pay) and payment codes (issue, charge).

Thin: the rules are in ``merchants.services.checkout``. A shop the caller does not work in,
and every request of it, is 404. Creating a request, paying one and charging a code take an
Idempotency-Key (``WalletApiView``): the same key and body replays the first answer.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from core.errors import ValidationFailed
from merchants import selectors_checkout as selectors
from merchants.models import PaymentRequest
from merchants.services import checkout, offers
from wallet import renderers
from wallet.api.base import (
    IDEMPOTENCY_HEADER,
    AmountField,
    BalanceSerializer,
    PinField,
    WalletApiView,
)

# --- bodies (pure functions: the idempotency record stores them) ---------------------------


def render_request(value: PaymentRequest) -> dict[str, Any]:
    return {
        "id": value.pk,
        "shop_id": value.shop_id,
        "token": value.token,
        "pay_path": reverse("merchant-request-pay", args=[value.token]),
        "amount_minor": value.amount_minor,
        "currency": value.currency,
        "reference": value.reference,
        "status": checkout.effective_status(value),
        "expires_at": value.expires_at.isoformat(),
        "payment_id": value.payment_id,
        "received_minor": value.payment.amount_minor if value.payment is not None else None,
        "paid_at": value.paid_at.isoformat() if value.paid_at else None,
        "created_at": value.created_at.isoformat(),
    }


def render_request_paid(result: checkout.RequestPaidResult) -> dict[str, Any]:
    return {
        "request": render_request(result.request),
        "payment": {
            "id": result.payment.pk,
            "transaction_id": result.payment.transaction_id,
            "amount_minor": result.payment.amount_minor,
            "currency": result.payment.currency,
        },
        "coupon_id": result.coupon_id,
        "discount_minor": result.discount_minor,
        "balance": renderers.balance(result.balance),
    }


def render_choice(choice: offers.CouponChoice) -> dict[str, Any]:
    campaign = choice.coupon.campaign
    return {
        "id": choice.coupon.pk,
        "campaign_id": campaign.pk,
        "campaign_name": campaign.name,
        "ends_at": campaign.ends_at.isoformat(),
        "discount_minor": choice.discount_minor,
    }


def render_preview(preview: checkout.RequestPreview) -> dict[str, Any]:
    payment_request = preview.payment_request
    return {
        "request": render_request(payment_request),
        "shop_name": payment_request.shop.name,
        "price_minor": payment_request.amount_minor,
        "coupon": render_choice(preview.coupon) if preview.coupon else None,
        "discount_minor": preview.discount_minor,
        "to_pay_minor": preview.net_minor,
        "coupons": [render_choice(choice) for choice in preview.choices],
    }


def render_code_charged(result: checkout.CodeCharged) -> dict[str, Any]:
    return {
        "payment": {
            "id": result.payment.pk,
            "transaction_id": result.payment.transaction_id,
            "amount_minor": result.payment.amount_minor,
            "currency": result.payment.currency,
        },
        "coupon_id": result.coupon_id,
        "discount_minor": result.discount_minor,
        "used_at": result.payment_code.used_at.isoformat() if result.payment_code.used_at else None,
    }


# --- serializers (schema of the bodies above) ----------------------------------------------


class CheckoutRequestSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    shop_id = serializers.IntegerField()
    token = serializers.CharField()
    pay_path = serializers.CharField(help_text="The pay page to encode in the QR code.")
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.CharField(help_text="open, paid, expired or cancelled")
    expires_at = serializers.DateTimeField()
    payment_id = serializers.IntegerField(allow_null=True)
    received_minor = serializers.IntegerField(
        allow_null=True,
        help_text="Once paid, what the shop received: the amount less a coupon's discount.",
    )
    paid_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CheckoutPaymentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    transaction_id = serializers.IntegerField()
    amount_minor = serializers.IntegerField(help_text="What moved: the price less the coupon.")
    currency = serializers.CharField()


class CheckoutCouponSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The coupon's id, to pass as coupon_id.")
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField()
    ends_at = serializers.DateTimeField()
    discount_minor = serializers.IntegerField(help_text="What it takes off this price.")


def _coupon_pick(raw: Any) -> offers.CouponPick:
    """``coupon_id`` of a body or query: absent → the best, null/"none" → none, else an id."""
    if raw is None or raw == "none":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"coupon_id": [_("Give a coupon id or null.")]}) from None


# --- views ---------------------------------------------------------------------------------


class CheckoutRequestListApi(LinliAPIView):
    """The shop's newest payment requests (staff of the shop only)."""

    @extend_schema(
        operation_id="merchant_checkout_requests_list",
        responses=CheckoutRequestSerializer(many=True),
    )
    def get(self, request: Request, shop_id: int) -> Response:
        shop = selectors.staff_shop(signed_in_user(request), shop_id)
        return Response([render_request(row) for row in selectors.recent_requests(shop)])


class CheckoutRequestCreateApi(WalletApiView):
    """Ask for an amount: a request to show as a QR code, valid ten minutes."""

    class InputSerializer(serializers.Serializer[Any]):
        amount_minor = AmountField()
        reference = serializers.CharField(max_length=40, required=False, allow_blank=True)

    @extend_schema(
        operation_id="merchant_checkout_request_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: CheckoutRequestSerializer},
    )
    def post(self, request: Request, shop_id: int) -> Response:
        user = signed_in_user(request)
        shop = selectors.staff_shop(user, shop_id)
        idempotency = self.idempotency(request, render_request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = checkout.request_create(
            cashier=user,
            shop=shop,
            amount_minor=data.validated_data["amount_minor"],
            reference=data.validated_data.get("reference", ""),
            idempotency=idempotency,
        )
        return Response(render_request(made), status=201)


class CheckoutRequestStatusApi(LinliAPIView):
    """One request of the caller's shop: poll it if the websocket is not available."""

    @extend_schema(
        operation_id="merchant_checkout_request_retrieve", responses=CheckoutRequestSerializer
    )
    def get(self, request: Request, request_id: int) -> Response:
        return Response(
            render_request(selectors.staff_request(signed_in_user(request), request_id))
        )


class CheckoutRequestPreviewApi(LinliAPIView):
    """What the signed-in resident would pay for a request they scanned: the price, the
    coupon applied (their best, or ``?coupon_id=``; ``none`` for none), the discount, the
    amount to pay, and every coupon of theirs that applies, best first."""

    class OutputSerializer(serializers.Serializer[Any]):
        request = CheckoutRequestSerializer()
        shop_name = serializers.CharField()
        price_minor = serializers.IntegerField()
        coupon = CheckoutCouponSerializer(allow_null=True)
        discount_minor = serializers.IntegerField()
        to_pay_minor = serializers.IntegerField()
        coupons = CheckoutCouponSerializer(many=True)

    @extend_schema(
        operation_id="merchant_checkout_request_preview",
        parameters=[
            OpenApiParameter(
                "coupon_id", str, description="A coupon id, or none; absent: the best."
            )
        ],
        responses=OutputSerializer,
    )
    def get(self, request: Request, token: str) -> Response:
        raw = request.query_params.get("coupon_id")
        preview = checkout.request_preview(
            payer=signed_in_user(request),
            payment_request=selectors.request_by_token(token),
            coupon=offers.BEST if raw is None else _coupon_pick(raw),
        )
        return Response(render_preview(preview))


class CheckoutRequestPayApi(WalletApiView):
    """The resident pays a request they scanned (its token is in the QR code), with their
    best coupon unless they name one (``coupon_id``) or none (``coupon_id: null``)."""

    class InputSerializer(serializers.Serializer[Any]):
        pin = PinField()
        coupon_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="A coupon of yours; null for none; leave out for the best one.",
        )

    class OutputSerializer(serializers.Serializer[Any]):
        request = CheckoutRequestSerializer()
        payment = CheckoutPaymentSerializer()
        coupon_id = serializers.IntegerField(allow_null=True)
        discount_minor = serializers.IntegerField()
        balance = BalanceSerializer()

    @extend_schema(
        operation_id="merchant_checkout_request_pay",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, token: str) -> Response:
        user = signed_in_user(request)
        idempotency = self.idempotency(request, render_request_paid)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = checkout.request_pay(
            payer=user,
            payment_request=selectors.request_by_token(token),
            pin=data.validated_data.get("pin") or None,
            coupon=data.validated_data.get("coupon_id", offers.BEST),
            idempotency=idempotency,
        )
        return Response(render_request_paid(result), status=201)


class CheckoutCodeIssueApi(LinliAPIView):
    """A fresh one-time payment code (付款码) for the caller, after the PIN."""

    class InputSerializer(serializers.Serializer[Any]):
        pin = serializers.CharField(min_length=6, max_length=6, write_only=True)

    class OutputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(help_text="18 digits; shown once, valid 60 seconds.")
        expires_at = serializers.DateTimeField()
        max_amount_minor = serializers.IntegerField()

    @extend_schema(
        operation_id="merchant_checkout_code_issue",
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = checkout.code_issue(user=signed_in_user(request), pin=data.validated_data["pin"])
        return Response(
            {
                "code": issued.code,
                "expires_at": issued.payment_code.expires_at.isoformat(),
                "max_amount_minor": issued.payment_code.max_amount_minor,
            },
            status=201,
        )


class CheckoutCodeChargeApi(WalletApiView):
    """The cashier charges an amount to the code a customer shows."""

    class InputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(max_length=24)
        amount_minor = AmountField()

    class OutputSerializer(serializers.Serializer[Any]):
        payment = CheckoutPaymentSerializer()
        coupon_id = serializers.IntegerField(
            allow_null=True, help_text="The customer's best coupon, applied by itself."
        )
        discount_minor = serializers.IntegerField()
        used_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="merchant_checkout_code_charge",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, shop_id: int) -> Response:
        user = signed_in_user(request)
        shop = selectors.staff_shop(user, shop_id)
        idempotency = self.idempotency(request, render_code_charged)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = checkout.code_charge(
            cashier=user,
            shop=shop,
            code=data.validated_data["code"],
            amount_minor=data.validated_data["amount_minor"],
            idempotency=idempotency,
        )
        return Response(render_code_charged(result), status=201)
