"""Currency conversion: quotes honoured for 60 seconds, then one conversion per quote."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import authenticated_user
from wallet import renderers
from wallet.api.base import (
    CURRENCY_CHOICES,
    IDEMPOTENCY_HEADER,
    AmountField,
    BalanceSerializer,
    PinField,
    WalletApiView,
)
from wallet.models import FxQuote
from wallet.services import fx


class QuoteSerializer(serializers.ModelSerializer[FxQuote]):
    class Meta:
        model = FxQuote
        fields = [
            "id",
            "sell_currency",
            "buy_currency",
            "sell_minor",
            "buy_minor",
            "rate",
            "expires_at",
        ]


class QuoteCreateApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        sell_currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
        buy_currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
        sell_minor = AmountField()

    @extend_schema(
        operation_id="wallet_fx_quote_create",
        request=InputSerializer,
        responses={201: QuoteSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quote = fx.quote_create(user=authenticated_user(request), **data.validated_data)
        return Response(QuoteSerializer(quote).data, status=201)


class ConversionResultSerializer(serializers.Serializer[Any]):
    class ConversionSerializer(serializers.Serializer[Any]):
        quote_id = serializers.IntegerField()
        transaction_id = serializers.IntegerField()
        sell_minor = serializers.IntegerField()
        sell_currency = serializers.CharField()
        buy_minor = serializers.IntegerField()
        buy_currency = serializers.CharField()
        rate = serializers.CharField()

    conversion = ConversionSerializer()
    balances = serializers.DictField(child=BalanceSerializer())


class ConversionCreateApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        quote_id = serializers.IntegerField()
        pin = PinField()

    @extend_schema(
        operation_id="wallet_fx_conversion_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: ConversionResultSerializer},
    )
    def post(self, request: Request) -> Response:
        idempotency = self.idempotency(request, renderers.conversion_result)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = fx.conversion_execute(
            user=authenticated_user(request),
            quote_id=data.validated_data["quote_id"],
            pin=data.validated_data.get("pin") or None,
            idempotency=idempotency,
        )
        return Response(renderers.conversion_result(result), status=201)
