"""Reads of a property company's settlements, for the company's managers only (a clerk,
another company's manager, anyone else: 404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound
from property_mgmt.models import PropertyCompany, PropertyStaff
from wallet import settlement_statements as statements
from wallet.models import Account, Settlement


def managed_company(user: Any, company_id: int) -> PropertyCompany:
    company = PropertyCompany.objects.filter(
        pk=company_id, staff__user_id=user.pk, staff__role=PropertyStaff.Role.MANAGER
    ).first()
    if company is None:
        raise NotFound()
    return company


def company_settlements(company: PropertyCompany) -> QuerySet[Settlement]:
    """The company's settlements, newest day first, with the payout card (one query)."""
    return statements.payee_settlements(Account.Kind.COLLECTION, f"company:{company.pk}")


def company_settlement(company: PropertyCompany, settlement_id: int) -> Settlement:
    return statements.settlement_in(company_settlements(company), settlement_id)


def company_month_settlements(company: PropertyCompany, month: date) -> QuerySet[Settlement]:
    return statements.month_settlements(company_settlements(company), month)
