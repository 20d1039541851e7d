"""Daily tasks of bills after issue: late fees, then reminders. Both are safe twice a day.

Beat entries (``config/settings.py``): ``property_mgmt.late_fees`` just after midnight, so
that bills turn overdue on their first overdue day, and ``property_mgmt.bill_reminders``
in the morning, so that members hear of it at a decent hour.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task

from property_mgmt.services import bills, reminders


def _day(day: str | None) -> date | None:
    # An ISO date lets an operator re-run a day the beat missed; None is today.
    return date.fromisoformat(day) if day else None


@shared_task(name="property_mgmt.late_fees")
def late_fees(day: str | None = None) -> dict[str, int]:
    """Turn bills past their grace period overdue and add the day's late-fee lines."""
    result = bills.late_fees_accrue(today=_day(day))
    return {"became_overdue": result.became_overdue, "lines_added": result.lines_added}


@shared_task(name="property_mgmt.bill_reminders")
def bill_reminders(day: str | None = None) -> dict[str, int]:
    """Remind household members of bills due in three days and of bills now overdue."""
    sent = reminders.bill_reminders_send(today=_day(day))
    return {"due_soon": sent.due_soon, "overdue": sent.overdue}
