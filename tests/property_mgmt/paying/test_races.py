"""Paying under real concurrency: threads on PostgreSQL.

SQLite serialises every writer, so these races only exist on PostgreSQL; without it the
tests skip (and fail under CI).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import pytest

from property_mgmt.models import AutoPayAttempt, Bill, BillEvent
from property_mgmt.services import autopay, paying
from tests.concurrency.conftest import run_together
from tests.property_mgmt.paying.conftest import PIN, balance, collected, make_bill
from wallet.models import Payment
from wallet.services.idempotency import Idempotency, Replayed, request_fingerprint

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def codes(outcomes) -> Counter[str]:
    return Counter(
        "ok" if o.error is None else getattr(o.error, "code", repr(o.error)) for o in outcomes
    )


def test_two_members_paying_the_same_bill_at_once_are_charged_once(estate, flat, wang, li):
    # Given a ¥300.00 bill and a ¥50.00 one of their flat
    bill = make_bill(flat, 300_00)
    small = make_bill(flat, 50_00)

    # When 王芳 pays both and 李雷 pays the big one at the same moment
    outcomes = run_together(
        [
            lambda: paying.bills_pay(user=wang, bills=[bill.pk, small.pk], pin=PIN),
            lambda: paying.bills_pay(user=li, bills=[bill.pk], pin=PIN),
        ]
    )

    # Then exactly one is charged; the other is told the bill is already paid
    assert codes(outcomes) == Counter({"ok": 1, "bill_already_paid": 1})
    assert Payment.objects.count() == 1
    bill.refresh_from_db()
    small.refresh_from_db()
    assert BillEvent.objects.filter(kind=BillEvent.Kind.PAID, bill=bill).count() == 1
    if outcomes[0].error is None:
        assert (bill.paid_by_id, small.status) == (wang.pk, Bill.Status.PAID)
        assert (balance(wang), balance(li)) == (1_000_00 - 350_00, 500_00)
        assert collected(estate) == 350_00
    else:
        assert (bill.paid_by_id, small.status) == (li.pk, Bill.Status.OPEN)
        assert (balance(wang), balance(li)) == (1_000_00, 500_00 - 300_00)
        assert collected(estate) == 300_00
    assert bill.payment.amount_minor == collected(estate)


def test_a_double_submit_with_one_key_pays_once_and_both_get_the_answer(flat, wang):
    bill = make_bill(flat, 120_00)
    key = uuid.uuid4().hex

    def pay():
        idempotency = Idempotency(
            user_id=wang.pk,
            key=key,
            fingerprint=request_fingerprint("POST", "/api/v1/me/bills/pay/", {"bills": [bill.pk]}),
            render=lambda result: {"payment_id": result.payment.pk},
        )
        try:
            return paying.bills_pay(user=wang, bills=[bill.pk], pin=PIN, idempotency=idempotency)
        except Replayed as replay:
            return replay.body

    outcomes = run_together([pay, pay])

    assert codes(outcomes) == Counter({"ok": 2})
    assert Payment.objects.count() == 1 and balance(wang) == 1_000_00 - 120_00


def test_auto_pay_and_a_member_paying_by_hand_at_once_charge_once(flat, wang, li):
    autopay.autopay_consent(user=wang, unit=flat, monthly_cap_minor=1_000_00)
    bill = make_bill(flat, 200_00, due=date(2026, 3, 15))

    outcomes = run_together(
        [
            lambda: autopay.autopay_run(today=date(2026, 3, 15)),
            lambda: paying.bills_pay(user=li, bills=[bill.pk], pin=PIN),
        ]
    )

    assert all(o.error is None or o.refused for o in outcomes), [o.error for o in outcomes]
    assert Payment.objects.count() == 1
    assert balance(wang) + balance(li) == 1_500_00 - 200_00
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID
    attempt = AutoPayAttempt.objects.filter(bill=bill).first()
    if bill.paid_by_id == wang.pk:
        assert attempt is not None and attempt.outcome == AutoPayAttempt.Outcome.PAID
    else:
        assert attempt is None or attempt.outcome == AutoPayAttempt.Outcome.ALREADY_PAID
