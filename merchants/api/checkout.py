"""Checkout at the till over the API: payment requests (create, status, recent, pay) and
payment codes (issue, charge).

Thin: the rules are in ``merchants.services.checkout``. A shop the caller does not work in,
and every request of it, is 404. Creating a request, paying one and charging a code take an
Idempotency-Key (``WalletApiView``): the same key and body replays the first answer.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from merchants import selectors_checkout as selectors
from merchants.models import PaymentRequest
from merchants.services import checkout
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
        "balance": renderers.balance(result.balance),
    }


def render_code_charged(result: checkout.CodeCharged) -> dict[str, Any]:
    return {
        "payment": {
            "id": result.payment.pk,
            "transaction_id": result.payment.transaction_id,
            "amount_minor": result.payment.amount_minor,
            "currency": result.payment.currency,
        },
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
    paid_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CheckoutPaymentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    transaction_id = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()


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


class CheckoutRequestPayApi(WalletApiView):
    """The resident pays a request they scanned (its token is in the QR code)."""

    class InputSerializer(serializers.Serializer[Any]):
        pin = PinField()

    class OutputSerializer(serializers.Serializer[Any]):
        request = CheckoutRequestSerializer()
        payment = CheckoutPaymentSerializer()
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
