"""Celery tasks of the monthly billing run: take ids, call a service, safe to run twice.

``property_mgmt.monthly_billing`` belongs on the beat schedule on the 1st of each month; it
queues one ``property_mgmt.billing_issue_estate`` per estate, so one estate's failure does
not hold up the others and a retried task resumes its own run only.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from property_mgmt import fees
from property_mgmt.models import BillingRun
from property_mgmt.services import billing


@shared_task(name="property_mgmt.monthly_billing")
def monthly_billing(period: str | None = None) -> int:
    """Queue this month's run (or ``period``'s, ISO date) for every managed estate; returns
    how many were queued."""
    month = fees.month_start(date.fromisoformat(period) if period else timezone.localdate())
    estate_ids = billing.billed_neighbourhood_ids()
    for estate_id in estate_ids:
        billing_issue_estate.delay(estate_id, month.isoformat())
    return len(estate_ids)


@shared_task(name="property_mgmt.billing_issue_estate")
def billing_issue_estate(neighbourhood_id: int, period: str) -> int:
    """Preview and issue one estate's month with nobody's approval; returns its bill count."""
    run = billing.billing_issue_month(
        neighbourhood_id=neighbourhood_id, period=date.fromisoformat(period)
    )
    return run.bill_count


@shared_task(name="property_mgmt.billing_run_issue")
def billing_run_issue(run_id: int) -> int:
    """Issue a run a manager approved (or resume one a killed worker left issuing)."""
    run = BillingRun.objects.get(pk=run_id)
    return billing.billing_issue(run=run, approved_by=run.approved_by).bill_count
