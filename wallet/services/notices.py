"""Inbox notifications about money, written in each recipient's language.

They leave the money transaction: a notice is scheduled on commit as a Celery task, so a
rolled-back payment tells nobody, and formatting and the inbox write add nothing to the
time a payment holds its locks. A task that runs twice writes the notice once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from core.models import Notification
from core.money import Money
from core.notifications import notify


def notice(
    user: Any,
    *,
    kind: str,
    template: str,
    amount: Money,
    party: str,
    url: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    """One notice for ``user``: ``template`` is a msgid with ``%(amount)s`` and ``%(party)s``,
    rendered in the user's language when it is delivered."""
    return {
        "user_id": user.pk,
        "kind": kind,
        "template": template,
        "amount_minor": amount.minor,
        "currency": amount.currency,
        "party": party,
        "url": url,
        "data": data,
    }


def send_after_commit(*notices: dict[str, Any]) -> None:
    """Deliver the notices of one event in one task once the transaction commits (a task
    costs the paying process more than the rest of a payment's Python)."""
    from wallet.tasks import send_money_notices

    batch = list(notices)
    transaction.on_commit(lambda: send_money_notices.delay(batch))


def money_notice(user: Any, **fields: Any) -> None:
    send_after_commit(notice(user, **fields))


def deliver_money_notice(payload: dict[str, Any]) -> Notification | None:
    user = get_user_model().objects.filter(pk=payload["user_id"]).first()
    if user is None:
        return None
    data = dict(payload["data"])
    data["dedupe"] = f"{payload['kind']}:{sorted(data.items())}"
    existing = Notification.objects.filter(
        user_id=user.pk, kind=payload["kind"], data__dedupe=data["dedupe"]
    ).first()
    if existing is not None:
        return existing
    language = getattr(user, "preferred_language", "") or translation.get_language() or "zh-hans"
    with translation.override(language):
        title = gettext(payload["template"]) % {
            "amount": Money(payload["amount_minor"], payload["currency"]).format(),
            "party": payload["party"],
        }
    return notify(user, kind=payload["kind"], title=title, url=payload["url"], data=data)
