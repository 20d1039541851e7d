"""Estates and announcements over the API: my estates, the directory, following, members
for staff, the announcement feed with read flags, publishing, read receipts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from community.models import Announcement, Membership, Neighbourhood
from community.selectors import visible_neighbourhood
from community.services import announcements as notices
from community.services import neighbourhoods as estates
from core.api import LinliAPIView


class Pages(PageNumberPagination):
    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"


class EstateSerializer(serializers.ModelSerializer[Neighbourhood]):
    class Meta:
        model = Neighbourhood
        fields = ["id", "name", "city", "district", "address"]


class AnnouncementSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    estate_id = serializers.IntegerField(source="neighbourhood_id")
    title = serializers.CharField()
    body = serializers.CharField()
    urgency = serializers.ChoiceField(choices=Announcement.Urgency.choices)
    pinned = serializers.BooleanField()
    building_refs = serializers.ListField(
        child=serializers.IntegerField(), help_text="Empty: the whole estate."
    )
    author = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField(
        source="is_read", default=False, help_text="Whether the caller has opened it."
    )

    def get_author(self, announcement: Announcement) -> str:
        return notices.author_name(announcement)


class EstateListApi(LinliAPIView):
    class OutputSerializer(serializers.Serializer[Any]):
        estate = EstateSerializer(source="neighbourhood")
        status = serializers.ChoiceField(choices=Membership.Status.choices)
        building_ref = serializers.IntegerField(allow_null=True)

    @extend_schema(operation_id="estates_mine", responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        memberships = estates.my_memberships(signed_in_user(request))
        return Response(self.OutputSerializer(memberships, many=True).data)


class EstateSearchApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        q = serializers.CharField(max_length=50)

    class OutputSerializer(serializers.Serializer[Any]):
        estate = EstateSerializer()
        status = serializers.ChoiceField(
            choices=Membership.Status.choices,
            allow_null=True,
            help_text="Your membership; null when you do not follow it.",
        )

    @extend_schema(
        operation_id="estates_search",
        parameters=[InputSerializer],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = estates.estate_search(signed_in_user(request), query.validated_data["q"])
        data = [{"estate": estate, "status": state} for estate, state in rows]
        return Response(self.OutputSerializer(data, many=True).data)


class EstateFollowApi(LinliAPIView):
    class OutputSerializer(serializers.Serializer[Any]):
        estate = EstateSerializer(source="neighbourhood")
        status = serializers.ChoiceField(choices=Membership.Status.choices)

    @extend_schema(operation_id="estates_follow", request=None, responses=OutputSerializer)
    def post(self, request: Request, estate_id: int) -> Response:
        membership = estates.estate_follow(user=signed_in_user(request), neighbourhood_id=estate_id)
        return Response(self.OutputSerializer(membership).data)

    @extend_schema(operation_id="estates_unfollow", request=None, responses={204: None})
    def delete(self, request: Request, estate_id: int) -> Response:
        estates.estate_unfollow(user=signed_in_user(request), neighbourhood_id=estate_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EstateMembersApi(LinliAPIView):
    pagination_class = Pages  # so the schema shows the paged envelope

    class OutputSerializer(serializers.Serializer[Any]):
        user_id = serializers.IntegerField()
        name = serializers.CharField(source="user.display_name")
        phone = serializers.SerializerMethodField(help_text="Only the last four digits show.")
        status = serializers.ChoiceField(choices=Membership.Status.choices)
        building_ref = serializers.IntegerField(allow_null=True)
        confirmed_at = serializers.DateTimeField(allow_null=True)

        def get_phone(self, membership: Membership) -> str:
            return estates.phone_for_staff(membership.user.phone)

    @extend_schema(operation_id="estates_members", responses=OutputSerializer(many=True))
    def get(self, request: Request, estate_id: int) -> Response:
        paginator = Pages()
        page = paginator.paginate_queryset(
            estates.estate_members(signed_in_user(request), estate_id), request, view=self
        )
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class EstateAnnouncementsApi(LinliAPIView):
    pagination_class = Pages

    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=100)
        body = serializers.CharField(max_length=5000)
        urgency = serializers.ChoiceField(
            choices=Announcement.Urgency.choices, default=Announcement.Urgency.NORMAL
        )
        pinned = serializers.BooleanField(default=False)
        building_refs = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            default=list,
            max_length=notices.MAX_BUILDINGS,
            help_text="Building ids; empty for the whole estate.",
        )

    class OutputSerializer(AnnouncementSerializer):
        audience_count = serializers.IntegerField()

    @extend_schema(
        operation_id="estates_announcements_list", responses=AnnouncementSerializer(many=True)
    )
    def get(self, request: Request, estate_id: int) -> Response:
        user = signed_in_user(request)
        feed = notices.visible_announcements(user, visible_neighbourhood(user, estate_id))
        paginator = Pages()
        page = paginator.paginate_queryset(feed, request, view=self)
        return paginator.get_paginated_response(AnnouncementSerializer(page, many=True).data)

    @extend_schema(
        operation_id="estates_announcements_publish",
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, estate_id: int) -> Response:
        user = signed_in_user(request)
        neighbourhood = visible_neighbourhood(user, estate_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        announcement = notices.announcement_publish(
            author=user, neighbourhood=neighbourhood, **data.validated_data
        )
        return Response(self.OutputSerializer(announcement).data, status=status.HTTP_201_CREATED)


class AnnouncementApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        title = serializers.CharField(max_length=100)
        body = serializers.CharField(max_length=5000)

    @extend_schema(operation_id="announcements_retrieve", responses=AnnouncementSerializer)
    def get(self, request: Request, announcement_id: int) -> Response:
        announcement = notices.announcement_for(signed_in_user(request), announcement_id)
        return Response(AnnouncementSerializer(announcement).data)

    @extend_schema(
        operation_id="announcements_update",
        request=InputSerializer,
        responses=AnnouncementSerializer,
    )
    def patch(self, request: Request, announcement_id: int) -> Response:
        user = signed_in_user(request)
        announcement = notices.staff_announcement(user, announcement_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notices.announcement_update(user=user, announcement=announcement, **data.validated_data)
        return Response(AnnouncementSerializer(announcement).data)

    @extend_schema(operation_id="announcements_withdraw", request=None, responses={204: None})
    def delete(self, request: Request, announcement_id: int) -> Response:
        user = signed_in_user(request)
        announcement = notices.staff_announcement(user, announcement_id)
        notices.announcement_withdraw(user=user, announcement=announcement)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnnouncementPinApi(LinliAPIView):
    @extend_schema(operation_id="announcements_pin", request=None, responses=AnnouncementSerializer)
    def post(self, request: Request, announcement_id: int) -> Response:
        user = signed_in_user(request)
        announcement = notices.staff_announcement(user, announcement_id)
        notices.announcement_pin(user=user, announcement=announcement)
        return Response(AnnouncementSerializer(announcement).data)

    @extend_schema(
        operation_id="announcements_unpin", request=None, responses={200: AnnouncementSerializer}
    )
    def delete(self, request: Request, announcement_id: int) -> Response:
        user = signed_in_user(request)
        announcement = notices.staff_announcement(user, announcement_id)
        notices.announcement_unpin(user=user, announcement=announcement)
        return Response(AnnouncementSerializer(announcement).data)


class AnnouncementReadApi(LinliAPIView):
    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        read = serializers.BooleanField()
        recorded = serializers.BooleanField(help_text="False when it was already marked read.")

    @extend_schema(operation_id="announcements_mark_read", request=None, responses=OutputSerializer)
    def post(self, request: Request, announcement_id: int) -> Response:
        user = signed_in_user(request)
        announcement = notices.announcement_for(user, announcement_id)
        recorded = notices.announcement_mark_read(user=user, announcement=announcement)
        return Response({"id": announcement.pk, "read": True, "recorded": recorded})


class AnnouncementReceiptsApi(LinliAPIView):
    class OutputSerializer(serializers.Serializer[Any]):
        read_count = serializers.IntegerField()
        audience_count = serializers.IntegerField()
        count = serializers.IntegerField(help_text="How many have not read it yet.")
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        results = EstateMembersApi.OutputSerializer(many=True, help_text="Who has not read it.")

    @extend_schema(
        operation_id="announcements_receipts",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses=OutputSerializer,
    )
    def get(self, request: Request, announcement_id: int) -> Response:
        announcement = notices.staff_announcement(signed_in_user(request), announcement_id)
        paginator = Pages()
        page = paginator.paginate_queryset(
            notices.unread_audience(announcement), request, view=self
        )
        response = paginator.get_paginated_response(
            EstateMembersApi.OutputSerializer(page, many=True).data
        )
        response.data = {
            "read_count": announcement.read_count,
            "audience_count": announcement.audience_count,
            **response.data,
        }
        return response
