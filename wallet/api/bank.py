"""Cards, top-ups, withdrawals, and the bank's callback."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import authenticated_user
from core.errors import Forbidden
from core.serializers import ErrorSerializer
from wallet import renderers, selectors
from wallet.api.base import (
    CURRENCY_CHOICES,
    IDEMPOTENCY_HEADER,
    AmountField,
    BalanceSerializer,
    WalletApiView,
)
from wallet.models import BankCard
from wallet.services import bank
from wallet.services.ledger import account_balance


class CardSerializer(serializers.ModelSerializer[BankCard]):
    display_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = BankCard
        fields = [
            "id",
            "display_name",
            "bank_name",
            "last4",
            "expiry_month",
            "expiry_year",
            "nickname",
            "is_default",
            "status",
            "created_at",
        ]


class CardListCreateApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        number = serializers.RegexField(r"^[0-9 ]{12,23}$", write_only=True)
        holder_name = serializers.CharField(max_length=50)
        expiry_month = serializers.IntegerField(min_value=1, max_value=12)
        expiry_year = serializers.IntegerField(min_value=2000, max_value=2100)
        nickname = serializers.CharField(max_length=30, required=False, allow_blank=True)

    @extend_schema(operation_id="wallet_cards_list", responses=CardSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            CardSerializer(selectors.cards(authenticated_user(request)), many=True).data
        )

    @extend_schema(
        operation_id="wallet_card_bind", request=InputSerializer, responses={201: CardSerializer}
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        card = bank.card_bind(user=authenticated_user(request), **data.validated_data)
        return Response(CardSerializer(card).data, status=201)


class CardDetailApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        nickname = serializers.CharField(max_length=30, required=False, allow_blank=True)
        is_default = serializers.BooleanField(required=False)

    @extend_schema(operation_id="wallet_card_retrieve", responses=CardSerializer)
    def get(self, request: Request, card_id: int) -> Response:
        card = selectors.card_for(authenticated_user(request), card_id)
        return Response(CardSerializer(bank.card_refresh_status(card=card)).data)

    @extend_schema(
        operation_id="wallet_card_update", request=InputSerializer, responses=CardSerializer
    )
    def patch(self, request: Request, card_id: int) -> Response:
        card = selectors.card_for(authenticated_user(request), card_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "nickname" in data.validated_data:
            card = bank.card_rename(card=card, nickname=data.validated_data["nickname"])
        if data.validated_data.get("is_default"):
            card = bank.card_set_default(card=card)
        return Response(CardSerializer(card).data)

    @extend_schema(operation_id="wallet_card_remove", responses={204: None})
    def delete(self, request: Request, card_id: int) -> Response:
        bank.card_remove(card=selectors.card_for(authenticated_user(request), card_id))
        return Response(status=204)


class CardBankBalanceApi(WalletApiView):
    class OutputSerializer(serializers.Serializer[Any]):
        amount_minor = serializers.IntegerField()
        currency = serializers.CharField()

    @extend_schema(operation_id="wallet_card_bank_balance", responses=OutputSerializer)
    def get(self, request: Request, card_id: int) -> Response:
        money = bank.card_bank_balance(
            card=selectors.card_for(authenticated_user(request), card_id)
        )
        return Response({"amount_minor": money.minor, "currency": money.currency})


class _CardRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    last4 = serializers.CharField()


class TopUpSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    decline_code = serializers.CharField()
    card = _CardRefSerializer()


class TopUpResultSerializer(serializers.Serializer[Any]):
    topup = TopUpSerializer()
    balance = BalanceSerializer()


class TopUpCreateApi(WalletApiView):
    """Charge a bound card. 201 with status ``pending`` when the bank is slow: the top-up
    completes (or is declined) later, and a retry with the same key tells how it ended."""

    class InputSerializer(serializers.Serializer[Any]):
        card_id = serializers.IntegerField()
        amount_minor = AmountField()
        currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, default="CNY")

    @extend_schema(
        operation_id="wallet_topup_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: TopUpResultSerializer},
    )
    def post(self, request: Request) -> Response:
        user = authenticated_user(request)
        idempotency = self.idempotency(
            request, renderers.topup_result, resource=lambda result: f"topup:{result.topup.pk}"
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = bank.topup_create(
            user=user,
            card=selectors.card_for(user, data.validated_data["card_id"]),
            amount_minor=data.validated_data["amount_minor"],
            currency=data.validated_data["currency"],
            idempotency=idempotency,
        )
        return Response(renderers.topup_result(result), status=201)


class TopUpDetailApi(WalletApiView):
    @extend_schema(operation_id="wallet_topup_retrieve", responses=TopUpResultSerializer)
    def get(self, request: Request, topup_id: int) -> Response:
        topup = selectors.topup_for(authenticated_user(request), topup_id)
        return Response(
            renderers.topup_result(bank.TopUpResult(topup, account_balance(topup.account)))
        )


class WithdrawalSerializer(TopUpSerializer):
    pass


class WithdrawalResultSerializer(serializers.Serializer[Any]):
    withdrawal = WithdrawalSerializer()
    balance = BalanceSerializer()


class WithdrawalCreateApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        card_id = serializers.IntegerField()
        amount_minor = AmountField()
        currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, default="CNY")
        pin = serializers.CharField(max_length=6, write_only=True)

    @extend_schema(
        operation_id="wallet_withdrawal_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: WithdrawalResultSerializer},
    )
    def post(self, request: Request) -> Response:
        user = authenticated_user(request)
        idempotency = self.idempotency(
            request,
            renderers.withdrawal_result,
            resource=lambda result: f"withdrawal:{result.withdrawal.pk}",
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = bank.withdrawal_create(
            user=user,
            card=selectors.card_for(user, data.validated_data["card_id"]),
            amount_minor=data.validated_data["amount_minor"],
            currency=data.validated_data["currency"],
            pin=data.validated_data["pin"],
            idempotency=idempotency,
        )
        return Response(renderers.withdrawal_result(result), status=201)


class WithdrawalDetailApi(WalletApiView):
    @extend_schema(operation_id="wallet_withdrawal_retrieve", responses=WithdrawalResultSerializer)
    def get(self, request: Request, withdrawal_id: int) -> Response:
        withdrawal = selectors.withdrawal_for(authenticated_user(request), withdrawal_id)
        return Response(
            renderers.withdrawal_result(
                bank.WithdrawalResult(withdrawal, account_balance(withdrawal.account))
            )
        )


def callback_signature(body: bytes) -> str:
    secret = settings.WALLET_BANK_WEBHOOK_SECRET.encode()
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


class BankCallbackApi(WalletApiView):
    """The bank's notification of a charge or payout, signed with the shared secret."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    class InputSerializer(serializers.Serializer[Any]):
        kind = serializers.ChoiceField(choices=[("charge", "charge"), ("payout", "payout")])
        reference = serializers.CharField(max_length=80)
        status = serializers.ChoiceField(
            choices=[("succeeded", "succeeded"), ("declined", "declined")]
        )
        bank_reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
        decline_code = serializers.CharField(max_length=40, required=False, allow_blank=True)

    @extend_schema(
        operation_id="wallet_bank_callback",
        request=InputSerializer,
        # 403: the signature does not match (AllowAny, so the default error codes omit it).
        responses={204: None, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        signature = request.headers.get("X-Bank-Signature", "")
        if not hmac.compare_digest(signature, callback_signature(request.body)):
            raise Forbidden()
        data = self.InputSerializer(data=json.loads(request.body or b"{}"))
        data.is_valid(raise_exception=True)
        bank.bank_callback_handle(dict(data.validated_data))
        return Response(status=204)
