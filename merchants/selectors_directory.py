"""Reads of onboarding and the neighbourhood directory. Each is scoped to who asks: a shop
someone does not work in, an invite for another number, an estate they do not belong to are
all 404, as if they did not exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from community.selectors import visible_neighbourhood
from core.errors import NotFound
from merchants.errors import SettlementCardInvalid
from merchants.models import Campaign, Shop, ShopStaff, StaffInvite
from merchants.selectors_offers import shop_offers
from wallet.models import Account, BankCard
from wallet.paylinks import make_url


@dataclass(frozen=True)
class DirectoryEntry:
    shop: Shop
    pay_url: str | None  # the shop's static QR link; None until its account is opened
    offers: list[Campaign] = field(default_factory=list)  # running, with coupons left


def directory_shops(
    user: Any, neighbourhood_id: int, *, category: str = "", search: str = ""
) -> tuple[Any, list[DirectoryEntry]]:
    """The approved shops of an estate ``user`` belongs to (404 otherwise), optionally of
    one category and with ``search`` in the name, each with its static pay link and its
    current offers.

    Four queries however many shops: the estate, the shops, their wallet accounts, their
    offers.
    """
    estate = visible_neighbourhood(user, neighbourhood_id)
    shops = Shop.objects.filter(neighbourhood=estate, status=Shop.Status.APPROVED)
    if category in Shop.Category.values:
        shops = shops.filter(category=category)
    search = search.strip()
    if search:
        shops = shops.filter(Q(name__icontains=search) | Q(description__icontains=search))
    rows = list(shops.order_by("name", "pk"))
    accounts = {
        account.owner_ref: account
        for account in Account.objects.filter(
            kind=Account.Kind.MERCHANT,
            currency="CNY",
            owner_ref__in=[f"shop:{shop.pk}" for shop in rows],
        )
    }
    offers = shop_offers([shop.pk for shop in rows])
    entries = []
    for shop in rows:
        account = accounts.get(f"shop:{shop.pk}")
        entries.append(
            DirectoryEntry(shop, make_url(account) if account else None, offers.get(shop.pk, []))
        )
    return estate, entries


def pending_applications() -> QuerySet[Shop]:
    """The operators' queue: applications waiting, oldest first, with what a reviewer reads."""
    return (
        Shop.objects.filter(status=Shop.Status.PENDING)
        .select_related("owner", "neighbourhood", "settlement_card")
        .order_by("created_at", "pk")
    )


def pending_application(shop_id: int) -> Shop:
    shop = pending_applications().filter(pk=shop_id).first()
    if shop is None:
        raise NotFound()
    return shop


def staffed_shop(user: Any, shop_id: int) -> Shop:
    """A shop ``user`` works in (any role); anyone else gets 404."""
    shop = Shop.objects.filter(pk=shop_id, staff__user_id=user.pk).first()
    if shop is None:
        raise NotFound()
    return shop


def shop_staff(shop: Shop) -> QuerySet[ShopStaff]:
    """Owners first, then cashiers, each with the person (one query)."""
    return (
        ShopStaff.objects.filter(shop=shop).select_related("user", "shop").order_by("-role", "pk")
    )


def shop_staff_member(shop: Shop, staff_id: int) -> ShopStaff:
    staff = shop_staff(shop).filter(pk=staff_id).first()
    if staff is None:
        raise NotFound()
    return staff


def shop_invites(shop: Shop, *, pending_only: bool = True) -> QuerySet[StaffInvite]:
    invites = StaffInvite.objects.filter(shop=shop).select_related("shop")
    if pending_only:
        invites = invites.filter(status=StaffInvite.Status.PENDING)
    return invites.order_by("-created_at", "-pk")


def shop_invite(shop: Shop, invite_id: int) -> StaffInvite:
    invite = StaffInvite.objects.filter(shop=shop, pk=invite_id).select_related("shop").first()
    if invite is None:
        raise NotFound()
    return invite


def my_invites(user: Any) -> QuerySet[StaffInvite]:
    """Invites waiting for ``user``'s mobile number, with the shop and its estate."""
    return (
        StaffInvite.objects.filter(phone=user.phone, status=StaffInvite.Status.PENDING)
        .select_related("shop", "shop__neighbourhood", "invited_by")
        .order_by("-created_at", "-pk")
    )


def my_invite(user: Any, invite_id: int) -> StaffInvite:
    invite = my_invites(user).filter(pk=invite_id).first()
    if invite is None:
        raise NotFound()
    return invite


def settlement_cards(user: Any) -> QuerySet[BankCard]:
    """The cards a shop owner may choose for settlement: their own, bound and valid."""
    return BankCard.objects.filter(
        owner_id=user.pk, status=BankCard.Status.VALID, removed_at__isnull=True
    ).order_by("-is_default", "pk")


def card_for_application(card_id: int | None) -> BankCard:
    """The card an application names; whether it is the owner's own, valid card is the
    service's rule (``settlement_card_invalid``), so a missing card answers the same."""
    card = BankCard.objects.filter(pk=card_id).first() if card_id else None
    if card is None:
        raise SettlementCardInvalid(
            fields={"settlement_card": [SettlementCardInvalid.default_message]}
        )
    return card
