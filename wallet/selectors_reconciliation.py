"""Reads of the reconciliation runs for the operators' pages and the command."""

from __future__ import annotations

from django.db.models import Max, QuerySet

from core.errors import NotFound
from wallet.models import Reconciliation


def latest_runs() -> QuerySet[Reconciliation]:
    """Every reconciled day's result, its latest run, newest day first."""
    latest = (
        Reconciliation.objects.order_by()
        .values("business_date")
        .annotate(last=Max("id"))
        .values("last")
    )
    return Reconciliation.objects.filter(pk__in=latest).order_by("-business_date")


def run_with_issues(run_id: int) -> Reconciliation:
    run = (
        Reconciliation.objects.select_related("statement")
        .defer("statement__content")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        raise NotFound()
    return run


def runs_of_day(run: Reconciliation) -> QuerySet[Reconciliation]:
    """Every run of ``run``'s day, newest first: what was found, and when."""
    return Reconciliation.objects.filter(business_date=run.business_date).order_by("-id")
