"""Celery tasks: take ids, reload, call a service. Each is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.notifications import notify
from wallet.errors import BankUnavailable
from wallet.services.audit import ledger_check
from wallet.services.payments import holds_expire_due


@shared_task(name="wallet.expire_holds")
def expire_holds() -> int:
    return holds_expire_due()


@shared_task(name="wallet.ledger_check")
def daily_ledger_check() -> int:
    """Run the ledger check; tell every operator (staff user) if anything is wrong."""
    problems = ledger_check()
    if problems:
        summary = "\n".join(str(problem) for problem in problems[:20])
        for operator in get_user_model().objects.filter(is_active=True, is_staff=True):
            notify(
                operator,
                kind="ledger_check_failed",
                title=_("Ledger check found discrepancies"),
                body=summary,
                data={"count": len(problems)},
            )
    return len(problems)


@shared_task(name="wallet.resolve_pending")
def resolve_pending() -> dict[str, int]:
    from wallet.services.bank import resolve_pending as resolve

    return resolve()


@shared_task(name="wallet.bank_callback")
def bank_callback(payload: dict[str, object]) -> None:
    from wallet.services.bank import bank_callback_handle

    bank_callback_handle(payload)


@shared_task(name="wallet.settle_due")
def settle_due() -> dict[str, object]:
    """T+1 settlement of every payout profile; a rerun pays nothing twice."""
    from dataclasses import asdict

    from wallet.services.settlement import settle_due as settle

    return asdict(settle())


@shared_task(name="wallet.deliver_notices")
def deliver_notices() -> int:
    """Deliver the outbox's pending money notices (woken after a commit)."""
    from wallet.services.notices import deliver_pending

    return deliver_pending()


@shared_task(name="wallet.sweep_notices")
def sweep_notices() -> int:
    """The safety net for lost wake-ups, and the clean-up of delivered notices."""
    from wallet.services.notices import deliver_pending, purge_sent

    purge_sent()
    return deliver_pending()


@shared_task(
    name="wallet.reconcile_previous_day",
    autoretry_for=(BankUnavailable,),
    retry_backoff=300,
    max_retries=8,
)
def reconcile_previous_day() -> str:
    """Match yesterday's bank statement with the books; operators hear of any difference."""
    from wallet.services.reconciliation import reconcile_previous_day as reconcile

    return reconcile().status
