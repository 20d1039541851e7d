"""A shop's sales over the API: its payments (cursor pages), one payment with its refunds,
refunding, and the daily figures. Thin: rules in ``merchants.services.refunds``. A shop the
caller does not work in, and every payment of it, is 404. Refunding moves money: it takes
an Idempotency-Key (the same key and body replays the first answer).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from merchants import selectors_checkout, selectors_sales
from merchants.models import ShopRefund
from merchants.services import refunds
from wallet.api.base import IDEMPOTENCY_HEADER, AmountField, WalletApiView
from wallet.models import Payment


def render_sale(row: selectors_sales.SaleRow) -> dict[str, Any]:
    payment = row.payment
    return {
        "id": payment.pk,
        "created_at": payment.created_at.isoformat(),
        "payer_name": row.payer_name,
        "description": payment.description,
        "gross_minor": row.gross_minor,
        "discount_minor": row.discount_minor,
        "amount_minor": payment.amount_minor,
        "refunded_minor": payment.refunded_minor,
        "refundable_minor": payment.refundable_minor,
        "currency": payment.currency,
        "status": payment.status,
    }


def render_refund(refund: ShopRefund) -> dict[str, Any]:
    return {
        "id": refund.pk,
        "payment_id": refund.payment_id,
        "amount_minor": refund.amount_minor,
        "reason": refund.reason,
        "refunded_by": str(refund.refunded_by),
        "transaction_id": refund.transaction_id,
        "coupon_returned": refund.coupon_returned,
        "created_at": refund.created_at.isoformat(),
    }


def render_refund_given(given: refunds.RefundGiven) -> dict[str, Any]:
    return {
        "refund": render_refund(given.refund),
        "payment": {
            "id": given.payment.pk,
            "amount_minor": given.payment.amount_minor,
            "refunded_minor": given.payment.refunded_minor,
            "status": given.payment.status,
        },
    }


class SaleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    payer_name = serializers.CharField(help_text="The payer's verified name, masked.")
    description = serializers.CharField()
    gross_minor = serializers.IntegerField(help_text="The price before the coupon.")
    discount_minor = serializers.IntegerField()
    amount_minor = serializers.IntegerField(help_text="What the customer paid.")
    refunded_minor = serializers.IntegerField()
    refundable_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)


# Named apart from the wallet's own "Refund" component, which has another shape.
@extend_schema_serializer(component_name="ShopRefund")
class RefundSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    payment_id = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    reason = serializers.CharField()
    refunded_by = serializers.CharField()
    transaction_id = serializers.IntegerField()
    coupon_returned = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class SalesPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")


class ShopPaymentListApi(LinliAPIView):
    """The shop's payments, newest first (staff of the shop only)."""

    pagination_class = SalesPagination  # so the schema shows the paged envelope

    @extend_schema(operation_id="merchant_payments_list", responses=SaleSerializer(many=True))
    def get(self, request: Request, shop_id: int) -> Response:
        shop = selectors_checkout.staff_shop(signed_in_user(request), shop_id)
        paginator = SalesPagination()
        page = paginator.paginate_queryset(selectors_sales.shop_payments(shop), request, view=self)
        rows = selectors_sales.sale_rows(list(page or []))
        return paginator.get_paginated_response([render_sale(row) for row in rows])


class ShopPaymentDetailApi(LinliAPIView):
    class OutputSerializer(SaleSerializer):
        refunds = RefundSerializer(many=True)

    @extend_schema(operation_id="merchant_payment_retrieve", responses=OutputSerializer)
    def get(self, request: Request, shop_id: int, payment_id: int) -> Response:
        shop = selectors_checkout.staff_shop(signed_in_user(request), shop_id)
        payment = refunds.shop_payment(shop, payment_id)
        body = render_sale(selectors_sales.sale_rows([payment])[0])
        body["refunds"] = [render_refund(r) for r in selectors_sales.payment_refunds(payment)]
        return Response(body)


class ShopRefundCreateApi(WalletApiView):
    """Refund a payment in full (no amount) or in part; several parts up to what was paid."""

    class InputSerializer(serializers.Serializer[Any]):
        amount_minor = AmountField(required=False)
        reason = serializers.CharField(
            max_length=refunds.REASON_MAX_LENGTH, required=False, allow_blank=True
        )

    class OutputSerializer(serializers.Serializer[Any]):
        class PaymentStateSerializer(serializers.Serializer[Any]):
            id = serializers.IntegerField()
            amount_minor = serializers.IntegerField()
            refunded_minor = serializers.IntegerField()
            status = serializers.ChoiceField(choices=Payment.Status.choices)

        refund = RefundSerializer()
        payment = PaymentStateSerializer()

    @extend_schema(
        operation_id="merchant_refund_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, shop_id: int, payment_id: int) -> Response:
        user = signed_in_user(request)
        shop = selectors_checkout.staff_shop(user, shop_id)
        payment = refunds.shop_payment(shop, payment_id)
        idempotency = self.idempotency(request, render_refund_given)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = refunds.refund_create(
            actor=user,
            shop=shop,
            payment=payment,
            amount_minor=data.validated_data.get("amount_minor"),
            reason=data.validated_data.get("reason", ""),
            idempotency=idempotency,
        )
        return Response(render_refund_given(given), status=201)


class ShopDailySalesApi(LinliAPIView):
    """Sales and refunds of each of the last 30 days, oldest first (for the chart)."""

    class OutputSerializer(serializers.Serializer[Any]):
        day = serializers.DateField()
        payment_count = serializers.IntegerField()
        sales_minor = serializers.IntegerField()
        refunds_minor = serializers.IntegerField()
        net_minor = serializers.IntegerField()

    @extend_schema(operation_id="merchant_sales_daily", responses=OutputSerializer(many=True))
    def get(self, request: Request, shop_id: int) -> Response:
        shop = selectors_checkout.staff_shop(signed_in_user(request), shop_id)
        return Response(
            [
                {
                    "day": figure.day.isoformat(),
                    "payment_count": figure.payment_count,
                    "sales_minor": figure.sales_minor,
                    "refunds_minor": figure.refunds_minor,
                    "net_minor": figure.net_minor,
                }
                for figure in selectors_sales.daily_figures(shop)
            ]
        )
