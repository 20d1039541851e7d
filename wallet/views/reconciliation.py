"""The operators' reconciliation pages: every day's result, one run's issues, a rerun."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, NotFound
from wallet import selectors_reconciliation as reads
from wallet.services import reconciliation

DAYS_PER_PAGE = 31


def _require_operator(request: HttpRequest) -> None:
    """Operators only; to anyone else the pages do not exist."""
    user = request.user
    if not (user.is_staff and getattr(user, "is_operator", False)):
        raise NotFound()


@login_required
def reconciliations(request: HttpRequest) -> HttpResponse:
    _require_operator(request)
    page = Paginator(reads.latest_runs(), DAYS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "wallet/reconciliation/list.html", {"page": page})


@login_required
def reconciliation_detail(request: HttpRequest, reconciliation_id: int) -> HttpResponse:
    _require_operator(request)
    run = reads.run_with_issues(reconciliation_id)
    issues = [(issue, reconciliation.issue_message(issue)) for issue in run.issues.all()]
    return render(
        request,
        "wallet/reconciliation/detail.html",
        {"run": run, "issues": issues, "runs": reads.runs_of_day(run)},
    )


@login_required
@require_POST
def reconciliation_rerun(request: HttpRequest, reconciliation_id: int) -> HttpResponse:
    _require_operator(request)
    run = reads.run_with_issues(reconciliation_id)
    try:
        run = reconciliation.reconcile(day=run.business_date)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Reconciled again."))
    return redirect("wallet-reconciliation", reconciliation_id=run.pk)
