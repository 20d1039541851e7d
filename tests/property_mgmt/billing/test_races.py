"""The billing run under real concurrency: threads on PostgreSQL (skipped on SQLite, which
serialises writers; failing under CI without PostgreSQL)."""

from __future__ import annotations

from collections import Counter

import pytest

from core.models import Notification
from property_mgmt.models import Bill, BillEvent, BillingRun, BillLine
from property_mgmt.services import billing
from tests.concurrency.conftest import run_together
from tests.property_mgmt.billing.conftest import JUNE, add_units, occupy, standard_rates

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcomes(results) -> Counter[str]:
    return Counter("ok" if o.error is None else repr(o.error) for o in results)


def test_two_issues_of_one_run_at_once_make_one_set_of_bills(estate, manager):
    # Given a previewed month with 12 occupied flats
    standard_rates(manager, estate)
    for unit in add_units(estate, 12):
        occupy(unit)
    run = billing.billing_preview(manager=manager, neighbourhood=estate, period=JUNE).run

    # When the manager's approval and the monthly task issue it at the same moment, twice
    results = run_together(
        [
            lambda: billing.billing_issue(run=run, approved_by=manager),
            lambda: billing.billing_issue_month(neighbourhood_id=estate.pk, period=JUNE),
            lambda: billing.billing_issue(run=run, approved_by=manager),
            lambda: billing.billing_issue_month(neighbourhood_id=estate.pk, period=JUNE),
        ]
    )

    # Then all succeed, and there is one bill per flat with one line, event and notice each
    assert outcomes(results) == Counter({"ok": 4})
    assert Bill.objects.count() == 12
    assert BillLine.objects.count() == 12
    assert BillEvent.objects.count() == 12
    assert Notification.objects.filter(kind=billing.NOTIFICATION_KIND).count() == 12
    run.refresh_from_db()
    assert (run.status, run.bill_count, run.total_minor) == ("issued", 12, 12 * 250_00)


def test_two_monthly_tasks_racing_on_a_month_never_previewed(estate, manager):
    # Given no run for June yet
    standard_rates(manager, estate)
    for unit in add_units(estate, 5):
        occupy(unit)

    # When two workers run the estate's monthly task at once (a redelivered message)
    results = run_together(
        [lambda: billing.billing_issue_month(neighbourhood_id=estate.pk, period=JUNE)] * 2
    )

    # Then one run issued five bills
    assert outcomes(results) == Counter({"ok": 2})
    assert BillingRun.objects.get().status == "issued"
    assert Bill.objects.count() == 5
