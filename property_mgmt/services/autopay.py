"""Auto-pay: a household member lets Linli pay the unit's bills from their wallet when they
fall due, up to a cap a calendar month; withdrawn at any time.

The mandate. A consent (``AutoPayConsent``) is the resident's standing authorisation, so
a payment under it goes through the wallet's mandate path
(``payments.authorise_mandated_debit``): no PIN, since nobody is there to type it, but
verification, a frozen wallet and the level and daily limits still refuse.

The daily run (``autopay_run``, task ``property_mgmt.autopay``). For each active consent
whose user is still a confirmed member of the unit: every ``OPEN``/``OVERDUE`` bill of the
unit due on or before ``today`` without an attempt under that consent today, oldest due
first, is paid alone in its own durable transaction, under the idempotency key
``bill:<id>:autopay:<today>`` of the consenting user. Each outcome is an
``AutoPayAttempt`` (unique per consent, bill and day), so the task may run twice a day, or
be redelivered, and pays and tells once. A refusal (not enough money, over the cap, a
wallet refusal) tells the user (``autopay_failed``, with the reason) and the bill is tried
again on the next day's run.

The cap. What was auto-paid for the unit by the user in the calendar month of ``today``
(the ``PAID`` attempts' payments, under any of their consents, so replacing a consent does
not reset it) plus the bill must stay within the active consent's ``monthly_cap_minor``. A
bill is paid whole or not at all.

Locks, in this order: the consent row (so a withdrawal and a run, or two runs, take turns:
a withdrawn consent pays nothing more, and the cap is read under the lock), then the bill
(``paying.lock_payable_bills``, shared with ``bills_pay``), then the wallet's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotFound
from core.money import Money
from core.notifications import notify
from property_mgmt.errors import (
    AutoPayCapInvalid,
    AutoPayConsentConflict,
    AutoPayNotActive,
    AutoPayOverCap,
)
from property_mgmt.models import AutoPayAttempt, AutoPayConsent, Bill, Household, Unit
from property_mgmt.services import paying
from wallet.services import payments
from wallet.services.idempotency import Idempotency, Replayed, execute, request_fingerprint

Outcome = AutoPayAttempt.Outcome
MAX_CAP_MINOR = 10**12

# Refusal codes -> the attempt's outcome. Codes not listed are FAILED (and told);
# ``None`` means "record nothing today": the consent went away, or the bill changed under
# the run, which the next run sees afresh.
_OUTCOMES: dict[str, str | None] = {
    "insufficient_funds": Outcome.INSUFFICIENT_FUNDS,
    "autopay_over_cap": Outcome.OVER_CAP,
    "bill_already_paid": Outcome.ALREADY_PAID,
    "bill_not_payable": Outcome.ALREADY_PAID,
    "autopay_not_active": None,
    "bills_changed": None,
}
_TOLD = {Outcome.INSUFFICIENT_FUNDS, Outcome.OVER_CAP, Outcome.FAILED}


@dataclass(frozen=True)
class RunSummary:
    paid: int = 0
    refused: int = 0
    skipped: int = 0


# --- consent -------------------------------------------------------------------------------


def _require_household_member(user: Any, unit: Unit) -> None:
    if not Household.objects.filter(
        unit=unit, user_id=user.pk, status=Household.Status.CONFIRMED
    ).exists():
        raise NotFound()


def resident_units(user: Any) -> QuerySet[Unit]:
    """The units ``user`` is a confirmed household member of, with building and estate."""
    return (
        Unit.objects.filter(
            households__user_id=user.pk, households__status=Household.Status.CONFIRMED
        )
        .select_related("building__neighbourhood")
        .order_by("building__neighbourhood__name", "building__name", "number")
        .distinct()
    )


def resident_unit(user: Any, unit_id: int) -> Unit:
    unit = resident_units(user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def resident_consents(user: Any) -> QuerySet[AutoPayConsent]:
    """``user``'s active consents, with unit, building and estate."""
    return (
        AutoPayConsent.objects.filter(user_id=user.pk, active=True)
        .select_related("unit__building__neighbourhood")
        .order_by("unit_id")
    )


def resident_consent(user: Any, consent_id: int) -> AutoPayConsent:
    consent = (
        AutoPayConsent.objects.filter(pk=consent_id, user_id=user.pk)
        .select_related("unit__building__neighbourhood")
        .first()
    )
    if consent is None:
        raise NotFound()
    return consent


def resident_attempts(user: Any) -> QuerySet[AutoPayAttempt]:
    """What auto-pay tried under ``user``'s consents, newest first, with bill and unit."""
    return (
        AutoPayAttempt.objects.filter(consent__user_id=user.pk)
        .select_related("bill__unit__building", "payment")
        .order_by("-attempted_on", "-pk")
    )


def autopay_consent(*, user: Any, unit: Unit, monthly_cap_minor: int) -> AutoPayConsent:
    """Let auto-pay pay ``unit``'s bills from ``user``'s wallet, up to ``monthly_cap_minor``
    fen a calendar month. Replaces the user's earlier active consent for the unit (what was
    auto-paid this month still counts against the new cap).

    Only a confirmed household member of the unit (else ``NotFound``). Locks the user's
    active consent for the unit, if any; a concurrent first consent loses on the unique
    constraint (``AutoPayConsentConflict``).
    """
    if (
        not isinstance(monthly_cap_minor, int)
        or isinstance(monthly_cap_minor, bool)
        or not 0 < monthly_cap_minor <= MAX_CAP_MINOR
    ):
        raise AutoPayCapInvalid()
    _require_household_member(user, unit)
    try:
        with transaction.atomic(durable=True):
            now = timezone.now()
            earlier = list(
                AutoPayConsent.objects.select_for_update(no_key=True)
                .filter(user_id=user.pk, unit=unit, active=True)
                .order_by("pk")
            )
            for consent in earlier:
                consent.active = False
                consent.withdrawn_at = now
                consent.save(update_fields=["active", "withdrawn_at"])
            return AutoPayConsent.objects.create(
                user=user, unit=unit, monthly_cap_minor=monthly_cap_minor
            )
    except IntegrityError:
        raise AutoPayConsentConflict() from None


def autopay_withdraw(*, user: Any, consent: AutoPayConsent) -> AutoPayConsent:
    """Withdraw ``consent`` (the user's own, else ``NotFound``); nothing more is paid under
    it. Idempotent. Locks the consent row, so a payment running under it either finished
    before or sees it withdrawn."""
    if consent.user_id != user.pk:
        raise NotFound()
    with transaction.atomic(durable=True):
        locked = AutoPayConsent.objects.select_for_update(no_key=True).get(pk=consent.pk)
        if locked.active:
            locked.active = False
            locked.withdrawn_at = timezone.now()
            locked.save(update_fields=["active", "withdrawn_at"])
    locked.unit = consent.unit
    return locked


def autopaid_this_month(*, user_id: int, unit_id: int, today: date) -> int:
    """Fen auto-paid for ``unit_id`` by ``user_id`` from the 1st of ``today``'s month."""
    paid = AutoPayAttempt.objects.filter(
        consent__user_id=user_id,
        consent__unit_id=unit_id,
        outcome=Outcome.PAID,
        attempted_on__gte=today.replace(day=1),
        attempted_on__lte=today,
    ).aggregate(total=Sum("payment__amount_minor"))
    return int(paid["total"] or 0)


# --- the daily run -------------------------------------------------------------------------


def due_for_autopay(consent: AutoPayConsent, today: date) -> QuerySet[Bill]:
    """The unit's bills to try today under ``consent``: open or overdue, due by today, not
    tried under it today; oldest due first."""
    tried_today = AutoPayAttempt.objects.filter(
        consent_id=consent.pk, bill_id=OuterRef("pk"), attempted_on=today
    )
    return (
        Bill.objects.filter(unit_id=consent.unit_id, status__in=paying.PAYABLE, due_date__lte=today)
        .exclude(Exists(tried_today))
        .select_related("unit__building", "neighbourhood")
        .order_by("due_date", "pk")
    )


def autopay_run(*, today: date | None = None) -> RunSummary:
    """Try every due bill under every active consent (see the module docstring). Each bill
    is its own transaction; returns how many were paid, refused and left for later."""
    today = today or timezone.localdate()
    still_lives_there = Exists(
        Household.objects.filter(
            unit_id=OuterRef("unit_id"),
            user_id=OuterRef("user_id"),
            status=Household.Status.CONFIRMED,
        )
    )
    consents = (
        AutoPayConsent.objects.filter(still_lives_there, active=True)
        .select_related("user")
        .order_by("pk")
    )
    paid = refused = skipped = 0
    for consent in list(consents):
        for bill in due_for_autopay(consent, today):
            attempt = autopay_bill(consent=consent, bill=bill, today=today)
            if attempt is None:
                skipped += 1
            elif attempt.outcome == Outcome.PAID:
                paid += 1
            else:
                refused += 1
    return RunSummary(paid=paid, refused=refused, skipped=skipped)


def _render_attempt(attempt: AutoPayAttempt) -> dict[str, Any]:
    return {
        "attempt_id": attempt.pk,
        "bill_id": attempt.bill_id,
        "outcome": attempt.outcome,
        "payment_id": attempt.payment_id,
    }


def autopay_bill(*, consent: AutoPayConsent, bill: Bill, today: date) -> AutoPayAttempt | None:
    """One bill under one consent on one day: pay it whole, or record why not (and tell
    the user once). Returns the attempt, or ``None`` when nothing is recorded today.

    Idempotency key ``bill:<id>:autopay:<today>`` (the consenting user's): a second run the
    same day replays the first one's answer and pays nothing.
    """
    user = consent.user
    amount = bill.total_minor
    idempotency = Idempotency(
        user_id=user.pk,
        key=f"bill:{bill.pk}:autopay:{today.isoformat()}",
        fingerprint=request_fingerprint(
            "AUTOPAY", "property_mgmt.autopay", {"bill": bill.pk, "on": today.isoformat()}
        ),
        render=_render_attempt,
    )
    try:
        payee = paying.payee_for(bill)
        authorisation = payments.authorise_mandated_debit(
            payer=user, amount_minor=amount, currency=paying.CURRENCY, idempotency=idempotency
        )

        def work() -> AutoPayAttempt:
            locked = AutoPayConsent.objects.select_for_update(of=("self",), no_key=True).get(
                pk=consent.pk
            )
            if not locked.active:
                raise AutoPayNotActive()
            bills = paying.lock_payable_bills([bill.pk], expected_total_minor=amount)
            already = autopaid_this_month(user_id=user.pk, unit_id=bill.unit_id, today=today)
            if already + amount > locked.monthly_cap_minor:
                raise AutoPayOverCap()
            result = payments.payment_post(
                payer=user,
                payee=payee,
                amount_minor=amount,
                currency=paying.CURRENCY,
                description=paying.description_for([bill]),
                authorisation=authorisation,
                metadata={"bill_ids": [bill.pk], "autopay_consent_id": consent.pk},
            )
            paying.settle_bills(bills, payment=result.payment, payer=user, reason="auto-pay")
            return AutoPayAttempt.objects.create(
                consent=locked,
                bill=bill,
                attempted_on=today,
                outcome=Outcome.PAID,
                payment=result.payment,
            )

        return execute(idempotency, work)
    except Replayed as replay:
        if "error" not in replay.body:
            return AutoPayAttempt.objects.filter(pk=int(replay.body["attempt_id"])).first()
        error = replay.body["error"]
        return _record_refusal(consent, bill, today, error["code"], error["message"])
    except ApplicationError as refusal:
        return _record_refusal(consent, bill, today, refusal.code, str(refusal.message))


def _record_refusal(
    consent: AutoPayConsent, bill: Bill, today: date, code: str, message: str
) -> AutoPayAttempt | None:
    """Record a refused attempt in its own transaction and tell the user, once a day."""
    outcome = _OUTCOMES.get(code, Outcome.FAILED)
    if outcome is None:
        return None
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                attempt = AutoPayAttempt.objects.create(
                    consent=consent,
                    bill=bill,
                    attempted_on=today,
                    outcome=outcome,
                    detail=f"{code}: {message}"[:200],
                )
        except IntegrityError:
            # A concurrent run recorded today's attempt first; it told the user.
            return AutoPayAttempt.objects.filter(
                consent=consent, bill=bill, attempted_on=today
            ).first()
        if outcome in _TOLD:
            notify(
                consent.user,
                kind="autopay_failed",
                title=paying.say(
                    _("Auto-pay could not pay %(bill)s (%(amount)s)"),
                    bill=bill.title,
                    amount=Money(bill.total_minor, paying.CURRENCY),
                ),
                body=paying.say(
                    _("%(reason)s. We will try again tomorrow; you can also pay it yourself."),
                    reason=Outcome(outcome).label,
                ),
                url=f"/bills/{bill.pk}/",
                data={
                    "bill_id": bill.pk,
                    "consent_id": consent.pk,
                    "outcome": outcome,
                    "code": code,
                },
            )
    return attempt
