"""Paying several bills in one wallet payment: worked examples and refusals."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from core.models import Notification
from property_mgmt.errors import (
    BillAlreadyPaid,
    BillNotPayable,
    BillsChanged,
    BillsNoneSelected,
    BillsSeveralEstates,
)
from property_mgmt.models import Bill, BillEvent
from property_mgmt.services import paying
from tests.property_mgmt.conftest import make_household_member, unit_of
from tests.property_mgmt.paying.conftest import PIN, balance, collected, make_bill
from wallet.errors import PinIncorrect, PinRequired
from wallet.models import Payment
from wallet.services import notices

pytestmark = pytest.mark.django_db


def test_two_bills_are_paid_in_one_wallet_payment(
    estate, flat, wang, li, django_capture_on_commit_callbacks
):
    # Given two open bills of 王芳's flat: ¥325.50 and an overdue ¥120.25
    march = make_bill(flat, 325_50)
    february = make_bill(flat, 120_25, status=Bill.Status.OVERDUE)

    # When she pays both at once
    with django_capture_on_commit_callbacks(execute=True):
        result = paying.bills_pay(user=wang, bills=[march, february], pin=PIN)

    # Then one payment of ¥445.75 left her wallet for the company's collection account
    assert Payment.objects.count() == 1
    assert result.payment.amount_minor == 445_75
    assert balance(wang) == 1_000_00 - 445_75
    assert result.balance.balance_minor == 1_000_00 - 445_75
    assert collected(estate) == 445_75
    # and both bills are PAID by that payment, by her, with a PAID event each
    for bill in (march, february):
        bill.refresh_from_db()
        assert (bill.status, bill.payment_id, bill.paid_by_id) == (
            Bill.Status.PAID,
            result.payment.pk,
            wang.pk,
        )
        assert bill.paid_at is not None
        assert BillEvent.objects.filter(bill=bill, kind=BillEvent.Kind.PAID).count() == 1
    # and her husband is told; she gets the wallet's own notice, not a second one
    told = Notification.objects.get(kind="bill_paid")
    assert told.user_id == li.pk and told.data["payment_id"] == result.payment.pk
    assert Notification.objects.filter(user=wang, kind="payment_sent").exists()
    assert not Notification.objects.filter(user=wang, kind="bill_paid").exists()
    # and a second delivery run (a sweep, a duplicate wake-up) tells nobody again
    assert notices.deliver_pending() == 0
    assert Notification.objects.filter(kind="bill_paid").count() == 1


def test_a_bill_of_another_household_is_not_found_and_nothing_moves(estate, wang, neighbour):
    theirs = make_bill(unit_of(estate, "1号楼", "102"), 200_00)
    mine = make_bill(unit_of(estate, "1号楼", "101"), 100_00)

    with pytest.raises(NotFound):
        paying.bills_pay(user=wang, bills=[mine, theirs], pin=PIN)

    assert Payment.objects.count() == 0 and balance(wang) == 1_000_00
    assert set(Bill.objects.values_list("status", flat=True)) == {Bill.Status.OPEN}


def test_a_resident_waiting_for_confirmation_cannot_pay(estate, flat):
    from property_mgmt.models import Household

    pending = make_household_member(unit_of(estate, "2号楼", "101"))
    Household.objects.filter(user=pending).update(unit=flat, status=Household.Status.PENDING)
    bill = make_bill(flat, 100_00)

    with pytest.raises(NotFound):
        paying.bills_pay(user=pending, bills=[bill], pin=PIN)


def test_a_paid_bill_is_refused_without_charging(flat, wang, li):
    bill = make_bill(flat, 100_00)
    paying.bills_pay(user=li, bills=[bill], pin=PIN)

    with pytest.raises(BillAlreadyPaid) as refused:
        paying.bills_pay(user=wang, bills=[bill.pk], pin=PIN)

    assert refused.value.status_code == 409
    assert balance(wang) == 1_000_00 and Payment.objects.count() == 1


@pytest.mark.parametrize("status", [Bill.Status.WAIVED, Bill.Status.CANCELLED])
def test_waived_and_cancelled_bills_are_not_payable(flat, wang, status):
    bill = make_bill(flat, 100_00, status=status)
    with pytest.raises(BillNotPayable):
        paying.bills_pay(user=wang, bills=[bill], pin=PIN)


def test_bills_of_two_estates_are_paid_separately(estate, other_estate, flat, wang):
    there = unit_of(other_estate, "1号楼", "101")
    from property_mgmt.models import Household

    Household.objects.create(
        unit=there, user=wang, phone=wang.phone, relation="owner", status="confirmed"
    )
    with pytest.raises(BillsSeveralEstates):
        paying.bills_pay(
            user=wang, bills=[make_bill(flat, 100_00), make_bill(there, 100_00)], pin=PIN
        )
    assert Payment.objects.count() == 0


def test_nothing_selected_is_refused(wang):
    with pytest.raises(BillsNoneSelected):
        paying.bills_pay(user=wang, bills=[], pin=PIN)


def test_the_pin_is_checked_before_anything_moves(flat, wang):
    bill = make_bill(flat, 100_00)
    with pytest.raises(PinRequired):
        paying.bills_pay(user=wang, bills=[bill], pin=None)
    with pytest.raises(PinIncorrect):
        paying.bills_pay(user=wang, bills=[bill], pin="135791")
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN and balance(wang) == 1_000_00


def test_a_bill_that_changed_after_the_review_is_not_charged(flat, wang):
    # Given the bill grew by a late fee between the total 王芳 saw and the lock
    bill = make_bill(flat, 100_00)
    checked = paying.bills_to_pay(wang, [bill.pk])
    Bill.objects.filter(pk=bill.pk).update(total_minor=105_00)

    # When the money step locks it expecting the old total, it refuses
    from django.db import transaction

    with pytest.raises(BillsChanged), transaction.atomic():
        paying.lock_payable_bills([bill.pk], expected_total_minor=checked[0].total_minor)
    assert balance(wang) == 1_000_00
