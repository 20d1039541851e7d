from django.db.models import QuerySet

from community.models import User
from merchants.models import ShopStaff


def staff_memberships(user: User) -> QuerySet[ShopStaff]:
    """The shops ``user`` works in, with each shop and its neighbourhood in one query."""
    return (
        ShopStaff.objects.filter(user=user)
        .select_related("shop", "shop__neighbourhood")
        .order_by("shop__name")
    )
