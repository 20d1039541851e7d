"""The residents' bills API: list with a filter, detail, pay several with an
Idempotency-Key, receipt PDF, auto-pay consents; scoping and query counts."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from property_mgmt.models import AutoPayConsent, Bill, Household
from property_mgmt.services import paying
from tests.property_mgmt.conftest import unit_of
from tests.property_mgmt.paying.conftest import PIN, balance, collected, make_bill
from wallet.models import Payment

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def pay(api, bill_ids, key, pin=PIN):
    return api.post(
        reverse("api-resident-bills-pay"),
        {"bill_ids": bill_ids, "pin": pin},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_paying_two_bills_through_the_api_and_replaying_it(estate, flat, wang):
    bills = [make_bill(flat, 300_00), make_bill(flat, 25_50)]
    api, key = client_for(wang), uuid.uuid4().hex

    paid = pay(api, [b.pk for b in bills], key)
    replayed = pay(api, [b.pk for b in bills], key)

    assert paid.status_code == 201, paid.json()
    body = paid.json()
    assert body["payment"]["amount_minor"] == 325_50
    assert [b["status"] for b in body["bills"]] == ["paid", "paid"]
    assert body["balance"]["balance_minor"] == 1_000_00 - 325_50
    assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    assert replayed.json() == body
    assert Payment.objects.count() == 1 and collected(estate) == 325_50


def test_the_same_key_with_other_bills_is_refused(flat, wang):
    first, second = make_bill(flat, 100_00), make_bill(flat, 200_00)
    api, key = client_for(wang), uuid.uuid4().hex
    assert pay(api, [first.pk], key).status_code == 201

    reused = pay(api, [second.pk], key)

    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert balance(wang) == 900_00


def test_paying_without_a_key_is_refused(flat, wang):
    bill = make_bill(flat, 100_00)
    response = client_for(wang).post(
        reverse("api-resident-bills-pay"), {"bill_ids": [bill.pk], "pin": PIN}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"


def test_a_bill_already_paid_answers_409(flat, wang, li):
    bill = make_bill(flat, 100_00)
    paying.bills_pay(user=li, bills=[bill], pin=PIN)

    response = pay(client_for(wang), [bill.pk], uuid.uuid4().hex)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "bill_already_paid"
    assert balance(wang) == 1_000_00


def test_an_expected_total_that_no_longer_holds_charges_nothing(flat, wang):
    bill = make_bill(flat, 100_00)
    response = client_for(wang).post(
        reverse("api-resident-bills-pay"),
        {"bill_ids": [bill.pk], "expected_total_minor": 99_00, "pin": PIN},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "bills_changed"
    assert balance(wang) == 1_000_00


def test_a_resident_sees_and_pays_only_their_households_bills(estate, flat, wang, neighbour):
    mine = make_bill(flat, 100_00)
    theirs = make_bill(unit_of(estate, "1号楼", "102"), 200_00)
    api = client_for(wang)

    listed = api.get(reverse("api-resident-bills")).json()
    assert [b["id"] for b in listed] == [mine.pk]
    assert api.get(reverse("api-resident-bill", args=[theirs.pk])).status_code == 404
    assert api.get(reverse("api-resident-bill-receipt-pdf", args=[theirs.pk])).status_code == 404
    refused = pay(api, [mine.pk, theirs.pk], uuid.uuid4().hex)
    assert refused.status_code == 404 and balance(wang) == 1_000_00


def test_the_list_filters_by_status_and_the_detail_has_lines_and_receipt(flat, wang):
    open_bill, paid = make_bill(flat, 100_00), make_bill(flat, 80_00)
    paying.bills_pay(user=wang, bills=[paid], pin=PIN)
    api = client_for(wang)

    assert [b["id"] for b in api.get(reverse("api-resident-bills"), {"status": "paid"}).json()] == [
        paid.pk
    ]
    assert [b["id"] for b in api.get(reverse("api-resident-bills"), {"status": "open"}).json()] == [
        open_bill.pk
    ]
    assert api.get(reverse("api-resident-bills"), {"status": "nonsense"}).json() == []
    detail = api.get(reverse("api-resident-bill", args=[paid.pk])).json()
    assert [line["amount_minor"] for line in detail["lines"]] == [60_00, 20_00]
    assert detail["receipt_pdf"] == reverse("api-resident-bill-receipt-pdf", args=[paid.pk])
    pdf = api.get(detail["receipt_pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert api.get(reverse("api-resident-bill", args=[open_bill.pk])).json()["receipt_pdf"] is None


def test_auto_pay_consents_through_the_api(estate, flat, wang, neighbour):
    api = client_for(wang)

    created = api.post(
        reverse("api-resident-autopay"),
        {"unit_id": flat.pk, "monthly_cap_minor": 500_00},
        format="json",
    )
    assert created.status_code == 201, created.json()
    consent_id = created.json()["id"]
    assert [c["id"] for c in api.get(reverse("api-resident-autopay")).json()] == [consent_id]

    other = client_for(neighbour)
    assert (
        other.post(reverse("api-resident-autopay-withdraw", args=[consent_id])).status_code == 404
    )
    assert (
        other.post(
            reverse("api-resident-autopay"),
            {"unit_id": flat.pk, "monthly_cap_minor": 500_00},
            format="json",
        ).status_code
        == 404
    )

    withdrawn = api.post(reverse("api-resident-autopay-withdraw", args=[consent_id]))
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    assert api.get(reverse("api-resident-autopay")).json() == []
    assert not AutoPayConsent.objects.filter(active=True).exists()


def test_the_list_endpoint_does_not_grow_with_bills(
    estate, flat, wang, django_assert_max_num_queries
):
    second = unit_of(estate, "2号楼", "101")
    Household.objects.create(
        unit=second, user=wang, phone=wang.phone, relation="owner", status="confirmed"
    )
    for n in range(8):
        make_bill(flat if n % 2 else second, 50_00 + n)
    paying.bills_pay(user=wang, bills=list(Bill.objects.filter(unit=flat)), pin=PIN)
    api = client_for(wang)

    with django_assert_max_num_queries(2):
        listed = api.get(reverse("api-resident-bills"))
    assert len(listed.json()) == 8


def test_the_auto_pay_list_does_not_grow(estate, wang, django_assert_max_num_queries):
    from property_mgmt.services import autopay

    for number in ("101", "102", "201"):
        unit = unit_of(estate, "2号楼", number)
        Household.objects.create(
            unit=unit, user=wang, phone=wang.phone, relation="owner", status="confirmed"
        )
        autopay.autopay_consent(user=wang, unit=unit, monthly_cap_minor=100_00)

    with django_assert_max_num_queries(2):
        listed = client_for(wang).get(reverse("api-resident-autopay"))
    assert len(listed.json()) == 3
