"""Paying: dry run, payments, holds, refunds, cancellation, transfers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import authenticated_user
from core.errors import NotFound
from wallet import renderers, selectors
from wallet.api.base import (
    CURRENCY_CHOICES,
    IDEMPOTENCY_HEADER,
    AmountField,
    BalanceSerializer,
    PinField,
    WalletApiView,
)
from wallet.models import Account
from wallet.services import payments
from wallet.services.accounts import masked_real_name, name_shown_to_others


def _payee(account_id: int) -> Account:
    payee = Account.objects.filter(pk=account_id).exclude(kind=Account.Kind.SYSTEM).first()
    if payee is None:
        raise NotFound()
    return payee


class PaymentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    transaction_id = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    description = serializers.CharField()
    payee = serializers.CharField()
    hold_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class PaymentResultSerializer(serializers.Serializer[Any]):
    payment = PaymentSerializer()
    balance = BalanceSerializer()


class HoldSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    captured_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    description = serializers.CharField()
    payee = serializers.CharField()
    expires_at = serializers.DateTimeField()


class PaymentPreviewApi(WalletApiView):
    """The dry run: exactly what a payment would charge, and whether it needs the PIN."""

    class InputSerializer(serializers.Serializer[Any]):
        payee_account_id = serializers.IntegerField()
        amount_minor = AmountField()
        currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, default="CNY")

    class OutputSerializer(serializers.Serializer[Any]):
        payee = serializers.CharField()
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField()
        fee_minor = serializers.IntegerField()
        total_minor = serializers.IntegerField()
        available_minor = serializers.IntegerField()
        balance_after_minor = serializers.IntegerField()
        needs_pin = serializers.BooleanField()
        problems = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        operation_id="wallet_payment_preview", request=InputSerializer, responses=OutputSerializer
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payee = _payee(data.validated_data["payee_account_id"])
        preview = payments.payment_preview(
            payer=authenticated_user(request),
            payee=payee,
            amount_minor=data.validated_data["amount_minor"],
            currency=data.validated_data["currency"],
        )
        return Response({"payee": name_shown_to_others(payee), **preview.__dict__})


class PaymentCreateApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        payee_account_id = serializers.IntegerField()
        amount_minor = AmountField()
        currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, default="CNY")
        description = serializers.CharField(max_length=200)
        pin = PinField()

    @extend_schema(
        operation_id="wallet_payment_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: PaymentResultSerializer},
    )
    def post(self, request: Request) -> Response:
        idempotency = self.idempotency(request, renderers.payment_result)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = payments.payment_create(
            payer=authenticated_user(request),
            payee=_payee(values["payee_account_id"]),
            amount_minor=values["amount_minor"],
            currency=values["currency"],
            description=values["description"],
            pin=values.get("pin") or None,
            idempotency=idempotency,
        )
        return Response(renderers.payment_result(result), status=201)


class PaymentDetailApi(WalletApiView):
    @extend_schema(operation_id="wallet_payment_retrieve", responses=PaymentSerializer)
    def get(self, request: Request, payment_id: int) -> Response:
        payment = selectors.payment_visible_to(authenticated_user(request), payment_id)
        return Response(renderers.payment(payment))


class RefundResultSerializer(serializers.Serializer[Any]):
    class RefundSerializer(serializers.Serializer[Any]):
        transaction_id = serializers.IntegerField()
        amount_minor = serializers.IntegerField()
        kind = serializers.CharField()

    refund = RefundSerializer()
    payment = PaymentSerializer()
    balance = BalanceSerializer()


class PaymentRefundApi(WalletApiView):
    """Refund a payment received into your own wallet, in full or in part."""

    class InputSerializer(serializers.Serializer[Any]):
        amount_minor = AmountField(required=False)
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="wallet_payment_refund",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: RefundResultSerializer},
    )
    def post(self, request: Request, payment_id: int) -> Response:
        user = authenticated_user(request)
        payment = selectors.payment_received_by(user, payment_id)  # 404 before anything else
        idempotency = self.idempotency(request, renderers.refund_result)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = payments.payment_refund(
            payment=payment,
            amount_minor=data.validated_data.get("amount_minor"),
            reason=data.validated_data.get("reason", ""),
            actor_id=user.pk,
            idempotency=idempotency,
        )
        return Response(renderers.refund_result(result), status=201)


class PaymentCancelApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="wallet_payment_cancel",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: RefundResultSerializer},
    )
    def post(self, request: Request, payment_id: int) -> Response:
        user = authenticated_user(request)
        payment = selectors.payment_received_by(user, payment_id)  # 404 before anything else
        idempotency = self.idempotency(request, renderers.refund_result)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = payments.payment_cancel(
            payment=payment,
            reason=data.validated_data.get("reason", ""),
            actor_id=user.pk,
            idempotency=idempotency,
        )
        return Response(renderers.refund_result(result), status=201)


class HoldResultSerializer(serializers.Serializer[Any]):
    hold = HoldSerializer()
    balance = BalanceSerializer()


class HoldListCreateApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        payee_account_id = serializers.IntegerField()
        amount_minor = AmountField()
        currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, default="CNY")
        description = serializers.CharField(max_length=200)
        lifetime_hours = serializers.IntegerField(min_value=1, max_value=24 * 30, default=24 * 7)
        pin = PinField()

    @extend_schema(operation_id="wallet_holds_list", responses=HoldSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            [renderers.hold(h) for h in selectors.holds(authenticated_user(request))[:100]]
        )

    @extend_schema(
        operation_id="wallet_hold_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: HoldResultSerializer},
    )
    def post(self, request: Request) -> Response:
        from datetime import timedelta

        idempotency = self.idempotency(request, renderers.hold_result)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = payments.hold_create(
            payer=authenticated_user(request),
            payee=_payee(values["payee_account_id"]),
            amount_minor=values["amount_minor"],
            currency=values["currency"],
            description=values["description"],
            pin=values.get("pin") or None,
            lifetime=timedelta(hours=values["lifetime_hours"]),
            idempotency=idempotency,
        )
        return Response(renderers.hold_result(result), status=201)


class HoldCaptureApi(WalletApiView):
    """The payee takes the held money, all or part of it."""

    class InputSerializer(serializers.Serializer[Any]):
        amount_minor = AmountField(required=False)
        final = serializers.BooleanField(default=True)

    @extend_schema(
        operation_id="wallet_hold_capture",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: PaymentResultSerializer},
    )
    def post(self, request: Request, hold_id: int) -> Response:
        hold = selectors.hold_for(authenticated_user(request), hold_id, as_payee=True)
        idempotency = self.idempotency(request, renderers.payment_result)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = payments.hold_capture(
            hold=hold,
            amount_minor=data.validated_data.get("amount_minor"),
            final=data.validated_data["final"],
            idempotency=idempotency,
        )
        return Response(renderers.payment_result(result), status=201)


class HoldVoidApi(WalletApiView):
    """The payee releases a hold. The payer cannot: a hold is the payee's guarantee that the
    money is there until it is taken or expires, as with a card pre-authorisation."""

    @extend_schema(
        operation_id="wallet_hold_void",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses={200: HoldResultSerializer},
    )
    def post(self, request: Request, hold_id: int) -> Response:
        hold = selectors.hold_for(authenticated_user(request), hold_id, as_payee=True)
        idempotency = self.idempotency(request, renderers.hold_result, status_code=200)
        return Response(
            renderers.hold_result(payments.hold_void(hold=hold, idempotency=idempotency))
        )


class TransferPreviewApi(WalletApiView):
    """Who a mobile number belongs to, masked, to confirm before sending."""

    class InputSerializer(serializers.Serializer[Any]):
        phone = serializers.CharField(max_length=32)

    class OutputSerializer(serializers.Serializer[Any]):
        display_name = serializers.CharField()
        masked_real_name = serializers.CharField()

    @extend_schema(
        operation_id="wallet_transfer_preview", request=InputSerializer, responses=OutputSerializer
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recipient = payments.find_recipient(data.validated_data["phone"])
        return Response(
            {
                "display_name": str(recipient),
                "masked_real_name": masked_real_name(recipient),
            }
        )


class TransferResultSerializer(serializers.Serializer[Any]):
    class TransferSerializer(serializers.Serializer[Any]):
        transaction_id = serializers.IntegerField()
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField()
        recipient = serializers.CharField()

    transfer = TransferSerializer()
    balance = BalanceSerializer()


class TransferCreateApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        phone = serializers.CharField(max_length=32)
        amount_minor = AmountField()
        currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, default="CNY")
        note = serializers.CharField(max_length=100, required=False, allow_blank=True)
        pin = PinField()

    @extend_schema(
        operation_id="wallet_transfer_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: TransferResultSerializer},
    )
    def post(self, request: Request) -> Response:
        idempotency = self.idempotency(request, renderers.transfer_result)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = payments.transfer_create(
            sender=authenticated_user(request),
            recipient=payments.find_recipient(values["phone"]),
            amount_minor=values["amount_minor"],
            currency=values["currency"],
            note=values.get("note", ""),
            pin=values.get("pin") or None,
            idempotency=idempotency,
        )
        return Response(renderers.transfer_result(result), status=201)
