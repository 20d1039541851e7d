"""Property companies' T+1 settlement: the company's side of ``wallet.services.settlement``.

A manager of the company enters the company's bank card (number, expiry; the holder is the
company's name). The bank tokenises it, we keep the token, bank and last four digits and
never the number, and the company's collection account gets its payout profile. Fee rate:
0 basis points. Residents' property fees belong to the company in full; the platform
charges companies under their contract, not per payment (docs/settlement.md).

The wallet settles and pays; managers read the settlements and are told how each payout
went (``settlement_paid``, ``payout_failed``: the wallet's handlers for ``company:``
accounts).

Locks: the payout profile row (inside ``payout_profile_register``). The bank is asked to
tokenise the card before the transaction opens.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound
from core.money import Money
from core.notifications import lazy_format, notify
from property_mgmt.errors import PayoutCardRejected
from property_mgmt.models import PropertyCompany, PropertyStaff
from property_mgmt.services.collection import collection_account
from wallet.errors import BankUnavailable
from wallet.gateways import CardRejected, GatewayTimeout, get_gateway
from wallet.models import PayoutProfile, Settlement
from wallet.services.settlement import payout_profile_register

COMPANY_FEE_BPS = 0
OWNER_REF_PREFIX = "company:"


def is_company_manager(user: Any, company: PropertyCompany) -> bool:
    return PropertyStaff.objects.filter(
        company=company, user_id=user.pk, role=PropertyStaff.Role.MANAGER
    ).exists()


def company_payout_card_set(
    *, manager: Any, company: PropertyCompany, number: str, expiry_month: int, expiry_year: int
) -> PayoutProfile:
    """Make a card in the company's name the destination of its daily payouts.

    Managers of the company only (anyone else: 404). The bank checks the card and the
    holder (the company's name) and gives a token (``payout_card_rejected`` otherwise,
    ``bank_unavailable`` if it does not answer). Creates or refreshes the collection
    account's payout profile at 0 basis points; what the company owes from earlier refunds
    is kept.
    """
    if not is_company_manager(manager, company):
        raise NotFound()
    try:
        details = get_gateway().tokenize(
            number="".join(str(number).split()),
            holder_name=company.name,
            expiry_month=expiry_month,
            expiry_year=expiry_year,
        )
    except CardRejected as rejection:
        raise PayoutCardRejected(extra={"reason": rejection.code}) from None
    except GatewayTimeout:
        raise BankUnavailable() from None
    if details.status != "valid":
        raise PayoutCardRejected(extra={"reason": details.status})
    with transaction.atomic(durable=True):
        return payout_profile_register(
            account=collection_account(company),
            label=company.name,
            card_token=details.token,
            bank_name=details.bank_name,
            last4=details.last4,
            holder_name=details.holder_name,
            fee_bps=COMPANY_FEE_BPS,
        )


def company_payout_profile(company: PropertyCompany) -> PayoutProfile | None:
    return PayoutProfile.objects.filter(
        account__kind="collection", account__owner_ref=f"{OWNER_REF_PREFIX}{company.pk}"
    ).first()


# --- told by the wallet (settings.WALLET_SETTLEMENT_PAID_HANDLER / _PAYOUT_FAILED_HANDLER) ---


def _managers(settlement: Settlement) -> tuple[int | None, list[Any]]:
    ref = settlement.account.owner_ref
    raw_id = ref[len(OWNER_REF_PREFIX) :]
    if not ref.startswith(OWNER_REF_PREFIX) or not raw_id.isdigit():
        return None, []
    staff = PropertyStaff.objects.filter(
        company_id=int(raw_id), role=PropertyStaff.Role.MANAGER
    ).select_related("user")
    return int(raw_id), [member.user for member in staff]


def settlement_paid(*, settlement: Settlement) -> None:
    """A company's settlement reached its card: its managers are told (other layers'
    accounts are ignored)."""
    company_id, managers = _managers(settlement)
    for manager in managers:
        notify(
            manager,
            kind="settlement_paid",
            title=lazy_format(
                _("%(amount)s of fees collected on %(day)s paid to the card ending %(last4)s"),
                amount=Money(settlement.payout_minor, settlement.currency),
                day=settlement.business_date.isoformat(),
                last4=settlement.profile.last4,
            ),
            url=f"/estate/company/{company_id}/settlements/{settlement.pk}/",
            data={"settlement_id": settlement.pk},
        )


def payout_failed(*, settlement: Settlement) -> None:
    """The bank declined a company's payout: its managers are told to check the card."""
    company_id, managers = _managers(settlement)
    for manager in managers:
        notify(
            manager,
            kind="settlement_payout_declined",
            title=lazy_format(
                _("A payout of %(amount)s to the card ending %(last4)s was declined"),
                amount=Money(settlement.payout_minor, settlement.currency),
                last4=settlement.profile.last4,
            ),
            body=_(
                "The money stays in the company's collection account and we try again "
                "later. Check the company's payout card, or enter a new one."
            ),
            url=f"/estate/company/{company_id}/settlements/",
            data={"settlement_id": settlement.pk},
        )
