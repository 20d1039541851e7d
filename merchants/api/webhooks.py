"""A shop's webhook endpoints and delivery log over the API, for its owner (anyone else,
its cashiers included: 404). The rules are ``merchants.services.webhooks``'; a signing
secret is in the answer that creates or rotates it, and never again."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from merchants import selectors_webhooks as reads
from merchants.models import WebhookEndpoint
from merchants.services import webhooks as services


class DeliveryPages(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class EndpointSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    pending = serializers.IntegerField(required=False, help_text="Deliveries waiting.")
    failed = serializers.IntegerField(required=False, help_text="Deliveries given up.")
    created_at = serializers.DateTimeField()


class EndpointWithSecretSerializer(serializers.Serializer[Any]):
    endpoint = EndpointSerializer()
    secret = serializers.CharField(help_text="Shown once: keep it to verify signatures.")


class DeliverySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    delivery_id = serializers.UUIDField()
    endpoint_id = serializers.IntegerField()
    endpoint_url = serializers.CharField(source="endpoint.url")
    event_type = serializers.CharField()
    status = serializers.CharField(help_text="pending, delivered or failed")
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


def _with_secret(new: services.NewSecret) -> dict[str, Any]:
    return {"endpoint": EndpointSerializer(new.endpoint).data, "secret": new.secret}


class MerchantWebhookEndpointsApi(LinliAPIView):
    """The shop's endpoints, newest first; add one (its secret is in this answer only)."""

    class InputSerializer(serializers.Serializer[Any]):
        url = serializers.CharField(max_length=services.URL_MAX_LENGTH)
        event_types = serializers.ListField(
            child=serializers.ChoiceField(choices=WebhookEndpoint.Event.values),
            allow_empty=False,
        )

    @extend_schema(
        operation_id="merchant_webhook_endpoints_list",
        responses=EndpointSerializer(many=True),
    )
    def get(self, request: Request, shop_id: int) -> Response:
        shop = reads.owned_shop(signed_in_user(request), shop_id)
        return Response(EndpointSerializer(reads.shop_endpoints(shop), many=True).data)

    @extend_schema(
        operation_id="merchant_webhook_endpoint_create",
        request=InputSerializer,
        responses={201: EndpointWithSecretSerializer},
    )
    def post(self, request: Request, shop_id: int) -> Response:
        user = signed_in_user(request)
        shop = reads.owned_shop(user, shop_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.endpoint_create(
            owner=user,
            shop=shop,
            url=data.validated_data["url"],
            event_types=data.validated_data["event_types"],
        )
        return Response(_with_secret(new), status=status.HTTP_201_CREATED)


class MerchantWebhookEndpointApi(LinliAPIView):
    """One endpoint: delete it with its delivery log."""

    @extend_schema(operation_id="merchant_webhook_endpoint_delete", responses={204: None})
    def delete(self, request: Request, shop_id: int, endpoint_id: int) -> Response:
        user, endpoint = _endpoint(request, shop_id, endpoint_id)
        services.endpoint_delete(owner=user, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _endpoint(request: Request, shop_id: int, endpoint_id: int) -> tuple[Any, WebhookEndpoint]:
    user = signed_in_user(request)
    return user, reads.shop_endpoint(reads.owned_shop(user, shop_id), endpoint_id)


class MerchantWebhookDisableApi(LinliAPIView):
    """Pause an endpoint: nothing is sent to it until it is enabled again."""

    @extend_schema(
        operation_id="merchant_webhook_endpoint_disable",
        request=None,
        responses=EndpointSerializer,
    )
    def post(self, request: Request, shop_id: int, endpoint_id: int) -> Response:
        user, endpoint = _endpoint(request, shop_id, endpoint_id)
        changed = services.endpoint_disable(owner=user, endpoint=endpoint)
        return Response(EndpointSerializer(changed).data)


class MerchantWebhookEnableApi(LinliAPIView):
    """Resume an endpoint; what waited is sent by the next sweep."""

    @extend_schema(
        operation_id="merchant_webhook_endpoint_enable",
        request=None,
        responses=EndpointSerializer,
    )
    def post(self, request: Request, shop_id: int, endpoint_id: int) -> Response:
        user, endpoint = _endpoint(request, shop_id, endpoint_id)
        changed = services.endpoint_enable(owner=user, endpoint=endpoint)
        return Response(EndpointSerializer(changed).data)


class MerchantWebhookRotateApi(LinliAPIView):
    """A new signing secret, in this answer only; every attempt from now on uses it."""

    @extend_schema(
        operation_id="merchant_webhook_endpoint_rotate",
        request=None,
        responses={201: EndpointWithSecretSerializer},
    )
    def post(self, request: Request, shop_id: int, endpoint_id: int) -> Response:
        user, endpoint = _endpoint(request, shop_id, endpoint_id)
        new = services.endpoint_rotate_secret(owner=user, endpoint=endpoint)
        return Response(_with_secret(new), status=status.HTTP_201_CREATED)


class MerchantWebhookPingApi(LinliAPIView):
    """Send a ``ping`` test event, delivered and retried like any other."""

    @extend_schema(
        operation_id="merchant_webhook_endpoint_ping",
        request=None,
        responses={202: DeliverySerializer},
    )
    def post(self, request: Request, shop_id: int, endpoint_id: int) -> Response:
        user, endpoint = _endpoint(request, shop_id, endpoint_id)
        delivery = services.endpoint_ping(owner=user, endpoint=endpoint)
        delivery.endpoint = endpoint
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class MerchantWebhookDeliveriesApi(LinliAPIView):
    """The shop's delivery log, newest first (``?endpoint=`` for one endpoint's)."""

    pagination_class = DeliveryPages  # so the schema shows the paged envelope

    @extend_schema(
        operation_id="merchant_webhook_deliveries_list",
        responses=DeliverySerializer(many=True),
    )
    def get(self, request: Request, shop_id: int) -> Response:
        shop = reads.owned_shop(signed_in_user(request), shop_id)
        raw = request.query_params.get("endpoint", "")
        endpoint_id = int(raw) if raw.isdigit() else None
        paginator = DeliveryPages()
        page = paginator.paginate_queryset(
            reads.shop_deliveries(shop, endpoint_id=endpoint_id), request, view=self
        )
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)


class MerchantWebhookDeliveryRetryApi(LinliAPIView):
    """Try a given-up delivery once more, now (``webhook_delivery_not_failed`` otherwise)."""

    @extend_schema(
        operation_id="merchant_webhook_delivery_retry",
        request=None,
        responses={202: DeliverySerializer},
    )
    def post(self, request: Request, shop_id: int, delivery_pk: int) -> Response:
        user = signed_in_user(request)
        delivery = reads.shop_delivery(reads.owned_shop(user, shop_id), delivery_pk)
        retried = services.delivery_retry(owner=user, delivery=delivery)
        retried.endpoint = delivery.endpoint
        return Response(DeliverySerializer(retried).data, status=status.HTTP_202_ACCEPTED)
