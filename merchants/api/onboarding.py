"""Onboarding over the API: apply, the operators' queue and review, staff invites (create,
list, accept, revoke) and an estate's shop directory. Thin: rules live in
``merchants.services.onboarding``. Nothing here moves money, so no Idempotency-Key."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from community.models import Neighbourhood
from core.api import LinliAPIView
from core.errors import NotFound
from merchants import selectors_directory as reads
from merchants.errors import NotOperator
from merchants.models import Shop, ShopStaff, StaffInvite
from merchants.services import onboarding as services


class OnboardingPages(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


# --- shared shapes ---------------------------------------------------------------------------


class MerchantApplicationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    business_name = serializers.CharField()
    credit_code = serializers.CharField()
    credit_code_checks = serializers.BooleanField(
        help_text="False: the check character does not match; an operator checks by hand."
    )
    category = serializers.ChoiceField(choices=Shop.Category.choices)
    neighbourhood_id = serializers.IntegerField()
    address = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Shop.Status.choices)
    owner_id = serializers.IntegerField(allow_null=True)
    settlement_card_id = serializers.IntegerField(allow_null=True)
    review_note = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class MerchantInviteSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    shop_id = serializers.IntegerField()
    shop_name = serializers.CharField(source="shop.name")
    phone = serializers.CharField(help_text="E.164 mobile number.")
    staff_role = serializers.ChoiceField(source="role", choices=ShopStaff.Role.choices)
    status = serializers.ChoiceField(choices=StaffInvite.Status.choices)
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)


def _operator(request: Request) -> Any:
    user = signed_in_user(request)
    if not user.is_operator:
        raise NotOperator()
    return user


# --- applying and review ---------------------------------------------------------------------


class MerchantShopApplyApi(LinliAPIView):
    class MerchantApplyInputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=100)
        business_name = serializers.CharField(max_length=100)
        credit_code = serializers.CharField(max_length=30)
        category = serializers.ChoiceField(choices=Shop.Category.choices)
        neighbourhood_id = serializers.IntegerField()
        address = serializers.CharField(max_length=200)
        description = serializers.CharField(
            max_length=300, required=False, allow_blank=True, default=""
        )
        settlement_card_id = serializers.IntegerField(help_text="One of your bound, valid cards.")

    @extend_schema(
        operation_id="merchants_shop_apply",
        request=MerchantApplyInputSerializer,
        responses={201: MerchantApplicationSerializer},
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        data = self.MerchantApplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        estate = Neighbourhood.objects.filter(pk=values.pop("neighbourhood_id")).first()
        if estate is None:
            raise NotFound()
        card = reads.card_for_application(values.pop("settlement_card_id"))
        shop = services.shop_apply(owner=user, neighbourhood=estate, settlement_card=card, **values)
        return Response(MerchantApplicationSerializer(shop).data, status=status.HTTP_201_CREATED)


class MerchantApplicationListApi(LinliAPIView):
    """Operators: applications waiting for review, oldest first."""

    pagination_class = OnboardingPages  # so the schema shows the paged envelope

    @extend_schema(
        operation_id="merchants_applications_list",
        responses=MerchantApplicationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        _operator(request)
        paginator = OnboardingPages()
        page = paginator.paginate_queryset(reads.pending_applications(), request, view=self)
        return paginator.get_paginated_response(MerchantApplicationSerializer(page, many=True).data)


class MerchantApplicationReviewApi(LinliAPIView):
    class MerchantReviewInputSerializer(serializers.Serializer[Any]):
        approve = serializers.BooleanField()
        reason = serializers.CharField(
            max_length=300,
            required=False,
            allow_blank=True,
            default="",
            help_text="Required to reject; the applicant reads it.",
        )

    @extend_schema(
        operation_id="merchants_application_review",
        request=MerchantReviewInputSerializer,
        responses=MerchantApplicationSerializer,
    )
    def post(self, request: Request, shop_id: int) -> Response:
        operator = _operator(request)
        shop = reads.pending_application(shop_id)
        data = self.MerchantReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviewed = services.shop_review(
            operator=operator,
            shop=shop,
            approve=data.validated_data["approve"],
            reason=data.validated_data["reason"],
        )
        return Response(MerchantApplicationSerializer(reviewed).data)


# --- staff invites ---------------------------------------------------------------------------


class MerchantShopInvitesApi(LinliAPIView):
    """A shop's pending invites (its staff see them), and the owner's new invite."""

    pagination_class = OnboardingPages  # so the schema shows the paged envelope

    class MerchantInviteInputSerializer(serializers.Serializer[Any]):
        phone = serializers.CharField(max_length=32, help_text="Mainland mobile number.")
        staff_role = serializers.ChoiceField(
            choices=ShopStaff.Role.choices,
            required=False,
            default=ShopStaff.Role.CASHIER,
            help_text="Cashier: owners are not invited.",
        )

    @extend_schema(
        operation_id="merchants_shop_invites_list",
        responses=MerchantInviteSerializer(many=True),
    )
    def get(self, request: Request, shop_id: int) -> Response:
        shop = reads.staffed_shop(signed_in_user(request), shop_id)
        paginator = OnboardingPages()
        page = paginator.paginate_queryset(reads.shop_invites(shop), request, view=self)
        return paginator.get_paginated_response(MerchantInviteSerializer(page, many=True).data)

    @extend_schema(
        operation_id="merchants_shop_invite_create",
        request=MerchantInviteInputSerializer,
        responses={201: MerchantInviteSerializer},
    )
    def post(self, request: Request, shop_id: int) -> Response:
        user = signed_in_user(request)
        shop = reads.staffed_shop(user, shop_id)
        data = self.MerchantInviteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invite = services.staff_invite(
            owner=user,
            shop=shop,
            phone=data.validated_data["phone"],
            role=data.validated_data["staff_role"],
        )
        return Response(MerchantInviteSerializer(invite).data, status=status.HTTP_201_CREATED)


class MerchantShopInviteRevokeApi(LinliAPIView):
    @extend_schema(
        operation_id="merchants_shop_invite_revoke",
        request=None,
        responses=MerchantInviteSerializer,
    )
    def post(self, request: Request, shop_id: int, invite_id: int) -> Response:
        user = signed_in_user(request)
        shop = reads.staffed_shop(user, shop_id)
        invite = services.invite_revoke(owner=user, invite=reads.shop_invite(shop, invite_id))
        return Response(MerchantInviteSerializer(invite).data)


class MerchantMyInvitesApi(LinliAPIView):
    @extend_schema(
        operation_id="merchants_my_invites_list",
        responses=MerchantInviteSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        invites = reads.my_invites(signed_in_user(request))
        return Response(MerchantInviteSerializer(invites, many=True).data)


class MerchantInviteAcceptApi(LinliAPIView):
    class MerchantStaffOutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        shop_id = serializers.IntegerField()
        user_id = serializers.IntegerField()
        staff_role = serializers.ChoiceField(source="role", choices=ShopStaff.Role.choices)

    @extend_schema(
        operation_id="merchants_my_invite_accept",
        request=None,
        responses=MerchantStaffOutputSerializer,
    )
    def post(self, request: Request, invite_id: int) -> Response:
        user = signed_in_user(request)
        staff = services.invite_accept(user=user, invite=reads.my_invite(user, invite_id))
        return Response(self.MerchantStaffOutputSerializer(staff).data)


# --- the directory ---------------------------------------------------------------------------


class MerchantDirectoryApi(LinliAPIView):
    class MerchantDirectoryItemSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField(source="shop.pk")
        name = serializers.CharField(source="shop.name")
        category = serializers.ChoiceField(source="shop.category", choices=Shop.Category.choices)
        address = serializers.CharField(source="shop.address")
        description = serializers.CharField(source="shop.description")
        pay_url = serializers.CharField(
            allow_null=True, help_text="The shop's static pay link (the payer types the amount)."
        )

    @extend_schema(
        operation_id="merchants_directory_list",
        parameters=[
            OpenApiParameter("category", str, enum=Shop.Category.values),
            OpenApiParameter("q", str, description="Part of the shop's name or description."),
        ],
        responses=MerchantDirectoryItemSerializer(many=True),
    )
    def get(self, request: Request, estate_id: int) -> Response:
        _, entries = reads.directory_shops(
            signed_in_user(request),
            estate_id,
            category=request.query_params.get("category", ""),
            search=request.query_params.get("q", "")[:100],
        )
        return Response(self.MerchantDirectoryItemSerializer(entries, many=True).data)
