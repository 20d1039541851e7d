"""Managers' estate-record pages and the residents' "My home": what they show, the forms
behind them, scoping (another estate's pages are 404) and query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from community.models import Membership
from property_mgmt.models import Building, Household, Unit
from property_mgmt.services import households as homes
from tests.property_mgmt.conftest import make_estate, make_manager, unit_of
from tests.property_mgmt.households.conftest import HEADER, csv_bytes, follower, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def page(client, name, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(manager, unit, phone, relation="owner", name=""):
    return homes.household_add(
        manager=manager, unit=unit, phone=phone, relation=relation, name=name
    )


# --- units --------------------------------------------------------------------------------


def test_the_unit_list_shows_buildings_occupancy_and_filters_by_building(
    estate, manager, manager_client
):
    resident = follower(estate)
    homes.household_confirm(
        manager=manager, household=listed(manager, unit_of(estate), resident.phone)
    )
    listed(manager, unit_of(estate, number="102"), "13600000101")

    html = page(manager_client, "estate-units", estate.pk)

    assert html.count('data-unit="') == 8
    assert 'data-pending-count="1"' in html
    assert "1 waiting for confirmation" in html
    building_two = Building.objects.get(neighbourhood=estate, name="2号楼")
    only_two = page(manager_client, "estate-units", estate.pk, building=building_two.pk)
    assert only_two.count('data-unit="') == 4
    assert f'data-unit="{unit_of(estate).pk}"' not in only_two


def test_the_unit_list_takes_the_same_queries_for_few_or_many_units(estate, manager, client):
    client.force_login(manager)
    url = reverse("estate-units", args=[estate.pk])
    client.get(url)  # the session and the user, loaded once
    few = queries_of(lambda: client.get(url))
    building = unit_of(estate).building
    for n in range(30):
        unit = Unit.objects.create(building=building, number=f"9{n:02d}", floor=9, area_m2=50)
        listed(manager, unit, f"1360000{n:04d}")
    many = queries_of(lambda: client.get(url))
    assert many == few, (few, many)


def test_managers_add_buildings_and_units(estate, manager, manager_client):
    response = manager_client.post(
        reverse("estate-building-new", args=[estate.pk]), {"name": "3号楼", "floors": 5}
    )
    building = Building.objects.get(neighbourhood=estate, name="3号楼")
    assert response.status_code == 302
    assert response["Location"].endswith(f"?building={building.pk}")

    response = manager_client.post(
        reverse("estate-unit-new", args=[estate.pk]),
        {"building": building.pk, "number": "501", "floor": 5, "area_m2": "99.99", "kind": "flat"},
    )
    unit = Unit.objects.get(building=building, number="501")
    assert response["Location"] == reverse("estate-unit", args=[estate.pk, unit.pk])

    response = manager_client.post(
        reverse("estate-unit-new", args=[estate.pk]),
        {"building": building.pk, "number": "502", "floor": 5, "area_m2": "9.999", "kind": "flat"},
        follow=True,
    )
    assert "at most two decimal places" in response.content.decode()
    assert not Unit.objects.filter(number="502").exists()


def test_the_unit_page_adds_confirms_and_ends_household_members(estate, manager, manager_client):
    unit = unit_of(estate)
    resident = follower(estate, level=2)
    url = reverse("estate-unit", args=[estate.pk, unit.pk])

    # When the manager adds the resident on the unit page
    response = manager_client.post(
        url,
        {
            "form": "member",
            "member-phone": resident.phone,
            "member-name": "王芳",
            "member-relation": "owner",
        },
    )
    assert response.status_code == 302
    household = Household.objects.get(unit=unit)
    html = page(manager_client, "estate-unit", estate.pk, unit.pk)
    assert f'data-household="{household.pk}" data-status="pending"' in html

    # And confirms them
    manager_client.post(
        reverse("estate-household-confirm", args=[estate.pk, household.pk]), {"next": url}
    )
    assert Membership.objects.get(user=resident, neighbourhood=estate).status == "member"

    # And later records that they moved out
    response = manager_client.post(
        reverse("estate-household-end", args=[estate.pk, household.pk]),
        {"reason": "Moved out", "next": url},
    )
    assert response["Location"] == url
    household.refresh_from_db()
    assert household.status == Household.Status.ENDED
    assert Membership.objects.get(user=resident, neighbourhood=estate).status == "visitor"


def test_the_unit_page_shows_service_refusals_on_its_forms(estate, manager, manager_client):
    unit = unit_of(estate)
    url = reverse("estate-unit", args=[estate.pk, unit.pk])
    bad = manager_client.post(
        url,
        {"form": "member", "member-phone": "12345", "member-relation": "owner"},
    )
    assert bad.status_code == 200
    assert "mainland China mobile number" in bad.content.decode()
    corrected = manager_client.post(
        url,
        {
            "form": "unit",
            "unit-number": "101",
            "unit-floor": 1,
            "unit-area_m2": "91.25",
            "unit-kind": "flat",
        },
    )
    assert corrected.status_code == 302
    unit.refresh_from_db()
    assert str(unit.area_m2) == "91.25"


def test_the_pending_queue_lists_waiting_rows_oldest_first_in_fixed_queries(
    estate, manager, client
):
    client.force_login(manager)
    url = reverse("estate-households-pending", args=[estate.pk])
    first = listed(manager, unit_of(estate), "13600000201", name="先来")
    client.get(url)
    few = queries_of(lambda: client.get(url))
    for n in range(12):
        listed(manager, unit_of(estate, number="202"), f"13600000{300 + n}")
    many = queries_of(lambda: client.get(url))
    html = client.get(url).content.decode()
    assert many == few, (few, many)
    assert html.count('data-household="') == 13
    assert html.index('data-household="') == html.index(f'data-household="{first.pk}"')
    assert "Not signed up" in html


# --- import --------------------------------------------------------------------------------


def upload(client, estate, content: bytes, name="units.csv"):
    return client.post(
        reverse("estate-import", args=[estate.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def test_the_import_page_lists_every_bad_row_and_imports_nothing(estate, manager_client):
    before = Unit.objects.count()
    response = upload(
        manager_client,
        estate,
        csv_bytes(HEADER, "1号楼,101,1,89.50,flat,,,", "1号楼,901,x,0,hut,,,"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-import-errors" in html
    assert html.count('data-row="3"') == 3
    assert "Unknown unit kind" in html
    assert Unit.objects.count() == before
    # Nothing waits for confirmation either
    confirm = manager_client.post(reverse("estate-import-confirm", args=[estate.pk]))
    assert confirm["Location"] == reverse("estate-import", args=[estate.pk])
    assert Unit.objects.count() == before


def test_the_import_page_previews_then_imports_on_confirmation(estate, manager_client):
    response = upload(
        manager_client,
        estate,
        csv_bytes(HEADER, "7号楼,101,1,80,flat,13600000401,张三,owner", "7号楼,102,1,80,flat,,,"),
    )
    html = response.content.decode()
    assert "data-import-preview" in html
    assert '<dd data-count="units_created">2</dd>' in html
    assert not Building.objects.filter(name="7号楼").exists()

    done = manager_client.post(reverse("estate-import-confirm", args=[estate.pk]), follow=True)

    assert Unit.objects.filter(building__name="7号楼").count() == 2
    assert Household.objects.filter(phone="+8613600000401").count() == 1
    assert "1 buildings and 2 units created" in done.content.decode()
    # The preview is used once
    again = manager_client.post(reverse("estate-import-confirm", args=[estate.pk]))
    assert again["Location"] == reverse("estate-import", args=[estate.pk])


# --- scoping -------------------------------------------------------------------------------


def test_a_manager_of_another_estate_gets_404_on_every_page_here(estate, other_estate, client):
    own = make_manager(estate)
    household = listed(own, unit_of(estate), "13600000501")
    outsider = make_manager(other_estate)
    client.force_login(outsider)
    unit = unit_of(estate)
    for name, args in [
        ("estate-units", [estate.pk]),
        ("estate-unit", [estate.pk, unit.pk]),
        ("estate-unit", [other_estate.pk, unit.pk]),  # another estate's unit under one's own
        ("estate-households-pending", [estate.pk]),
        ("estate-import", [estate.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for name, args in [
        ("estate-household-confirm", [estate.pk, household.pk]),
        ("estate-household-end", [estate.pk, household.pk]),
        ("estate-household-confirm", [other_estate.pk, household.pk]),
        ("estate-building-new", [estate.pk]),
        ("estate-unit-new", [estate.pk]),
        ("estate-import-confirm", [estate.pk]),
    ]:
        assert client.post(reverse(name, args=args), {"reason": "x"}).status_code == 404, name
    household.refresh_from_db()
    assert household.status == Household.Status.PENDING


def test_residents_are_not_managers(estate, client):
    client.force_login(follower(estate))
    assert client.get(reverse("estate-units", args=[estate.pk])).status_code == 404


def test_the_estate_home_links_each_estate_s_records(estate, manager_client):
    html = page(manager_client, "estate-home")
    assert reverse("estate-units", args=[estate.pk]) in html
    assert reverse("estate-households-pending", args=[estate.pk]) in html
    assert reverse("estate-import", args=[estate.pk]) in html


# --- My home ---------------------------------------------------------------------------------


def test_my_home_links_rows_listed_under_my_number_and_shows_my_household(estate, manager, client):
    resident = follower(estate, real_name="王芳")
    row = listed(manager, unit_of(estate), resident.phone.replace("+86", ""), name="王芳")
    Household.objects.filter(pk=row.pk).update(user=None)  # listed before they signed up
    homes.household_link_pending(user=resident)
    homes.household_confirm(manager=manager, household=Household.objects.get(pk=row.pk))
    family = follower(estate)
    homes.household_confirm(
        manager=manager,
        household=listed(manager, unit_of(estate), family.phone, "family", name="王小明"),
    )
    client.force_login(resident)

    html = page(client, "my-home")

    assert f'data-home="{row.pk}" data-status="confirmed"' in html
    assert "王小明" in html and "(you)" in html


def test_asking_to_be_added_from_my_home(estate, manager, client):
    resident = follower(estate)
    other = follower(estate)
    homes.household_confirm(
        manager=manager, household=listed(manager, unit_of(estate), other.phone, name="邻居甲")
    )
    client.force_login(resident)
    form = page(client, "my-home")
    assert reverse("my-home-request", args=[estate.pk]) in form

    building = unit_of(estate).building
    response = client.post(
        reverse("my-home-request", args=[estate.pk]),
        {"building": building.pk, "number": "101", "relation": "tenant"},
    )
    assert response["Location"] == reverse("my-home")
    row = Household.objects.get(user=resident)
    assert (row.status, row.relation, row.unit) == ("pending", "tenant", unit_of(estate))
    html = page(client, "my-home")
    assert "has not confirmed this yet" in html
    assert "邻居甲" not in html, "a pending request reveals nobody who lives there"

    missing = client.post(
        reverse("my-home-request", args=[estate.pk]),
        {"building": building.pk, "number": "999", "relation": "tenant"},
        follow=True,
    )
    assert "There is no unit with this number" in missing.content.decode()


def test_residents_cannot_ask_in_estates_they_do_not_follow(estate, other_estate, client):
    client.force_login(follower(other_estate))
    building = unit_of(estate).building
    response = client.post(
        reverse("my-home-request", args=[estate.pk]),
        {"building": building.pk, "number": "101", "relation": "owner"},
    )
    assert response.status_code == 404
    assert not Household.objects.exists()


def test_my_home_takes_the_same_queries_for_one_or_several_homes(db, client):
    estate = make_estate("多房小区", buildings=1, floors=3)
    manager = make_manager(estate)
    resident = follower(estate)
    client.force_login(resident)
    units = list(Unit.objects.filter(building__neighbourhood=estate))
    homes.household_confirm(manager=manager, household=listed(manager, units[0], resident.phone))
    url = reverse("my-home")
    client.get(url)
    one = queries_of(lambda: client.get(url))
    for unit in units[1:]:
        homes.household_confirm(manager=manager, household=listed(manager, unit, resident.phone))
        neighbour = follower(estate)
        homes.household_confirm(
            manager=manager, household=listed(manager, unit, neighbour.phone, "family")
        )
    several = queries_of(lambda: client.get(url))
    assert several == one, (one, several)
