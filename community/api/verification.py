"""Real-name verification API: my level and next steps, submit my identity, and the
operator's level decision. Identity numbers only ever leave masked."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from community.models import LevelChange, User
from community.services import verification as services
from community.verification import selectors
from core.api import LinliAPIView
from core.errors import NotFound


class _AllowanceSerializer(serializers.Serializer[Any]):
    level = serializers.IntegerField()
    span = serializers.CharField()
    limit_minor = serializers.IntegerField(help_text="CNY fen.")
    description = serializers.CharField()


class _NextStepSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    url = serializers.CharField()


class VerificationStatusSerializer(serializers.Serializer[Any]):
    level = serializers.IntegerField()
    level_label = serializers.CharField()
    id_number_masked = serializers.CharField(help_text="Only ever masked: 110***********1234.")
    verified_at = serializers.DateTimeField(allow_null=True)
    restricted = serializers.BooleanField(help_text="An operator capped the level.")
    remaining_minor = serializers.IntegerField(
        allow_null=True, help_text="What is left to pay under the level's limit, CNY fen."
    )
    allowances = _AllowanceSerializer(many=True)
    next_steps = _NextStepSerializer(many=True)


class VerificationApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        real_name = serializers.CharField(max_length=50)
        id_number = serializers.CharField(max_length=22)

    @extend_schema(operation_id="verification_retrieve", responses=VerificationStatusSerializer)
    def get(self, request: Request) -> Response:
        status = selectors.verification_status(signed_in_user(request))
        return Response(VerificationStatusSerializer(status).data)

    @extend_schema(
        operation_id="verification_submit",
        request=InputSerializer,
        responses={201: VerificationStatusSerializer},
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.identity_submit(user=user, **data.validated_data)
        status = selectors.verification_status(user)
        return Response(VerificationStatusSerializer(status).data, status=201)


class LevelChangeSerializer(serializers.ModelSerializer[LevelChange]):
    # None when the system changed the level (a provider's answer, a bound card).
    actor = serializers.StringRelatedField[Any](allow_null=True)

    class Meta:
        model = LevelChange
        fields = ["id", "from_level", "to_level", "source", "reason", "actor", "created_at"]


class IsOperator(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "is_operator", False))


class OperatorLevelApi(LinliAPIView):
    permission_classes = [IsOperator]

    class InputSerializer(serializers.Serializer[Any]):
        user_id = serializers.IntegerField()
        level = serializers.IntegerField(min_value=0, max_value=3)
        reason = serializers.CharField(max_length=300)

    class OutputSerializer(serializers.Serializer[Any]):
        user_id = serializers.IntegerField()
        level = serializers.IntegerField()
        id_number_masked = serializers.CharField()
        history = LevelChangeSerializer(many=True)

    @extend_schema(
        operation_id="operator_verification_level_set",
        request=InputSerializer,
        responses=OutputSerializer,
    )
    def post(self, request: Request) -> Response:
        operator = signed_in_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = User.objects.filter(pk=data.validated_data["user_id"]).first()
        if user is None:
            raise NotFound()
        level = services.level_set_by_operator(
            operator=operator,
            user=user,
            level=data.validated_data["level"],
            reason=data.validated_data["reason"],
        )
        record = getattr(user, "identity", None)
        body = {
            "user_id": user.pk,
            "level": level,
            "id_number_masked": record.id_number_masked if record else "",
            "history": selectors.level_history(user),
        }
        return Response(self.OutputSerializer(body).data)
