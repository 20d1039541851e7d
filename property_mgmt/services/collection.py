"""Where an estate's fees go: its billing company's collection account in the wallet."""

from __future__ import annotations

from community.models import Neighbourhood
from property_mgmt.models import BillingPolicy, PropertyCompany
from wallet.models import Account
from wallet.services.accounts import payee_account

# Month-end and due dates bring many payments at once; spread the credits (docs/ledger.md).
COLLECTION_SHARDS = 8


def collection_account(company: PropertyCompany, currency: str = "CNY") -> Account:
    return payee_account(
        kind=Account.Kind.COLLECTION,
        owner_ref=f"company:{company.pk}",
        name=company.name,
        currency=currency,
        hot_shards=COLLECTION_SHARDS,
    )


def billing_policy(neighbourhood: Neighbourhood) -> BillingPolicy:
    """The estate's billing policy; an estate run by one company gets a default one."""
    policy = BillingPolicy.objects.filter(neighbourhood=neighbourhood).first()
    if policy is not None:
        return policy
    company = PropertyCompany.objects.filter(neighbourhoods=neighbourhood).order_by("pk").first()
    if company is None:
        raise ValueError(f"no property company manages {neighbourhood}")
    policy, _created = BillingPolicy.objects.get_or_create(
        neighbourhood=neighbourhood, defaults={"company": company}
    )
    return policy
