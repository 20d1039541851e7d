"""Reads of a property company's settlements, for the company's managers only (a clerk,
another company's manager, anyone else: 404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound
from property_mgmt.models import PropertyCompany, PropertyStaff
from wallet.models import Account, Settlement, SettlementLine


def managed_company(user: Any, company_id: int) -> PropertyCompany:
    company = PropertyCompany.objects.filter(
        pk=company_id, staff__user_id=user.pk, staff__role=PropertyStaff.Role.MANAGER
    ).first()
    if company is None:
        raise NotFound()
    return company


def company_settlements(company: PropertyCompany) -> QuerySet[Settlement]:
    """The company's settlements, newest day first, with the payout card (one query)."""
    return (
        Settlement.objects.filter(
            account__kind=Account.Kind.COLLECTION, account__owner_ref=f"company:{company.pk}"
        )
        .select_related("profile")
        .order_by("-business_date", "-pk")
    )


def company_settlement(company: PropertyCompany, settlement_id: int) -> Settlement:
    settlement = company_settlements(company).filter(pk=settlement_id).first()
    if settlement is None:
        raise NotFound()
    return settlement


def company_month_settlements(company: PropertyCompany, month: date) -> QuerySet[Settlement]:
    return (
        company_settlements(company)
        .filter(business_date__year=month.year, business_date__month=month.month)
        .order_by("business_date", "pk")
    )


def settlement_lines(settlement: Settlement) -> QuerySet[SettlementLine]:
    return SettlementLine.objects.filter(settlement=settlement).order_by("occurred_at", "pk")
