"""The estate-records API: shapes, error codes, scoping (404 across estates) and query
counts of the lists."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from community.models import Membership
from property_mgmt.models import Building, Household, Unit
from property_mgmt.services import households as homes
from tests.property_mgmt.conftest import make_manager, unit_of
from tests.property_mgmt.households.conftest import (
    HEADER,
    api_for,
    csv_bytes,
    follower,
    queries_of,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=args)


def listed(manager, unit, phone, relation="owner", name=""):
    return homes.household_add(
        manager=manager, unit=unit, phone=phone, relation=relation, name=name
    )


def test_anonymous_callers_are_refused(estate):
    assert APIClient().get(url("api-estate-units", estate.pk)).status_code == 401
    assert APIClient().get(url("api-my-homes")).status_code == 401


def test_units_list_with_occupancy_and_a_building_filter(estate, manager):
    resident = follower(estate)
    homes.household_confirm(
        manager=manager, household=listed(manager, unit_of(estate), resident.phone)
    )
    api = api_for(manager)

    body = api.get(url("api-estate-units", estate.pk)).json()

    assert body["count"] == 8
    first = body["results"][0]
    unit = unit_of(estate)
    assert first == {
        "unit": {
            "id": unit.pk,
            "building_id": unit.building_id,
            "building": "1号楼",
            "number": "101",
            "floor": 1,
            "area_m2": "89.50",
            "kind": "flat",
        },
        "confirmed_count": 1,
        "pending_count": 0,
    }
    two = Building.objects.get(neighbourhood=estate, name="2号楼")
    only_two = api.get(url("api-estate-units", estate.pk), {"building": two.pk}).json()
    assert {r["unit"]["building"] for r in only_two["results"]} == {"2号楼"}


def test_list_endpoints_take_the_same_queries_for_few_or_many_rows(estate, manager):
    api = api_for(manager)
    lists = [
        url("api-estate-units", estate.pk),
        url("api-estate-households", estate.pk),
        url("api-estate-unit", estate.pk, unit_of(estate).pk),
    ]
    listed(manager, unit_of(estate), "13600000601")
    for address in lists:
        api.get(address)
    few = [queries_of(lambda a=address: api.get(a)) for address in lists]
    building = unit_of(estate).building
    for n in range(25):
        unit = Unit.objects.create(building=building, number=f"8{n:02d}", floor=8, area_m2=60)
        listed(manager, unit, f"137{n:08d}")
        listed(manager, unit_of(estate), f"135{n:08d}", "family")
    many = [queries_of(lambda a=address: api.get(a)) for address in lists]
    assert many == few, (few, many)


def test_unit_detail_lists_its_open_household_rows(estate, manager):
    unit = unit_of(estate)
    ended = listed(manager, unit, "13600000602")
    homes.household_end(manager=manager, household=ended, reason="gone")
    waiting = listed(manager, unit, "13600000603", "tenant", "张三")

    body = api_for(manager).get(url("api-estate-unit", estate.pk, unit.pk)).json()

    assert body["unit"]["number"] == "101"
    assert [m["id"] for m in body["members"]] == [waiting.pk]
    member = body["members"][0]
    assert (member["phone"], member["status"], member["has_account"], member["unit"]) == (
        "+8613600000603",
        "pending",
        False,
        "1号楼-101",
    )


def test_households_add_confirm_and_end(estate, manager):
    resident = follower(estate, level=2)
    api = api_for(manager)

    added = api.post(
        url("api-estate-households", estate.pk),
        {"unit_id": unit_of(estate).pk, "phone": resident.phone, "relation": "owner"},
        format="json",
    )
    assert added.status_code == 201
    household_id = added.json()["id"]
    assert added.json()["has_account"] is True

    queue = api.get(url("api-estate-households", estate.pk), {"status": "pending"}).json()
    assert [row["id"] for row in queue["results"]] == [household_id]

    confirmed = api.post(url("api-estate-household-confirm", estate.pk, household_id))
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    again = api.post(url("api-estate-household-confirm", estate.pk, household_id))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "household_not_pending"
    resident.refresh_from_db()
    assert resident.verification_level == 3

    no_reason = api.post(url("api-estate-household-end", estate.pk, household_id), {})
    assert no_reason.status_code == 400
    assert no_reason.json()["error"]["fields"] == {"reason": ["This field is required."]}
    ended = api.post(
        url("api-estate-household-end", estate.pk, household_id),
        {"reason": "moved out"},
        format="json",
    )
    assert ended.json()["status"] == "ended"
    assert Membership.objects.get(user=resident, neighbourhood=estate).status == "visitor"


def test_adding_errors(estate, manager):
    api = api_for(manager)
    listed(manager, unit_of(estate), "13600000604")
    twice = api.post(
        url("api-estate-households", estate.pk),
        {"unit_id": unit_of(estate).pk, "phone": "13600000604", "relation": "owner"},
        format="json",
    )
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "household_already_listed")
    invalid = api.post(
        url("api-estate-households", estate.pk),
        {"unit_id": unit_of(estate).pk, "phone": "5551234", "relation": "owner"},
        format="json",
    )
    assert invalid.status_code == 400
    assert list(invalid.json()["error"]["fields"]) == ["phone"]
    unconfirmable = listed(manager, unit_of(estate, number="102"), "13600000605")
    refused = api.post(url("api-estate-household-confirm", estate.pk, unconfirmable.pk))
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        422,
        "household_without_account",
    )


def test_a_manager_of_another_estate_gets_404_from_every_endpoint(estate, other_estate):
    own = make_manager(estate)
    household = listed(own, unit_of(estate), "13600000606")
    api = api_for(make_manager(other_estate))
    unit = unit_of(estate)
    for address in [
        url("api-estate-units", estate.pk),
        url("api-estate-unit", estate.pk, unit.pk),
        url("api-estate-unit", other_estate.pk, unit.pk),
        url("api-estate-households", estate.pk),
    ]:
        response = api.get(address)
        assert response.status_code == 404, address
        assert response.json()["error"]["code"] == "not_found"
    for address, body in [
        (
            url("api-estate-households", estate.pk),
            {"unit_id": unit.pk, "phone": "13600000607", "relation": "owner"},
        ),
        (
            url("api-estate-households", other_estate.pk),
            {"unit_id": unit.pk, "phone": "13600000607", "relation": "owner"},
        ),
        (url("api-estate-household-confirm", estate.pk, household.pk), {}),
        (url("api-estate-household-end", estate.pk, household.pk), {"reason": "x"}),
        (url("api-estate-household-end", other_estate.pk, household.pk), {"reason": "x"}),
    ]:
        assert api.post(address, body, format="json").status_code == 404, address
    imported = api.post(
        url("api-estate-import", estate.pk),
        {"file": SimpleUploadedFile("u.csv", csv_bytes(HEADER, "1号楼,901,9,50,flat,,,"))},
        format="multipart",
    )
    assert imported.status_code == 404
    assert Household.objects.count() == 1
    assert not Unit.objects.filter(number="901").exists()


# --- import --------------------------------------------------------------------------------


def post_file(api, estate, content: bytes, name="units.csv", **extra):
    return api.post(
        url("api-estate-import", estate.pk),
        {"file": SimpleUploadedFile(name, content), **extra},
        format="multipart",
    )


def test_import_dry_run_then_apply(estate, manager):
    api = api_for(manager)
    content = csv_bytes(
        HEADER, "1号楼,101,1,88.00,flat,,,", "8号楼,101,3,70,flat,13600000608,,owner"
    )

    preview = post_file(api, estate, content, dry_run="true")

    assert preview.status_code == 200
    assert preview.json() == {
        "applied": False,
        "counts": {
            "rows": 2,
            "buildings_created": 1,
            "units_created": 1,
            "units_updated": 1,
            "units_unchanged": 0,
            "households_added": 1,
            "households_linked": 0,
            "households_already_listed": 0,
        },
        "buildings_created": ["8号楼"],
        "units_updated": [
            {
                "building": "1号楼",
                "number": "101",
                "before": "1 · 89.50 m² · Flat",
                "after": "1 · 88.00 m² · Flat",
            }
        ],
    }
    assert not Building.objects.filter(name="8号楼").exists()

    applied = post_file(api, estate, content)

    assert applied.json()["applied"] is True
    assert Building.objects.get(name="8号楼").floors == 3
    assert Household.objects.get().phone == "+8613600000608"


def test_import_with_bad_rows_answers_422_with_every_row_and_imports_nothing(estate, manager):
    response = post_file(
        api_for(manager),
        estate,
        csv_bytes(HEADER, "1号楼,101,1,88.00,flat,,,", "1号楼,102,1,abc,flat,,,", ",,,,,1,,"),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rows_invalid"
    assert [(r["row"], r["column"]) for r in error["rows"]] == [
        (3, "area"),
        (4, "building"),
        (4, "unit"),
        (4, "floor"),
        (4, "area"),
        (4, "kind"),
        (4, "mobile"),
        (4, "relation"),
    ]
    assert unit_of(estate).area_m2 == 89.50


# --- my homes ------------------------------------------------------------------------------


def test_my_homes_and_asking_to_be_added(estate, manager, other_estate):
    resident = follower(estate)
    api = api_for(resident)
    assert api.get(url("api-my-homes")).json() == []
    building = unit_of(estate).building

    asked = api.post(
        url("api-my-homes"),
        {"estate_id": estate.pk, "building_id": building.pk, "number": "101", "relation": "owner"},
        format="json",
    )

    assert asked.status_code == 201
    body = asked.json()
    assert (body["estate_id"], body["estate"], body["confirmed"], body["unit"]["number"]) == (
        estate.pk,
        estate.name,
        False,
        "101",
    )
    homes.household_confirm(manager=manager, household=Household.objects.get(pk=body["id"]))
    [home] = api.get(url("api-my-homes")).json()
    assert home["confirmed"] is True
    assert [m["id"] for m in home["members"]] == [body["id"]]

    elsewhere = api.post(
        url("api-my-homes"),
        {
            "estate_id": other_estate.pk,
            "building_id": unit_of(other_estate).building_id,
            "number": "101",
            "relation": "owner",
        },
        format="json",
    )
    assert elsewhere.status_code == 404
    wrong_building = api.post(
        url("api-my-homes"),
        {
            "estate_id": estate.pk,
            "building_id": unit_of(other_estate).building_id,
            "number": "101",
            "relation": "owner",
        },
        format="json",
    )
    assert wrong_building.status_code == 404


def test_a_resident_sees_only_their_own_homes(estate, manager):
    mine = follower(estate)
    theirs = follower(estate)
    homes.household_confirm(manager=manager, household=listed(manager, unit_of(estate), mine.phone))
    homes.household_confirm(
        manager=manager, household=listed(manager, unit_of(estate, number="102"), theirs.phone)
    )
    [home] = api_for(mine).get(url("api-my-homes")).json()
    assert home["unit"]["number"] == "101"
    assert api_for(mine).get(url("api-estate-units", estate.pk)).status_code == 404
