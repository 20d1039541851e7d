"""Reads of checkout at the till: the caller's shop, a request by its token, the till's
recent requests. Scoping: a shop a user is not on the staff of is 404, as if it did not
exist, and so is every request of it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound
from merchants.models import PaymentRequest, Shop, ShopStaff

RECENT_LIMIT = 20


def staff_shop(user: Any, shop_id: int) -> Shop:
    """The shop ``shop_id`` if ``user`` is on its staff, else ``NotFound``."""
    shop = (
        Shop.objects.filter(pk=shop_id, staff__user_id=user.pk)
        .select_related("neighbourhood")
        .first()
    )
    if shop is None:
        raise NotFound()
    return shop


def is_staff(user: Any, shop: Shop) -> bool:
    return ShopStaff.objects.filter(shop=shop, user_id=user.pk).exists()


def staff_user_ids(shop: Shop) -> list[int]:
    """Everyone who works in ``shop``: they all see its till go "Received"."""
    return list(
        ShopStaff.objects.filter(shop=shop).order_by("user_id").values_list("user_id", flat=True)
    )


def request_by_token(token: str) -> PaymentRequest:
    """A payment request by the token in its link (any signed-in payer may open it)."""
    found = PaymentRequest.objects.select_related("shop").filter(token=token).first()
    if found is None:
        raise NotFound()
    return found


def staff_request(user: Any, request_id: int) -> PaymentRequest:
    """A payment request of a shop ``user`` works in, else ``NotFound``."""
    found = (
        PaymentRequest.objects.select_related("shop", "payment")
        .filter(pk=request_id, shop__staff__user_id=user.pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def recent_requests(shop: Shop, limit: int = RECENT_LIMIT) -> QuerySet[PaymentRequest]:
    """The shop's newest requests with who made and who paid them, and the payment, in one
    query."""
    return PaymentRequest.objects.filter(shop=shop).select_related(
        "created_by", "paid_by", "payment"
    )[:limit]
