from typing import Any, cast

from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import notifications
from core.errors import NotFound
from core.models import Notification


def authenticated_user(request: Request) -> Any:
    """The caller of a view that requires authentication (``IsAuthenticated`` ran first)."""
    user = request.user
    if not user or not user.is_authenticated:
        raise NotAuthenticated()
    return user


class LinliAPIView(APIView):
    """Base for every API view: answers in the caller's preferred language.

    Token clients are authenticated inside the view, after the locale middleware ran, so
    the user's saved preference is applied here; the browser's Accept-Language is the
    fallback for users without one.
    """

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        language = getattr(request.user, "preferred_language", "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()


class InboxPagination(CursorPagination):
    page_size = 20
    ordering = ("-created_at", "-id")


class NotificationListApi(LinliAPIView):
    pagination_class = InboxPagination  # so the schema shows the paged envelope

    class OutputSerializer(serializers.ModelSerializer[Notification]):
        class Meta:
            model = Notification
            fields = ["id", "kind", "title", "body", "url", "data", "created_at", "read_at"]

    @extend_schema(operation_id="notifications_list", responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = InboxPagination()
        page = paginator.paginate_queryset(
            Notification.objects.filter(user_id=cast(int, request.user.pk)), request, view=self
        )
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class UnreadCountApi(LinliAPIView):
    class OutputSerializer(serializers.Serializer[Any]):
        unread = serializers.IntegerField()

    @extend_schema(operation_id="notifications_unread_count", responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response({"unread": notifications.unread_count(request.user)})


class NotificationReadApi(LinliAPIView):
    @extend_schema(
        operation_id="notifications_mark_read",
        request=None,
        responses=NotificationListApi.OutputSerializer,
    )
    def post(self, request: Request, notification_id: int) -> Response:
        try:
            entry = notifications.notification_mark_read(
                user=request.user, notification_id=notification_id
            )
        except Notification.DoesNotExist:
            raise NotFound() from None
        return Response(NotificationListApi.OutputSerializer(entry).data)


class NotificationReadAllApi(LinliAPIView):
    class OutputSerializer(serializers.Serializer[Any]):
        marked = serializers.IntegerField()

    @extend_schema(
        operation_id="notifications_mark_all_read", request=None, responses=OutputSerializer
    )
    def post(self, request: Request) -> Response:
        marked = notifications.notifications_mark_all_read(user=request.user)
        return Response({"marked": marked}, status=status.HTTP_200_OK)
