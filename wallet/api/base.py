"""What every money-moving API view shares: the Idempotency-Key and replays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import LinliAPIView
from wallet.services.idempotency import Idempotency, Replayed, request_fingerprint

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=True,
    type=str,
    description=(
        "A unique key per operation (a UUID). Sending the same key and body again returns "
        "the first response; the same key with another body is refused (422)."
    ),
)


class WalletApiView(LinliAPIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Replayed):
            return Response(
                exc.body, status=exc.status_code, headers={"Idempotent-Replayed": "true"}
            )
        return super().handle_exception(exc)

    def idempotency(
        self,
        request: Request,
        render: Callable[[Any], dict[str, Any]],
        *,
        status_code: int = 201,
        resource: Callable[[Any], str] | None = None,
    ) -> Idempotency:
        return Idempotency(
            user_id=int(request.user.pk or 0),
            key=request.headers.get("Idempotency-Key", "").strip(),
            fingerprint=request_fingerprint(request.method or "POST", request.path, request.data),
            render=render,
            status_code=status_code,
            resource=resource,
        )


class BalanceSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    balance_minor = serializers.IntegerField()
    held_minor = serializers.IntegerField()
    available_minor = serializers.IntegerField()


class PinField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("min_length", 0)
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("write_only", True)
        kwargs.setdefault(
            "help_text", "The 6-digit payment PIN, when the dry run says it is needed."
        )
        super().__init__(**kwargs)


class AmountField(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 10**12)
        kwargs.setdefault("help_text", "Minor units (fen for CNY).")
        super().__init__(**kwargs)


CURRENCY_CHOICES = [("CNY", "CNY"), ("HKD", "HKD"), ("USD", "USD")]
