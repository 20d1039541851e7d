"""Bill reminders: three days before the due date, and once a bill is overdue.

Each reminder goes to every confirmed household member of the bill's unit, in the inbox and
live (``core.notifications.notify``), rendered in each member's own language. A reminder is
sent once per bill and kind: the ``BillEvent`` row (``REMINDED_DUE_SOON`` or
``REMINDED_OVERDUE``, unique per bill and kind) is written in the same transaction as the
inbox rows, so a second run, or one running at the same moment, finds it and sends nothing.

Decisions:

* "Due soon" covers bills still open whose due date is today to three days away, so a bill
  issued two days before its due date, or a day the task missed, is still reminded once.
* "Overdue" covers every bill in status ``overdue`` not yet reminded of it. The late-fee
  task turns bills overdue just after midnight; the reminder task runs later in the morning
  (see the beat entries), so members hear of it on the day it happened, at a decent hour.
* A bill whose unit has no confirmed member yet is not marked reminded: a member confirmed
  before the window closes still hears of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from core.money import Money
from core.notifications import notify
from property_mgmt.models import Bill, BillEvent, Household

DUE_SOON_DAYS = 3
KIND_DUE_SOON = "bill_due_soon"
KIND_OVERDUE = "bill_overdue"


def _render(message: Promise, params: dict[str, Any]) -> str:
    values = {
        key: formats.date_format(value, "DATE_FORMAT") if isinstance(value, date) else str(value)
        for key, value in params.items()
    }
    return str(message) % values


# Rendered only when ``notify`` forces it, inside the recipient's language.
_lazy_render = lazy(_render, str)


def _say(message: Promise, **params: Any) -> Any:
    return _lazy_render(message, params)


@dataclass(frozen=True)
class RemindersSent:
    due_soon: int
    overdue: int


def _members_by_unit(unit_ids: set[int]) -> dict[int, list[Any]]:
    members: dict[int, list[Any]] = {}
    rows = (
        Household.objects.filter(
            unit_id__in=unit_ids, status=Household.Status.CONFIRMED, user__isnull=False
        )
        .select_related("user")
        .order_by("unit_id", "user_id")
    )
    for row in rows:
        people = members.setdefault(row.unit_id, [])
        if all(p.pk != row.user_id for p in people):
            people.append(row.user)
    return members


def _reminded(event_kind: str) -> Exists:
    return Exists(BillEvent.objects.filter(bill_id=OuterRef("pk"), kind=event_kind))


def bill_reminders_send(*, today: date | None = None) -> RemindersSent:
    """Send the due-soon and overdue reminders owed today; each bill and kind once.

    Reads the candidate bills and their members in a fixed number of queries, then handles
    each bill in its own durable transaction: it locks the bill row, re-checks the bill is
    still owed, inserts the reminder event (a concurrent run that inserted it first makes
    this one skip the bill) and writes one inbox entry per member; live pushes leave after
    commit. Returns how many bills were reminded of each kind.
    """
    today = today or timezone.localdate()
    due_soon = list(
        Bill.objects.filter(
            status=Bill.Status.OPEN,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=DUE_SOON_DAYS),
            total_minor__gt=0,
        )
        .filter(~_reminded(BillEvent.Kind.REMINDED_DUE_SOON))
        .order_by("pk")
    )
    overdue = list(
        Bill.objects.filter(status=Bill.Status.OVERDUE)
        .filter(~_reminded(BillEvent.Kind.REMINDED_OVERDUE))
        .order_by("pk")
    )
    members = _members_by_unit({b.unit_id for b in due_soon} | {b.unit_id for b in overdue})
    sent_soon = sum(
        _remind(bill, members.get(bill.unit_id, []), BillEvent.Kind.REMINDED_DUE_SOON, today)
        for bill in due_soon
    )
    sent_overdue = sum(
        _remind(bill, members.get(bill.unit_id, []), BillEvent.Kind.REMINDED_OVERDUE, today)
        for bill in overdue
    )
    return RemindersSent(due_soon=sent_soon, overdue=sent_overdue)


def _remind(bill: Bill, people: list[Any], event_kind: str, today: date) -> bool:
    if not people:
        return False
    owed_status = (
        Bill.Status.OPEN if event_kind == BillEvent.Kind.REMINDED_DUE_SOON else Bill.Status.OVERDUE
    )
    try:
        with transaction.atomic(durable=True):
            locked = Bill.objects.select_for_update().get(pk=bill.pk)
            if locked.status != owed_status:
                # Paid, waived or moved on since it was read: nothing to remind of.
                return False
            BillEvent.objects.create(bill=locked, kind=event_kind, amount_minor=locked.total_minor)
            for person in people:
                _notify(person, locked, event_kind, today)
    except IntegrityError:
        # Another run recorded this reminder first and sent it.
        return False
    return True


def _notify(person: Any, bill: Bill, event_kind: str, today: date) -> None:
    amount = Money(bill.total_minor, "CNY")
    url = reverse("my-bill", args=[bill.pk])
    data = {
        "bill_id": bill.pk,
        "unit_id": bill.unit_id,
        "total_minor": bill.total_minor,
        "due_date": bill.due_date.isoformat(),
    }
    if event_kind == BillEvent.Kind.REMINDED_DUE_SOON:
        days = (bill.due_date - today).days
        notify(
            person,
            kind=KIND_DUE_SOON,
            title=(
                _say(_("Your bill is due today: %(title)s"), title=bill.title)
                if days == 0
                else _say(
                    _("Your bill is due in %(days)s days: %(title)s"), days=days, title=bill.title
                )
            ),
            body=_say(
                _("%(amount)s to pay by %(due)s. Pay it in Linli, or turn on auto-pay."),
                amount=amount,
                due=bill.due_date,
            ),
            url=url,
            data=data,
        )
    else:
        notify(
            person,
            kind=KIND_OVERDUE,
            title=_say(_("Your bill is overdue: %(title)s"), title=bill.title),
            body=_say(
                _("%(amount)s was due on %(due)s. A late fee is added each day until it is paid."),
                amount=amount,
                due=bill.due_date,
            ),
            url=url,
            data=data,
        )
