"""Residents' pages: my bills with a running total, the two-step pay, a bill, auto-pay."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from property_mgmt.models import AutoPayConsent, Bill
from property_mgmt.services import autopay, paying
from tests.property_mgmt.conftest import unit_of
from tests.property_mgmt.paying.conftest import PIN, balance, make_bill

pytestmark = pytest.mark.django_db


def key_of(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html)
    assert match, "the confirm form carries its own Idempotency-Key"
    return match.group(1)


def test_my_bills_lists_open_bills_to_tick_and_paid_ones_with_receipts(
    client, estate, flat, wang, neighbour
):
    open_bill = make_bill(flat, 325_50)
    paid = make_bill(flat, 100_00)
    paying.bills_pay(user=wang, bills=[paid], pin=PIN)
    theirs = make_bill(unit_of(estate, "1号楼", "102"), 999_00)
    client.force_login(wang)

    html = client.get(reverse("my-bills")).content.decode()

    assert f'name="bills" value="{open_bill.pk}" data-amount="32550" checked' in html
    assert f'data-paid-bill="{paid.pk}"' in html
    assert reverse("my-bill-receipt-pdf", args=[paid.pk]) in html
    assert f'value="{theirs.pk}"' not in html and "999" not in html


def test_paying_two_bills_through_the_pages(client, estate, flat, wang):
    bills = [make_bill(flat, 200_00), make_bill(flat, 45_50, status=Bill.Status.OVERDUE)]
    client.force_login(wang)

    # Step 1: tick both and review: the total and the PIN field (a payment this size needs it)
    review = client.post(reverse("my-bills"), {"bills": [b.pk for b in bills]})
    html = review.content.decode()
    assert review.status_code == 200 and "data-pin" in html
    assert re.search(r"data-total>[^<]*245\.50<", html)

    # Step 2: confirm with the PIN; a double tap with the same key pays once
    body = {
        "confirm": "1",
        "bills": [b.pk for b in bills],
        "pin": PIN,
        "idempotency_key": key_of(html),
        "total": 245_50,
    }
    paid = client.post(reverse("my-bills"), body)
    again = client.post(reverse("my-bills"), body)

    assert paid.status_code == 302 and again.status_code == 302
    assert balance(wang) == 1_000_00 - 245_50
    assert set(Bill.objects.values_list("status", flat=True)) == {Bill.Status.PAID}


def test_a_wrong_pin_asks_again_and_charges_nothing(client, flat, wang):
    bill = make_bill(flat, 200_00)
    client.force_login(wang)
    html = client.post(reverse("my-bills"), {"bills": [bill.pk]}).content.decode()

    again = client.post(
        reverse("my-bills"),
        {
            "confirm": "1",
            "bills": [bill.pk],
            "total": 200_00,
            "pin": "135791",
            "idempotency_key": key_of(html),
        },
    )

    assert again.status_code == 200 and "data-pin" in again.content.decode()
    assert "The payment PIN is not correct." in again.content.decode()
    assert balance(wang) == 1_000_00


def test_a_bill_that_grew_after_the_review_is_not_charged(client, flat, wang):
    # Given 王芳 reviewed a ¥200.00 bill, then a late fee of ¥1.00 landed on it
    bill = make_bill(flat, 200_00)
    client.force_login(wang)
    html = client.post(reverse("my-bills"), {"bills": [bill.pk]}).content.decode()
    assert 'name="total" value="20000"' in html
    Bill.objects.filter(pk=bill.pk).update(total_minor=201_00)

    # When she confirms what she saw
    confirmed = client.post(
        reverse("my-bills"),
        {
            "confirm": "1",
            "bills": [bill.pk],
            "total": 200_00,
            "pin": PIN,
            "idempotency_key": key_of(html),
        },
        follow=True,
    )

    # Then nothing is charged and she is told to check the new total
    assert "A bill changed while you were paying" in confirmed.content.decode()
    assert balance(wang) == 1_000_00
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN


def test_another_households_bill_is_404_on_every_page(client, estate, neighbour, wang):
    bill = make_bill(unit_of(estate, "1号楼", "101"), 100_00)
    client.force_login(neighbour)

    assert client.get(reverse("my-bill", args=[bill.pk])).status_code == 404
    review = client.post(reverse("my-bills"), {"bills": [bill.pk]}, follow=True)
    assert "Not found." in review.content.decode()
    assert balance(neighbour) == 500_00


def test_a_bill_page_shows_its_lines_and_a_pay_button(client, flat, wang):
    bill = make_bill(flat, 150_00)
    client.force_login(wang)
    html = client.get(reverse("my-bill", args=[bill.pk])).content.decode()
    assert html.count("data-line") == 2 and "物业费" in html and "水费" in html
    assert f'name="bills" value="{bill.pk}"' in html


def test_turning_auto_pay_on_changing_the_cap_and_off(client, flat, wang):
    client.force_login(wang)

    client.post(reverse("my-bills-autopay"), {"unit": flat.pk, "cap": "800"})
    consent = AutoPayConsent.objects.get(user=wang, active=True)
    assert consent.monthly_cap_minor == 800_00

    client.post(reverse("my-bills-autopay"), {"unit": flat.pk, "cap": "650.50"})
    assert AutoPayConsent.objects.get(user=wang, active=True).monthly_cap_minor == 650_50
    assert "data-autopay-on" in client.get(reverse("my-bills-autopay")).content.decode()

    active = AutoPayConsent.objects.get(user=wang, active=True)
    client.post(reverse("my-bills-autopay"), {"withdraw": "1", "consent": active.pk})
    assert not AutoPayConsent.objects.filter(user=wang, active=True).exists()


def test_auto_pay_for_someone_elses_unit_is_404(client, estate, wang):
    client.force_login(wang)
    other = unit_of(estate, "2号楼", "101")
    response = client.post(reverse("my-bills-autopay"), {"unit": other.pk, "cap": "800"})
    assert response.status_code == 404
    assert not AutoPayConsent.objects.exists()


def test_my_bills_page_does_not_grow_with_bills(
    client, estate, flat, wang, django_assert_max_num_queries
):
    second_flat = unit_of(estate, "2号楼", "202")
    from property_mgmt.models import Household

    Household.objects.create(
        unit=second_flat, user=wang, phone=wang.phone, relation="owner", status="confirmed"
    )
    for n in range(6):
        make_bill(flat if n % 2 else second_flat, 100_00 + n)
    for bill in list(Bill.objects.all())[:3]:
        paying.bills_pay(user=wang, bills=[bill], pin=PIN)
    client.force_login(wang)
    client.get(reverse("my-bills"))  # warm the session and the wallet's first-use rows

    with django_assert_max_num_queries(7):
        response = client.get(reverse("my-bills"))
    assert response.status_code == 200
    assert response.content.decode().count("data-paid-bill=") == 3


def test_the_auto_pay_page_does_not_grow_with_units(
    client, estate, flat, wang, django_assert_max_num_queries
):
    from property_mgmt.models import Household

    for number in ("102", "201", "202"):
        unit = unit_of(estate, "1号楼", number)
        Household.objects.create(
            unit=unit, user=wang, phone=wang.phone, relation="owner", status="confirmed"
        )
        autopay.autopay_consent(user=wang, unit=unit, monthly_cap_minor=100_00)
    client.force_login(wang)
    client.get(reverse("my-bills-autopay"))

    with django_assert_max_num_queries(7):
        response = client.get(reverse("my-bills-autopay"))
    assert response.content.decode().count("data-unit=") == 4
