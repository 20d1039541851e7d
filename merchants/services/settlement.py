"""Shops' T+1 settlement: the shop's side of ``wallet.services.settlement``.

Every approved shop with a settlement card has a payout profile on its wallet account: the
card's bank token, bank, last four digits and holder, and the fee rate operators set for
the shop's category (``CategoryFee``, 60 basis points when none is set). The wallet
settles and pays; this module keeps the profile in step with the shop (on approval, when
a category's rate changes) and tells the owner how each payout went.

Locks: ``category_fee_set`` locks the category's fee row, then each shop's payout profile
(inside ``payout_profile_register``), shops in primary-key order.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from core.money import Money
from core.notifications import lazy_format, notify
from merchants.errors import NotOperator
from merchants.models import CategoryFee, Shop, ShopStaff
from merchants.services import webhooks
from merchants.services.accounts import shop_account
from wallet.models import PayoutProfile, Settlement
from wallet.services.settlement import payout_profile_register

DEFAULT_FEE_BPS = 60
MAX_FEE_BPS = 1000  # the CategoryFee constraint: at most 10 %
OWNER_REF_PREFIX = "shop:"


def shop_fee_bps(shop: Shop) -> int:
    fee = CategoryFee.objects.filter(category=shop.category).values_list("fee_bps", flat=True)
    return next(iter(fee), DEFAULT_FEE_BPS)


def shop_payout_register(shop: Shop) -> PayoutProfile | None:
    """Create or refresh the payout profile of an approved shop's account from its
    settlement card and its category's fee. None for a shop without a card or not
    approved (nothing is paid out to it). Runs in the caller's transaction if any."""
    card = shop.settlement_card
    if card is None or shop.status != Shop.Status.APPROVED:
        return None
    return payout_profile_register(
        account=shop_account(shop),
        label=shop.name,
        card_token=card.token,
        bank_name=card.bank_name,
        last4=card.last4,
        holder_name=card.holder_name,
        fee_bps=shop_fee_bps(shop),
    )


@transaction.atomic(durable=True)
def category_fee_set(*, operator: Any, category: str, fee_bps: int) -> CategoryFee:
    """An operator sets the fee rate of a shop category (0 to 1 000 basis points); every
    approved shop of the category is settled at it from the next settlement on.

    Operators only (``operator_only``). Locks the fee row, then the shops' payout profiles.
    """
    if not getattr(operator, "is_operator", False):
        raise NotOperator()
    if category not in Shop.Category.values:
        raise ValidationFailed(fields={"category": [_("Choose a category.")]})
    if isinstance(fee_bps, bool) or not isinstance(fee_bps, int) or not 0 <= fee_bps <= MAX_FEE_BPS:
        raise ValidationFailed(
            fields={"fee_bps": [_("A rate between 0 and 1000 basis points (10 %).")]}
        )
    fee, _created = CategoryFee.objects.update_or_create(
        category=category, defaults={"fee_bps": fee_bps, "updated_by": operator}
    )
    category_payouts_refresh(category)
    return fee


def category_payouts_refresh(category: str) -> int:
    """Refresh the payout profiles of the category's approved shops after its rate changed
    (here or in the admin), in the caller's transaction. Returns how many.

    Locks the shops (in primary-key order, then their payout profiles, as an owner's card
    change does): read unlocked, a card changed at the same moment would be written back
    over by the card read here, or the change would write back the old rate.
    """
    # Locked without the card joined: PostgreSQL rechecks a row it waited for against the
    # joined rows it read before waiting, and would drop a shop whose card just changed.
    locked = list(
        Shop.objects.select_for_update()
        .filter(category=category, status=Shop.Status.APPROVED, settlement_card__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    shops = Shop.objects.filter(pk__in=locked).select_related("settlement_card").order_by("pk")
    return sum(1 for shop in shops if shop_payout_register(shop) is not None)


# --- told by the wallet (settings.WALLET_SETTLEMENT_PAID_HANDLER / _PAYOUT_FAILED_HANDLER) ---


def _owners(settlement: Settlement) -> tuple[Shop | None, list[Any]]:
    ref = settlement.account.owner_ref
    if not ref.startswith(OWNER_REF_PREFIX) or not ref[len(OWNER_REF_PREFIX) :].isdigit():
        return None, []
    shop = Shop.objects.filter(pk=int(ref[len(OWNER_REF_PREFIX) :])).first()
    if shop is None:
        return None, []
    owners = [
        staff.user
        for staff in ShopStaff.objects.filter(shop=shop, role=ShopStaff.Role.OWNER).select_related(
            "user"
        )
    ]
    return shop, owners


def settlement_paid(*, settlement: Settlement) -> None:
    """A shop's settlement reached its card: its owners are told and the
    ``settlement.paid`` webhook is queued (accounts of other layers are not ours and are
    ignored). The wallet calls this after the PAID commit; the webhook's event key makes a
    second call deliver nothing twice."""
    shop, owners = _owners(settlement)
    if shop is not None:
        with transaction.atomic():
            webhooks.emit(
                shop_id=shop.pk,
                event_type="settlement.paid",
                event_key=f"settlement:{settlement.pk}",
                data={
                    "settlement_id": settlement.pk,
                    "business_date": settlement.business_date.isoformat(),
                    "currency": settlement.currency,
                    "payments_minor": settlement.payments_minor,
                    "payment_count": settlement.payment_count,
                    "refunds_minor": settlement.refunds_minor,
                    "fees_minor": settlement.fees_minor,
                    "recovered_minor": settlement.recovered_minor,
                    "payout_minor": settlement.payout_minor,
                    "card_last4": settlement.profile.last4,
                    "bank_reference": settlement.bank_reference,
                },
            )
    for owner in owners:
        notify(
            owner,
            kind="settlement_paid",
            title=lazy_format(
                _("%(amount)s of %(day)s paid to your card ending %(last4)s"),
                amount=Money(settlement.payout_minor, settlement.currency),
                day=settlement.business_date.isoformat(),
                last4=settlement.profile.last4,
            ),
            url=f"/shop/{shop.pk}/settlements/{settlement.pk}/" if shop else "",
            data={"settlement_id": settlement.pk},
        )


def payout_failed(*, settlement: Settlement) -> None:
    """The bank declined a shop's payout: the owners are told to check the card; the
    wallet tries again later."""
    shop, owners = _owners(settlement)
    for owner in owners:
        notify(
            owner,
            kind="settlement_payout_declined",
            title=lazy_format(
                _("Your payout of %(amount)s could not be paid to the card ending %(last4)s"),
                amount=Money(settlement.payout_minor, settlement.currency),
                last4=settlement.profile.last4,
            ),
            body=_(
                "The bank declined it. The money stays in your shop's account and we try "
                "again later; check that the settlement card is still valid."
            ),
            url=f"/shop/{shop.pk}/settlements/{settlement.pk}/" if shop else "",
            data={"settlement_id": settlement.pk},
        )
