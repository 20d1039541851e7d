"""A shop's settlements and settlement card over the API, for its owner (anyone else: 404)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from merchants import selectors_directory as directory
from merchants import selectors_settlement as reads
from merchants.services import onboarding
from wallet.api.base import PinField


class SettlementPages(PageNumberPagination):
    page_size = 31
    max_page_size = 366
    page_size_query_param = "page_size"


class MerchantSettlementSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    business_date = serializers.DateField()
    currency = serializers.CharField()
    status = serializers.CharField(help_text="calculated, booked, paid, retrying or carried")
    payment_count = serializers.IntegerField()
    payments_minor = serializers.IntegerField()
    refund_count = serializers.IntegerField()
    refunds_minor = serializers.IntegerField(help_text="Zero or negative.")
    other_minor = serializers.IntegerField()
    fees_minor = serializers.IntegerField(help_text="Net fees kept by the platform.")
    carried_in_minor = serializers.IntegerField()
    recovered_minor = serializers.IntegerField(
        help_text="Refunds lent after an earlier payout, paid back from this day."
    )
    payout_minor = serializers.IntegerField()
    carried_out_minor = serializers.IntegerField()
    attempts = serializers.IntegerField()
    payout_reference = serializers.CharField()
    bank_reference = serializers.CharField()
    last_decline_code = serializers.CharField()
    card_last4 = serializers.CharField(source="profile.last4")
    paid_at = serializers.DateTimeField(allow_null=True)


class MerchantSettlementListApi(LinliAPIView):
    """The shop's settlements, newest business day first (the shop's owner only)."""

    pagination_class = SettlementPages  # so the schema shows the paged envelope

    @extend_schema(
        operation_id="merchant_settlements_list",
        responses=MerchantSettlementSerializer(many=True),
    )
    def get(self, request: Request, shop_id: int) -> Response:
        shop = reads.owned_shop(signed_in_user(request), shop_id)
        paginator = SettlementPages()
        page = paginator.paginate_queryset(reads.shop_settlements(shop), request, view=self)
        return paginator.get_paginated_response(MerchantSettlementSerializer(page, many=True).data)


class SettlementCardSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    bank_name = serializers.CharField()
    last4 = serializers.CharField()
    status = serializers.CharField(help_text="valid, expired, blacklisted or revoked")


class MerchantSettlementCardApi(LinliAPIView):
    """The card a shop's takings are paid out to; its owner may move them to another of
    their own bound, valid cards, with the payment PIN (anyone else: 404; a cashier of
    the shop: 404 as well, the owner's card is not theirs to see)."""

    class InputSerializer(serializers.Serializer[Any]):
        card_id = serializers.IntegerField(help_text="One of your bound, valid cards.")
        pin = PinField(required=True, allow_blank=False, help_text="Your 6-digit payment PIN.")

    @extend_schema(
        operation_id="merchant_settlement_card_retrieve",
        responses=SettlementCardSerializer(allow_null=True),
    )
    def get(self, request: Request, shop_id: int) -> Response:
        shop = reads.owned_shop(signed_in_user(request), shop_id)
        card = shop.settlement_card
        return Response(None if card is None else SettlementCardSerializer(card).data)

    @extend_schema(
        operation_id="merchant_settlement_card_change",
        request=InputSerializer,
        responses=SettlementCardSerializer,
    )
    def post(self, request: Request, shop_id: int) -> Response:
        user = signed_in_user(request)
        shop = reads.owned_shop(user, shop_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        changed = onboarding.settlement_card_change(
            owner=user,
            shop=shop,
            card=directory.card_for_application(values["card_id"]),
            pin=values["pin"],
        )
        return Response(SettlementCardSerializer(changed.settlement_card).data)
