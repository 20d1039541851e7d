"""Offers over the API: a shop's campaigns for its owner (list with results, create, pause,
resume, end), an estate's offers for a resident, claiming a coupon, and my coupons.

Thin: the rules are in ``merchants.services.offers``. Another shop's campaigns, and an
estate the caller does not belong to, are 404. Claiming takes an Idempotency-Key
(``WalletApiView``), so a double tap claims once.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from merchants import selectors_offers as reads
from merchants.models import Campaign, Coupon
from merchants.services import offers as services
from wallet.api.base import IDEMPOTENCY_HEADER, AmountField, WalletApiView


class CampaignSerializer(serializers.Serializer[Any]):
    """A campaign with its terms and results, as its owner reads it."""

    id = serializers.IntegerField()
    shop_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Campaign.Kind.choices)
    amount_minor = serializers.IntegerField(
        help_text="Amount off, the Y of spend-save, or the cap."
    )
    percent = serializers.IntegerField(allow_null=True)
    min_spend_minor = serializers.IntegerField(help_text="Spend-save: the X.")
    budget_count = serializers.IntegerField()
    budget_minor = serializers.IntegerField()
    per_resident_limit = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    audience = serializers.ChoiceField(choices=Campaign.Audience.choices)
    building_refs = serializers.ListField(child=serializers.IntegerField())
    circle_id = serializers.IntegerField(allow_null=True)
    lapsed_days = serializers.IntegerField()
    verified_only = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Campaign.Status.choices)
    claimed_count = serializers.IntegerField()
    reserved_minor = serializers.IntegerField(
        help_text="The largest discounts claimed coupons may take."
    )
    redeemed_count = serializers.IntegerField()
    discount_minor = serializers.IntegerField(help_text="Discount given.")
    sales_minor = serializers.IntegerField(help_text="Sales with the coupon, before the discount.")
    created_at = serializers.DateTimeField()


class OfferSerializer(serializers.Serializer[Any]):
    """A running offer as a resident reads it."""

    campaign_id = serializers.IntegerField(source="campaign.pk")
    shop_id = serializers.IntegerField(source="campaign.shop_id")
    shop_name = serializers.CharField(source="campaign.shop.name")
    name = serializers.CharField(source="campaign.name")
    kind = serializers.ChoiceField(source="campaign.kind", choices=Campaign.Kind.choices)
    amount_minor = serializers.IntegerField(source="campaign.amount_minor")
    percent = serializers.IntegerField(source="campaign.percent", allow_null=True)
    min_spend_minor = serializers.IntegerField(source="campaign.min_spend_minor")
    ends_at = serializers.DateTimeField(source="campaign.ends_at")
    left = serializers.IntegerField(help_text="Coupons still to claim.")
    mine = serializers.IntegerField(help_text="Coupons of it you hold, used or not.")
    can_claim = serializers.BooleanField()


class CouponSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField(source="campaign.name")
    shop_id = serializers.IntegerField(source="campaign.shop_id")
    shop_name = serializers.CharField(source="campaign.shop.name")
    kind = serializers.ChoiceField(source="campaign.kind", choices=Campaign.Kind.choices)
    amount_minor = serializers.IntegerField(source="campaign.amount_minor")
    percent = serializers.IntegerField(source="campaign.percent", allow_null=True)
    min_spend_minor = serializers.IntegerField(source="campaign.min_spend_minor")
    ends_at = serializers.DateTimeField(source="campaign.ends_at")
    claimed_at = serializers.DateTimeField()
    redeemed_at = serializers.DateTimeField(allow_null=True)
    state = serializers.SerializerMethodField(help_text="usable, paused, used or expired")

    def get_state(self, coupon: Coupon) -> str:
        return services.coupon_state(coupon)


def render_coupon(coupon: Coupon) -> dict[str, Any]:
    return dict(CouponSerializer(coupon).data)


# --- the owner's campaigns -----------------------------------------------------------------


class CampaignListCreateApi(LinliAPIView):
    """The shop's campaigns with their results, and a new one (the owner only)."""

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=60)
        kind = serializers.ChoiceField(choices=Campaign.Kind.choices)
        amount_minor = AmountField(help_text="Amount off, the Y of spend-save, or the cap.")
        percent = serializers.IntegerField(required=False, allow_null=True)
        min_spend_minor = serializers.IntegerField(required=False, default=0, min_value=0)
        budget_count = serializers.IntegerField(min_value=1)
        budget_minor = AmountField()
        per_resident_limit = serializers.IntegerField(required=False, default=1)
        starts_at = serializers.DateTimeField(required=False, allow_null=True)
        ends_at = serializers.DateTimeField()
        audience = serializers.ChoiceField(
            choices=Campaign.Audience.choices, required=False, default="neighbourhood"
        )
        building_refs = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False, default=list
        )
        circle_id = serializers.IntegerField(required=False, allow_null=True)
        lapsed_days = serializers.IntegerField(required=False, default=30)
        verified_only = serializers.BooleanField(required=False, default=False)

    @extend_schema(operation_id="merchant_campaigns_list", responses=CampaignSerializer(many=True))
    def get(self, request: Request, shop_id: int) -> Response:
        shop = reads.owner_shop(signed_in_user(request), shop_id)
        return Response(CampaignSerializer(reads.shop_campaigns(shop), many=True).data)

    @extend_schema(
        operation_id="merchant_campaign_create",
        request=InputSerializer,
        responses={201: CampaignSerializer},
    )
    def post(self, request: Request, shop_id: int) -> Response:
        user = signed_in_user(request)
        shop = reads.owner_shop(user, shop_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = services.campaign_create(owner=user, shop=shop, **data.validated_data)
        return Response(CampaignSerializer(made).data, status=status.HTTP_201_CREATED)


class CampaignStatusApi(LinliAPIView):
    """Pause, resume or end a campaign (the owner only). Ending is for good."""

    class InputSerializer(serializers.Serializer[Any]):
        action = serializers.ChoiceField(choices=["pause", "resume", "end"])

    MOVES = {
        "pause": services.campaign_pause,
        "resume": services.campaign_resume,
        "end": services.campaign_end,
    }

    @extend_schema(
        operation_id="merchant_campaign_status",
        request=InputSerializer,
        responses=CampaignSerializer,
    )
    def post(self, request: Request, shop_id: int, campaign_id: int) -> Response:
        user = signed_in_user(request)
        campaign = reads.shop_campaign(reads.owner_shop(user, shop_id), campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = self.MOVES[data.validated_data["action"]](owner=user, campaign=campaign)
        return Response(CampaignSerializer(moved).data)


# --- residents -----------------------------------------------------------------------------


class EstateOffersApi(LinliAPIView):
    """The estate's running offers the caller is in the audience of, soonest ending first."""

    @extend_schema(operation_id="merchant_estate_offers", responses=OfferSerializer(many=True))
    def get(self, request: Request, estate_id: int) -> Response:
        _, rows = reads.estate_offers(signed_in_user(request), estate_id)
        return Response(OfferSerializer(rows, many=True).data)


class OfferClaimApi(WalletApiView):
    """Claim one coupon of an offer; it applies by itself at the shop's checkout."""

    @extend_schema(
        operation_id="merchant_offer_claim",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses={201: CouponSerializer},
    )
    def post(self, request: Request, campaign_id: int) -> Response:
        user = signed_in_user(request)
        campaign = reads.claimable_campaign(user, campaign_id)
        coupon = services.coupon_claim(
            user=user, campaign=campaign, idempotency=self.idempotency(request, render_coupon)
        )
        return Response(render_coupon(reads.my_coupon(user, coupon.pk)), status=201)


class MyCouponsApi(LinliAPIView):
    """The caller's coupons, newest first, each with its state."""

    @extend_schema(operation_id="merchant_my_coupons", responses=CouponSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(CouponSerializer(reads.my_coupons(signed_in_user(request)), many=True).data)
