from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from community import services
from community.auth import signed_in_user
from community.models import User
from community.phones import normalise_mainland_mobile
from core.api import LinliAPIView
from core.errors import ApplicationError


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    default_message = _("The mobile number, e-mail or password is not correct.")
    status_code = 400


class TooManyLoginAttempts(ApplicationError):
    code = "too_many_login_attempts"
    default_message = _("Too many failed login attempts. Try again later.")
    status_code = 429


class OperatorTokenRefused(ApplicationError):
    code = "operator_token_refused"
    default_message = _("Operators use the web console with two-factor authentication.")
    status_code = 403


class UserOutputSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "phone", "email", "display_name", "preferred_language", "role"]


class MeApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        display_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
        preferred_language = serializers.ChoiceField(
            choices=[("zh-hans", "zh-hans"), ("en", "en"), ("", "")], required=False
        )

    @extend_schema(operation_id="me_retrieve", responses=UserOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(signed_in_user(request)).data)

    @extend_schema(
        operation_id="me_update", request=InputSerializer, responses=UserOutputSerializer
    )
    def patch(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(
            user=signed_in_user(request), **serializer.validated_data
        )
        return Response(UserOutputSerializer(user).data)


class TokenLoginApi(LinliAPIView):
    """Mobile clients trade a mobile number (or e-mail) and password for an API token.

    Failed attempts count against the same limits as the web login.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_login"

    class InputSerializer(serializers.Serializer[Any]):
        login = serializers.CharField(help_text="Mobile number or e-mail address.")
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer[Any]):
        token = serializers.CharField()
        user = UserOutputSerializer()

    @extend_schema(
        operation_id="auth_token_create", request=InputSerializer, responses=OutputSerializer
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        login = serializer.validated_data["login"].strip()
        credentials = {"password": serializer.validated_data["password"]}
        if "@" in login:
            credentials["email"] = login.lower()
        else:
            try:
                credentials["phone"] = normalise_mainland_mobile(login)
            except DjangoValidationError:
                raise InvalidCredentials() from None
        try:
            user = get_adapter(request._request).authenticate(request._request, **credentials)
        except DjangoValidationError:
            raise TooManyLoginAttempts() from None
        if user is None or not user.is_active:
            raise InvalidCredentials()
        if user.is_operator:
            raise OperatorTokenRefused()
        token, _created = Token.objects.get_or_create(user=user)
        return Response(
            {"token": token.key, "user": UserOutputSerializer(user).data},
            status=status.HTTP_200_OK,
        )


class TokenRevokeApi(LinliAPIView):
    """Log a mobile client out: its token stops working at once."""

    @extend_schema(operation_id="auth_token_revoke", request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        Token.objects.filter(user=signed_in_user(request)).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
