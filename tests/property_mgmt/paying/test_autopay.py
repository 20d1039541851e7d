"""Auto-pay: the daily run pays due bills under a consent, without the PIN, within a
monthly cap; shortfalls and the cap are told and retried; withdrawal stops it."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import NotFound
from core.models import Notification
from property_mgmt.errors import AutoPayCapInvalid
from property_mgmt.models import AutoPayAttempt, AutoPayConsent, Bill, Household
from property_mgmt.services import autopay
from property_mgmt.tasks.paying import autopay as autopay_task
from tests.property_mgmt.conftest import fund, unit_of
from tests.property_mgmt.paying.conftest import balance, collected, make_bill
from wallet.models import IdempotencyRecord, Payment

pytestmark = pytest.mark.django_db

Outcome = AutoPayAttempt.Outcome
DUE = date(2026, 3, 15)


def outcomes(bill: Bill) -> list[tuple[date, str]]:
    return list(
        AutoPayAttempt.objects.filter(bill=bill)
        .order_by("attempted_on")
        .values_list("attempted_on", "outcome")
    )


def test_a_due_bill_is_paid_on_its_due_date_without_the_pin(estate, flat, wang, li):
    # Given 王芳 consents to auto-pay up to ¥500.00 a month for her flat
    autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=500_00)
    bill = make_bill(flat, 325_50, due=DUE)
    later = make_bill(flat, 100_00, due=date(2026, 4, 15))

    # When the daily task runs the day before, nothing is due yet
    assert autopay_task(today="2026-03-14") == {"paid": 0, "refused": 0, "skipped": 0}

    # When it runs on the due date (twice, as a redelivered task would)
    assert autopay_task(today="2026-03-15") == {"paid": 1, "refused": 0, "skipped": 0}
    assert autopay_task(today="2026-03-15") == {"paid": 0, "refused": 0, "skipped": 0}

    # Then the bill is paid once, from her wallet, under the business key
    bill.refresh_from_db()
    assert (bill.status, bill.paid_by_id) == (Bill.Status.PAID, wang.pk)
    assert Payment.objects.count() == 1 and bill.payment.amount_minor == 325_50
    assert balance(wang) == 1_000_00 - 325_50 and collected(estate) == 325_50
    assert outcomes(bill) == [(DUE, Outcome.PAID)]
    assert IdempotencyRecord.objects.filter(
        user_id=wang.pk, key=f"bill:{bill.pk}:autopay:2026-03-15"
    ).exists()
    # and next month's bill waits for its own due date
    later.refresh_from_db()
    assert later.status == Bill.Status.OPEN


def test_a_shortfall_is_told_retried_the_next_day_and_paid_after_a_top_up(flat, li):
    # Given 李雷 (¥500.00) consents, and a ¥600.00 bill falls due
    autopay.autopay_consent(user=li, unit=flat, monthly_cap_minor=1_000_00)
    bill = make_bill(flat, 600_00, due=DUE)

    # When the run finds too little in his wallet
    first = autopay.autopay_run(today=DUE)
    again = autopay.autopay_run(today=DUE)

    # Then nothing moves, he is told once with the reason, and the same day is not retried
    assert (first.refused, again.refused, again.paid) == (1, 0, 0)
    assert balance(li) == 500_00
    told = Notification.objects.filter(user=li, kind="autopay_failed")
    assert told.count() == 1
    assert told.get().data["outcome"] == Outcome.INSUFFICIENT_FUNDS
    assert "Not enough in the wallet" in told.get().body

    # When he tops up ¥200.00 and the next day's run comes
    fund(li, 200_00)
    retried = autopay.autopay_run(today=date(2026, 3, 16))

    # Then it pays
    assert retried.paid == 1
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID and balance(li) == 100_00
    assert outcomes(bill) == [
        (DUE, Outcome.INSUFFICIENT_FUNDS),
        (date(2026, 3, 16), Outcome.PAID),
    ]


def test_the_monthly_cap_holds_and_resets_with_the_month(flat, wang):
    # Given a ¥400.00 cap and two ¥300.00 bills due in March
    autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=400_00)
    first = make_bill(flat, 300_00, due=date(2026, 3, 10))
    second = make_bill(flat, 300_00, due=date(2026, 3, 15))

    # When the run comes on the 15th
    summary = autopay.autopay_run(today=DUE)

    # Then the older one is paid; the second would pass the cap, so it waits and she is told
    assert (summary.paid, summary.refused) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Bill.Status.PAID, Bill.Status.OPEN)
    assert balance(wang) == 700_00
    told = Notification.objects.get(user=wang, kind="autopay_failed")
    assert told.data == {
        "bill_id": second.pk,
        "consent_id": AutoPayConsent.objects.get(active=True).pk,
        "outcome": Outcome.OVER_CAP,
        "code": "autopay_over_cap",
    }

    # When she raises nothing and the month turns, the cap is fresh: the bill is paid
    assert autopay.autopay_run(today=date(2026, 3, 31)).paid == 0
    assert autopay.autopay_run(today=date(2026, 4, 1)).paid == 1
    second.refresh_from_db()
    assert second.status == Bill.Status.PAID and balance(wang) == 400_00


def test_replacing_a_consent_does_not_reset_the_month(flat, wang):
    autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=400_00)
    make_bill(flat, 300_00, due=date(2026, 3, 10))
    assert autopay.autopay_run(today=date(2026, 3, 10)).paid == 1

    # When she gives a new consent with a ¥500.00 cap the same month
    autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=500_00)
    bill = make_bill(flat, 300_00, due=DUE)

    # Then ¥300.00 already auto-paid still counts: ¥600.00 would pass ¥500.00
    assert autopay.autopay_run(today=DUE).refused == 1
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN
    assert AutoPayConsent.objects.filter(user=wang, unit=flat, active=True).count() == 1


def test_a_withdrawn_consent_pays_nothing_more(flat, wang):
    consent = autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=1_000_00)
    bill = make_bill(flat, 100_00, due=DUE)

    withdrawn = autopay.autopay_withdraw(user=wang, consent=consent)
    assert autopay.autopay_withdraw(user=wang, consent=consent).withdrawn_at == (
        withdrawn.withdrawn_at
    )

    assert autopay.autopay_run(today=DUE) == autopay.RunSummary()
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN and balance(wang) == 1_000_00


def test_a_consent_withdrawn_between_the_read_and_the_lock_pays_nothing(flat, wang):
    # Given the run read the consent, then 王芳 withdrew it before its payment locked it
    consent = autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=1_000_00)
    bill = make_bill(flat, 100_00, due=DUE)
    read = AutoPayConsent.objects.select_related("user").get(pk=consent.pk)
    autopay.autopay_withdraw(user=wang, consent=consent)

    # When the run's payment for it proceeds
    attempt = autopay.autopay_bill(consent=read, bill=bill, today=DUE)

    # Then it finds the consent withdrawn under the lock: nothing paid, nothing recorded
    assert attempt is None
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN and balance(wang) == 1_000_00


def test_a_member_who_moved_out_is_not_debited(flat, wang):
    autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=1_000_00)
    make_bill(flat, 100_00, due=DUE)
    Household.objects.filter(user=wang).update(status=Household.Status.ENDED)

    assert autopay.autopay_run(today=DUE) == autopay.RunSummary()
    assert balance(wang) == 1_000_00


def test_a_bill_paid_by_hand_first_is_not_paid_again(flat, wang, li):
    from property_mgmt.services import paying
    from tests.property_mgmt.conftest import PIN

    autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=1_000_00)
    bill = make_bill(flat, 100_00, due=DUE)
    read = Bill.objects.get(pk=bill.pk)
    paying.bills_pay(user=li, bills=[bill], pin=PIN)

    attempt = autopay.autopay_bill(
        consent=AutoPayConsent.objects.select_related("user").get(user=wang), bill=read, today=DUE
    )

    assert attempt is not None and attempt.outcome == Outcome.ALREADY_PAID
    assert balance(wang) == 1_000_00 and Payment.objects.count() == 1
    assert not Notification.objects.filter(kind="autopay_failed").exists()


def test_only_a_confirmed_member_may_consent_and_only_to_a_positive_cap(
    estate, flat, wang, neighbour
):
    with pytest.raises(NotFound):
        autopay.autopay_consent(user=neighbour, unit=flat, monthly_cap_minor=100_00)
    with pytest.raises(AutoPayCapInvalid):
        autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=0)
    consent = autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=100_00)
    with pytest.raises(NotFound):
        autopay.autopay_withdraw(user=neighbour, consent=consent)
    assert unit_of(estate, "1号楼", "102").autopay_consents.count() == 0
