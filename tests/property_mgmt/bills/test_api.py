"""The manager's bill API: read, adjust (idempotent), waive, cancel, issue a one-off bill;
error codes, scoping and query counts."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from property_mgmt.models import Bill, BillEvent
from property_mgmt.services import bills
from tests.property_mgmt.bills.conftest import make_bill, on_day, pay, set_policy
from tests.property_mgmt.conftest import make_household_member, make_manager, unit_of

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def url(bill: Bill, action: str = "") -> str:
    name = f"api-estate-bill-{action}" if action else "api-estate-bill"
    return reverse(name, args=[bill.neighbourhood_id, bill.pk])


def post(api, path, data, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(path, data, format="json", **headers)


def test_reading_a_bill_with_its_lines_and_history(estate, manager, unit):
    set_policy(estate, grace_days=0, daily_rate="0.01")
    bill = make_bill(unit, due_date=date(2026, 3, 15))
    with on_day(date(2026, 3, 16)):
        bills.late_fees_accrue()

    body = client_for(manager).get(url(bill)).json()

    assert body["status"] == "overdue" and body["total_minor"] == 101_000
    assert body["unit"] == {"id": unit.pk, "building": "1号楼", "number": "101"}
    assert [(line["kind"], line["amount_minor"], line["accrued_on"]) for line in body["lines"]] == [
        ("property", 100_000, None),
        ("late_fee", 1_000, "2026-03-16"),
    ]
    assert [(e["kind"], e["actor"]) for e in body["events"]] == [("overdue", None)]


def test_adjusting_is_idempotent_per_key(manager, unit):
    bill = make_bill(unit)
    api = client_for(manager)
    key = uuid.uuid4().hex
    body = {"amount_minor": -2_000, "reason": "面积更正"}

    first = post(api, url(bill, "adjust"), body, key)
    again = post(api, url(bill, "adjust"), body, key)
    other_body = post(api, url(bill, "adjust"), {**body, "amount_minor": -1}, key)
    no_key = post(api, url(bill, "adjust"), body)

    assert first.status_code == 201, first.json()
    assert first.json()["total_minor"] == 98_000
    assert first.json()["events"][0]["actor"]["id"] == manager.pk
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other_body.status_code == 422
    assert no_key.status_code in (400, 422)
    bill.refresh_from_db()
    assert bill.total_minor == 98_000
    assert bill.events.filter(kind=BillEvent.Kind.ADJUSTED).count() == 1


def test_refusals_carry_stable_codes(manager, unit):
    api = client_for(manager)
    bill = make_bill(unit)
    paid = pay(
        make_bill(unit_of(unit.building.neighbourhood, number="102")), make_household_member(unit)
    )

    below = post(api, url(bill, "adjust"), {"amount_minor": -100_001, "reason": "x"}, "k1")
    zero = post(api, url(bill, "adjust"), {"amount_minor": 0, "reason": "x"}, "k2")
    waive_paid = post(api, url(paid, "waive"), {"reason": "x"})
    no_reason = post(api, url(bill, "cancel"), {"reason": ""})

    assert (below.status_code, below.json()["error"]["code"]) == (422, "bill_total_below_zero")
    assert (zero.status_code, zero.json()["error"]["code"]) == (422, "bill_adjustment_invalid")
    assert (waive_paid.status_code, waive_paid.json()["error"]["code"]) == (
        409,
        "bill_not_changeable",
    )
    assert (no_reason.status_code, no_reason.json()["error"]["code"]) == (400, "validation_failed")


def test_waiving_then_cancelling(manager, unit):
    bill = make_bill(unit)
    api = client_for(manager)

    waived = post(api, url(bill, "waive"), {"reason": "困难户减免"})
    cancelled = post(api, url(bill, "cancel"), {"reason": "开错了"})

    assert waived.status_code == 200 and waived.json()["status"] == "waived"
    assert waived.json()["events"][-1]["reason"] == "困难户减免"
    assert cancelled.status_code == 409


def test_issuing_an_adhoc_bill(estate, manager):
    api = client_for(manager)
    unit = unit_of(estate, "2号楼", "201")
    due = timezone.localdate() + timedelta(days=7)
    body = {
        "unit_id": unit.pk,
        "title": "装修垃圾清运",
        "due_date": due.isoformat(),
        "lines": [{"description": "清运", "amount_minor": 20_000}],
    }
    path = reverse("api-estate-bill-adhoc", args=[estate.pk])

    first = post(api, path, body, "adhoc-1")
    again = post(api, path, body, "adhoc-1")
    empty = post(api, path, {**body, "lines": []}, "adhoc-2")

    assert first.status_code == 201, first.json()
    assert first.json()["kind"] == "adhoc" and first.json()["total_minor"] == 20_000
    assert again.json() == first.json()
    assert empty.status_code == 400
    assert Bill.objects.count() == 1


def test_another_estates_bill_or_unit_is_404(estate, other_estate):
    api = client_for(make_manager(estate))
    theirs = make_bill(unit_of(other_estate))

    assert api.get(url(theirs)).status_code == 404
    assert api.get(reverse("api-estate-bill", args=[estate.pk, theirs.pk])).status_code == 404
    assert post(api, url(theirs, "waive"), {"reason": "x"}).status_code == 404
    assert (
        post(api, url(theirs, "adjust"), {"amount_minor": 1, "reason": "x"}, "k").status_code == 404
    )
    unit_there = post(
        api,
        reverse("api-estate-bill-adhoc", args=[estate.pk]),
        {
            "unit_id": unit_of(other_estate).pk,
            "title": "x",
            "due_date": timezone.localdate().isoformat(),
            "lines": [{"description": "x", "amount_minor": 1}],
        },
        "k2",
    )
    assert unit_there.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open" and Bill.objects.count() == 1


def test_a_resident_gets_404(unit):
    bill = make_bill(unit)
    api = client_for(make_household_member(unit))

    assert api.get(url(bill)).status_code == 404
    assert post(api, url(bill, "cancel"), {"reason": "x"}).status_code == 404


def test_anonymous_gets_401(unit):
    assert APIClient().get(url(make_bill(unit))).status_code == 401


def test_reading_a_bill_takes_a_fixed_number_of_queries(
    estate, manager, unit, django_assert_max_num_queries
):
    set_policy(estate, grace_days=0, daily_rate="0.001")
    bill = make_bill(unit, due_date=date(2026, 3, 1))
    for day in range(2, 10):
        with on_day(date(2026, 3, day)):
            bills.late_fees_accrue()
    for n in range(4):
        bills.bill_adjust(manager=make_manager(estate), bill=bill, amount_minor=n + 1, reason="x")
    api = client_for(manager)

    with django_assert_max_num_queries(8):
        body = api.get(url(bill)).json()

    assert len(body["lines"]) == 1 + 8 + 4 and len(body["events"]) == 1 + 4
