"""Wallet parameters: PIN, limits, no-PIN threshold, freeze and unfreeze."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import authenticated_user
from wallet.api.base import PinField, WalletApiView
from wallet.models import WalletProfile
from wallet.services import limits, profile


class ProfileSerializer(serializers.ModelSerializer[WalletProfile]):
    has_pin = serializers.BooleanField(read_only=True)
    is_frozen = serializers.BooleanField(read_only=True)
    verification_level = serializers.SerializerMethodField()
    remaining_today_minor = serializers.SerializerMethodField()
    remaining_at_level_minor = serializers.SerializerMethodField()

    class Meta:
        model = WalletProfile
        fields = [
            "has_pin",
            "is_frozen",
            "pin_locked_until",
            "no_pin_limit_minor",
            "single_limit_minor",
            "daily_limit_minor",
            "verification_level",
            "remaining_today_minor",
            "remaining_at_level_minor",
        ]

    def get_verification_level(self, obj: WalletProfile) -> int:
        return limits.verification_level(obj.user)

    def get_remaining_today_minor(self, obj: WalletProfile) -> int | None:
        return limits.remaining(obj.user)["day"]

    def get_remaining_at_level_minor(self, obj: WalletProfile) -> int | None:
        return limits.remaining(obj.user)["level"]


class WalletSettingsApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        no_pin_limit_minor = serializers.IntegerField(required=False, min_value=0)
        single_limit_minor = serializers.IntegerField(required=False, min_value=1)
        daily_limit_minor = serializers.IntegerField(required=False, min_value=1)
        pin = serializers.CharField(max_length=6, write_only=True)

    @extend_schema(operation_id="wallet_settings_retrieve", responses=ProfileSerializer)
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(profile.wallet_profile(authenticated_user(request))).data)

    @extend_schema(
        operation_id="wallet_settings_update", request=InputSerializer, responses=ProfileSerializer
    )
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = profile.limits_update(user=authenticated_user(request), **data.validated_data)
        return Response(ProfileSerializer(updated).data)


class PinSetApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        new_pin = serializers.CharField(min_length=6, max_length=6, write_only=True)
        current_pin = PinField()

    @extend_schema(
        operation_id="wallet_pin_set", request=InputSerializer, responses=ProfileSerializer
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = profile.pin_set(
            user=authenticated_user(request),
            new_pin=data.validated_data["new_pin"],
            current_pin=data.validated_data.get("current_pin") or None,
        )
        return Response(ProfileSerializer(updated).data)


class FreezeApi(WalletApiView):
    """ "Lost phone": stop all payments and withdrawals at once."""

    @extend_schema(operation_id="wallet_freeze", request=None, responses=ProfileSerializer)
    def post(self, request: Request) -> Response:
        return Response(
            ProfileSerializer(profile.wallet_freeze(user=authenticated_user(request))).data
        )


class UnfreezeApi(WalletApiView):
    class InputSerializer(serializers.Serializer[Any]):
        password = serializers.CharField(write_only=True, trim_whitespace=False)
        pin = serializers.CharField(max_length=6, write_only=True)

    @extend_schema(
        operation_id="wallet_unfreeze", request=InputSerializer, responses=ProfileSerializer
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = profile.wallet_unfreeze(user=authenticated_user(request), **data.validated_data)
        return Response(ProfileSerializer(updated).data)
