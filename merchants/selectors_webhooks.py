"""Reads of a shop's webhooks, for its owner only: a shop someone does not own (a cashier
of it included), another shop's endpoint or delivery, are all 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from core.errors import NotFound
from merchants.models import Shop, ShopStaff, WebhookDelivery, WebhookEndpoint


def owned_shop(user: Any, shop_id: int) -> Shop:
    """A shop ``user`` owns; anyone else, its cashiers included, gets 404."""
    shop = Shop.objects.filter(
        pk=shop_id, staff__user_id=user.pk, staff__role=ShopStaff.Role.OWNER
    ).first()
    if shop is None:
        raise NotFound()
    return shop


def shop_endpoints(shop: Shop) -> QuerySet[WebhookEndpoint]:
    """The shop's endpoints, newest first, each with how many deliveries wait and how many
    were given up (one query)."""
    return (
        WebhookEndpoint.objects.filter(shop=shop)
        .defer("secret")
        .annotate(
            pending=Count(
                "deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.PENDING)
            ),
            failed=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
        )
        .order_by("-created_at", "-pk")
    )


def shop_endpoint(shop: Shop, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(shop=shop, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def shop_deliveries(shop: Shop, *, endpoint_id: int | None = None) -> QuerySet[WebhookDelivery]:
    """The shop's delivery log, newest first, each with its endpoint's URL (one query)."""
    deliveries = WebhookDelivery.objects.filter(endpoint__shop=shop)
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    return (
        deliveries.select_related("endpoint")
        .defer("payload", "endpoint__secret", "endpoint__event_types")
        .order_by("-created_at", "-pk")
    )


def shop_delivery(shop: Shop, delivery_pk: int) -> WebhookDelivery:
    delivery = shop_deliveries(shop).filter(pk=delivery_pk).first()
    if delivery is None:
        raise NotFound()
    return delivery
