"""The reports API: bills with filters, arrears, collection rates; scoping and query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from property_mgmt.models import Building
from tests.property_mgmt.conftest import make_household_member, make_manager, unit_of
from tests.property_mgmt.reports.conftest import APRIL, api_for, make_bill
from tests.property_mgmt.reports.test_pages import busy_estate

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "api-estate-report-bills",
    "api-estate-report-arrears",
    "api-estate-report-collection",
]


def test_the_bill_list_takes_the_page_filters(estate, manager, today):
    # Given bills in two buildings and two months
    march = make_bill(unit_of(estate, "1号楼", "101"), status="overdue", title="三月物业费")
    make_bill(unit_of(estate, "1号楼", "101"), period=APRIL)
    make_bill(unit_of(estate, "2号楼", "101"), status="overdue")
    building = Building.objects.get(neighbourhood=estate, name="1号楼")

    # When the manager asks for building 1's overdue bills of March
    response = api_for(manager).get(
        reverse("api-estate-report-bills", args=[estate.pk]),
        {"building_id": building.pk, "status": "overdue", "period": "2026-03"},
    )

    # Then exactly that bill comes back, named by building and unit
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "id": march.pk,
        "building_id": building.pk,
        "building": "1号楼",
        "unit_id": march.unit_id,
        "unit": "101",
        "kind": "monthly",
        "period": "2026-03",
        "title": "三月物业费",
        "status": "overdue",
        "total_minor": 10_000,
        "currency": "CNY",
        "due_date": "2026-03-15",
        "paid_at": None,
    }


def test_a_bad_filter_is_a_validation_error(estate, manager):
    response = api_for(manager).get(
        reverse("api-estate-report-bills", args=[estate.pk]),
        {"due_from": "2026-04-30", "due_to": "2026-04-01", "status": "late"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"status"}  # field errors first; the range check after

    response = api_for(manager).get(
        reverse("api-estate-report-bills", args=[estate.pk]),
        {"due_from": "2026-04-30", "due_to": "2026-04-01"},
    )
    assert response.json()["error"]["fields"] == {
        "due_to": ["The end of the range is before its start."]
    }


def test_arrears_come_with_days_overdue_contacts_and_building_totals(estate, manager, today):
    # Given an overdue bill of a unit whose owner is 张伟
    unit = unit_of(estate, "2号楼", "201")
    make_household_member(unit, display_name="张伟", phone="+8613912345678")
    bill = make_bill(unit, total_minor=23_456, status="overdue")

    # When the manager asks for the arrears
    body = api_for(manager).get(reverse("api-estate-report-arrears", args=[estate.pk])).json()

    # Then the bill is 36 days overdue, with the owner's masked mobile and the totals
    assert body["as_of"] == "2026-04-20"
    assert (body["bills"], body["owed_minor"], body["count"]) == (1, 23_456, 1)
    assert body["buildings"] == [
        {"building_id": unit.building_id, "name": "2号楼", "bills": 1, "owed_minor": 23_456}
    ]
    [row] = body["results"]
    assert (row["bill"]["id"], row["days_overdue"], row["owed_minor"]) == (bill.pk, 36, 23_456)
    assert row["contacts"] == [{"name": "张伟", "phone": "*******5678", "relation": "owner"}]


def test_collection_rates_by_month_and_building(estate, manager, today):
    # Given March: building 1 paid ¥100 of ¥150 (and ¥30 waived); building 2 nothing
    make_bill(unit_of(estate, "1号楼", "101"), total_minor=10_000, status="paid")
    make_bill(unit_of(estate, "1号楼", "102"), total_minor=5_000)
    make_bill(unit_of(estate, "1号楼", "201"), total_minor=3_000, status="waived")
    b1, b2 = Building.objects.filter(neighbourhood=estate).order_by("name")

    # When the manager asks for the collection rates
    body = api_for(manager).get(reverse("api-estate-report-collection", args=[estate.pk])).json()

    # Then March reads 66.7 % in building 1 and nothing billed in building 2
    assert [b["name"] for b in body["buildings"]] == ["1号楼", "2号楼"]
    assert [m["month"] for m in body["months"]][::11] == ["2025-05", "2026-04"]
    march = next(m for m in body["months"] if m["month"] == "2026-03")
    assert march["billed_minor"] == 15_000 and march["paid_minor"] == 10_000
    assert (march["rate"], march["percent"]) == ("0.6667", "66.7")
    assert march["buildings"] == [
        {
            "building_id": b1.pk,
            "billed_minor": 15_000,
            "paid_minor": 10_000,
            "rate": "0.6667",
            "percent": "66.7",
        },
        {"building_id": b2.pk, "billed_minor": 0, "paid_minor": 0, "rate": None, "percent": None},
    ]
    assert body["total"] == {
        "billed_minor": 15_000,
        "paid_minor": 10_000,
        "rate": "0.6667",
        "percent": "66.7",
    }


def test_a_manager_of_another_estate_and_a_resident_get_404(estate, other_estate, today):
    unit = unit_of(estate)
    resident = make_household_member(unit)
    make_bill(unit, status="overdue")
    for user in (make_manager(other_estate), resident):
        for name in ENDPOINTS:
            response = api_for(user).get(reverse(name, args=[estate.pk]))
            assert response.status_code == 404, name
            assert response.json()["error"]["code"] == "not_found"


def test_the_reports_api_needs_authentication(estate):
    for name in ENDPOINTS:
        assert APIClient().get(reverse(name, args=[estate.pk])).status_code == 401


@pytest.mark.parametrize(
    ("name", "ceiling"),
    [
        ("api-estate-report-bills", 4),
        ("api-estate-report-arrears", 6),
        ("api-estate-report-collection", 4),
    ],
)
def test_endpoints_do_not_grow_with_bills(
    estate, manager, today, name, ceiling, django_assert_max_num_queries
):
    # Given six units with three months of bills each and two household members
    busy_estate(estate)
    api = api_for(manager)

    # Then the endpoint takes a fixed number of queries
    with django_assert_max_num_queries(ceiling):
        response = api.get(reverse(name, args=[estate.pk]))
    assert response.status_code == 200
