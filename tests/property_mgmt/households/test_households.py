"""Households as worked examples: a manager lists, confirms and ends residents; the
community membership and verification level follow; residents ask to be added."""

from __future__ import annotations

from decimal import Decimal

import pytest

from community.models import LevelChange, Membership
from core.errors import NotFound, ValidationFailed
from core.models import Notification
from property_mgmt import selectors_households as reads
from property_mgmt.errors import (
    BuildingNameTaken,
    HouseholdAlreadyEnded,
    HouseholdAlreadyListed,
    HouseholdNotPending,
    HouseholdWithoutAccount,
    UnitNumberTaken,
)
from property_mgmt.models import Building, Household, Unit
from property_mgmt.services import households as homes
from tests.factories import UserFactory
from tests.property_mgmt.conftest import make_estate, make_manager, unit_of
from tests.property_mgmt.households.conftest import follower

pytestmark = pytest.mark.django_db


def membership(user, estate) -> Membership:
    return Membership.objects.get(user=user, neighbourhood=estate)


# --- adding --------------------------------------------------------------------------------


def test_adding_a_member_links_the_account_with_that_mobile_number(estate, manager):
    # Given a resident who signed up with 136 0000 0042
    resident = UserFactory(phone="+8613600000042")
    # When the manager lists that number, typed the way people type it, for unit 1-101
    household = homes.household_add(
        manager=manager,
        unit=unit_of(estate),
        phone="136 0000 0042",
        name=" 王  芳 ",
        relation=Household.Relation.OWNER,
    )
    # Then the row waits for confirmation, in E.164, linked to the account
    assert (household.status, household.phone, household.name) == (
        Household.Status.PENDING,
        "+8613600000042",
        "王 芳",
    )
    assert household.user == resident


def test_a_number_nobody_signed_up_with_waits_and_links_when_they_do(estate, manager):
    household = homes.household_add(
        manager=manager, unit=unit_of(estate), phone="13600000043", relation="tenant"
    )
    assert household.user is None
    # When that person signs up and opens "My home"
    newcomer = UserFactory(phone="+8613600000043")
    assert homes.household_link_pending(user=newcomer) == 1
    # Then the row is theirs, and linking again changes nothing
    household.refresh_from_db()
    assert household.user == newcomer
    assert homes.household_link_pending(user=newcomer) == 0


def test_a_number_is_listed_once_per_unit(estate, manager):
    homes.household_add(
        manager=manager, unit=unit_of(estate), phone="13600000044", relation="owner"
    )
    with pytest.raises(HouseholdAlreadyListed):
        homes.household_add(
            manager=manager, unit=unit_of(estate), phone="+86 136-0000-0044", relation="family"
        )
    # Another unit is another home: allowed
    homes.household_add(
        manager=manager, unit=unit_of(estate, number="102"), phone="13600000044", relation="owner"
    )


def test_adding_checks_the_number_and_the_relation(estate, manager):
    with pytest.raises(ValidationFailed) as refused:
        homes.household_add(
            manager=manager, unit=unit_of(estate), phone="12345", relation="landlord"
        )
    assert set(refused.value.fields) == {"phone", "relation"}
    assert not Household.objects.exists()


# --- confirming and ending -------------------------------------------------------------------


def test_confirming_makes_a_level_two_resident_a_member_at_level_three(estate, manager):
    # Given a level II resident who follows the estate, listed for unit 1-101
    resident = follower(estate, level=2)
    unit = unit_of(estate)
    household = homes.household_add(
        manager=manager, unit=unit, phone=resident.phone, relation="owner"
    )
    # When the manager confirms them
    confirmed = homes.household_confirm(manager=manager, household=household)
    # Then the household is confirmed, by this manager
    assert confirmed.status == Household.Status.CONFIRMED
    assert confirmed.confirmed_by == manager and confirmed.confirmed_at is not None
    # And the community knows them as a member of building 1, at level III, and told them
    member = membership(resident, estate)
    assert (member.status, member.building_ref) == (Membership.Status.MEMBER, unit.building_id)
    resident.refresh_from_db()
    assert resident.verification_level == 3
    assert LevelChange.objects.filter(user=resident, from_level=2, to_level=3).exists()
    assert Notification.objects.filter(user=resident, kind="membership_confirmed").exists()


def test_a_row_is_confirmed_once(estate, manager):
    resident = follower(estate)
    household = homes.household_add(
        manager=manager, unit=unit_of(estate), phone=resident.phone, relation="owner"
    )
    homes.household_confirm(manager=manager, household=household)
    with pytest.raises(HouseholdNotPending):
        homes.household_confirm(manager=manager, household=household)


def test_a_row_without_an_account_is_confirmed_once_they_signed_up(estate, manager):
    household = homes.household_add(
        manager=manager, unit=unit_of(estate), phone="13600000045", relation="owner"
    )
    with pytest.raises(HouseholdWithoutAccount):
        homes.household_confirm(manager=manager, household=household)
    assert Household.objects.get(pk=household.pk).status == Household.Status.PENDING
    newcomer = follower(estate, phone="+8613600000045")
    confirmed = homes.household_confirm(manager=manager, household=household)
    assert confirmed.user == newcomer
    assert membership(newcomer, estate).status == Membership.Status.MEMBER


def test_moving_out_makes_them_a_visitor_again_and_the_level_falls(estate, manager):
    # Given a confirmed level II resident (now at III)
    resident = follower(estate, level=2)
    household = homes.household_add(
        manager=manager, unit=unit_of(estate), phone=resident.phone, relation="owner"
    )
    homes.household_confirm(manager=manager, household=household)
    # When the manager records that they moved out
    ended = homes.household_end(manager=manager, household=household, reason="搬走了")
    # Then the row is ended, the membership is a visitor's without a building, level II again
    assert ended.status == Household.Status.ENDED and ended.ended_at is not None
    member = membership(resident, estate)
    assert (member.status, member.building_ref, member.confirmed_at) == (
        Membership.Status.VISITOR,
        None,
        None,
    )
    resident.refresh_from_db()
    assert resident.verification_level == 2
    fall = LevelChange.objects.get(user=resident, from_level=3, to_level=2)
    assert fall.reason == "搬走了" and fall.actor == manager
    with pytest.raises(HouseholdAlreadyEnded):
        homes.household_end(manager=manager, household=household, reason="again")


def test_moving_out_of_one_home_keeps_them_a_member_of_the_estate_while_another_remains(
    estate, manager
):
    resident = follower(estate, level=2)
    first = homes.household_add(
        manager=manager, unit=unit_of(estate), phone=resident.phone, relation="owner"
    )
    second_unit = unit_of(estate, building="2号楼", number="202")
    second = homes.household_add(
        manager=manager, unit=second_unit, phone=resident.phone, relation="owner"
    )
    homes.household_confirm(manager=manager, household=first)
    homes.household_confirm(manager=manager, household=second)

    homes.household_end(manager=manager, household=first, reason="sold it")

    member = membership(resident, estate)
    assert (member.status, member.building_ref) == (
        Membership.Status.MEMBER,
        second_unit.building_id,
    )
    resident.refresh_from_db()
    assert resident.verification_level == 3

    homes.household_end(manager=manager, household=second, reason="moved away")
    assert membership(resident, estate).status == Membership.Status.VISITOR
    resident.refresh_from_db()
    assert resident.verification_level == 2


def test_declining_a_pending_row_leaves_the_membership_alone(estate, manager):
    resident = follower(estate)
    household = homes.household_request(user=resident, unit=unit_of(estate), relation="tenant")
    homes.household_end(manager=manager, household=household, reason="not on the contract")
    household.refresh_from_db()
    assert household.status == Household.Status.ENDED
    assert membership(resident, estate).status == Membership.Status.VISITOR
    assert not LevelChange.objects.filter(user=resident).exists()


def test_ending_needs_a_reason(estate, manager):
    household = homes.household_add(
        manager=manager, unit=unit_of(estate), phone="13600000046", relation="owner"
    )
    with pytest.raises(ValidationFailed) as refused:
        homes.household_end(manager=manager, household=household, reason="  ")
    assert list(refused.value.fields) == ["reason"]


def test_staff_who_live_in_the_estate_keep_their_staff_membership(estate, manager):
    household = homes.household_add(
        manager=manager, unit=unit_of(estate), phone=manager.phone, relation="owner"
    )
    homes.household_confirm(manager=manager, household=household)
    assert membership(manager, estate).status == Membership.Status.STAFF
    homes.household_end(manager=manager, household=household, reason="moved")
    assert membership(manager, estate).status == Membership.Status.STAFF


# --- residents asking ------------------------------------------------------------------------


def test_a_follower_asks_to_be_added_and_the_managers_are_told(estate, manager):
    resident = follower(estate, real_name="李雷")
    household = homes.household_request(user=resident, unit=unit_of(estate), relation="family")
    assert (household.status, household.user, household.name, household.phone) == (
        Household.Status.PENDING,
        resident,
        "李雷",
        resident.phone,
    )
    told = Notification.objects.get(user=manager, kind="household_requested")
    assert told.url == f"/estate/{estate.pk}/households/pending/"
    with pytest.raises(HouseholdAlreadyListed):
        homes.household_request(user=resident, unit=unit_of(estate), relation="family")


def test_only_followers_may_ask(estate, other_estate):
    stranger = follower(other_estate)
    with pytest.raises(NotFound):
        homes.household_request(user=stranger, unit=unit_of(estate), relation="owner")
    assert not Household.objects.exists()


def test_my_homes_show_who_else_lives_there_only_once_confirmed(estate, manager):
    owner = follower(estate, real_name="王芳")
    owner_row = homes.household_add(
        manager=manager, unit=unit_of(estate), phone=owner.phone, name="王芳", relation="owner"
    )
    homes.household_confirm(manager=manager, household=owner_row)
    asking = follower(estate)
    homes.household_request(user=asking, unit=unit_of(estate), relation="family")

    [owner_home] = reads.my_homes(owner)
    [asking_home] = reads.my_homes(asking)

    assert [m.name for m in owner_home.members] == ["王芳"]
    assert asking_home.members == [asking_home]


# --- scoping ---------------------------------------------------------------------------------


def test_a_manager_of_another_estate_gets_404_for_everything_here(estate, other_estate):
    outsider = make_manager(other_estate)
    unit = unit_of(estate)
    resident = follower(estate)
    own = make_manager(estate)
    household = homes.household_add(manager=own, unit=unit, phone=resident.phone, relation="owner")
    for attempt in (
        lambda: homes.household_add(
            manager=outsider, unit=unit, phone="13600000047", relation="owner"
        ),
        lambda: homes.household_confirm(manager=outsider, household=household),
        lambda: homes.household_end(manager=outsider, household=household, reason="x"),
        lambda: homes.building_create(manager=outsider, neighbourhood=estate, name="9号楼"),
        lambda: homes.unit_create(
            manager=outsider, building=unit.building, number="999", floor=9, area_m2="50"
        ),
        lambda: homes.unit_update(
            manager=outsider, unit=unit, number="101", floor=1, area_m2="1", kind="flat"
        ),
    ):
        with pytest.raises(NotFound):
            attempt()
    household.refresh_from_db()
    assert household.status == Household.Status.PENDING
    assert not Building.objects.filter(name="9号楼").exists()


# --- buildings and units ---------------------------------------------------------------------


def test_buildings_and_units_by_hand(estate, manager):
    building = homes.building_create(
        manager=manager, neighbourhood=estate, name=" 3号楼 ", floors=6
    )
    assert (building.name, building.floors) == ("3号楼", 6)
    with pytest.raises(BuildingNameTaken):
        homes.building_create(manager=manager, neighbourhood=estate, name="3号楼")

    unit = homes.unit_create(
        manager=manager, building=building, number="801", floor=8, area_m2="95.5", kind="flat"
    )
    assert unit.area_m2 == Decimal("95.50")
    building.refresh_from_db()
    assert building.floors == 8, "a unit above the recorded top floor raises it"
    with pytest.raises(UnitNumberTaken):
        homes.unit_create(manager=manager, building=building, number="801", floor=8, area_m2="1")

    homes.unit_update(
        manager=manager, unit=unit, number="801", floor=8, area_m2="96.00", kind="shop"
    )
    unit.refresh_from_db()
    assert (unit.area_m2, unit.kind) == (Decimal("96.00"), Unit.Kind.SHOP)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("0", "area_m2"),
        ("-3", "area_m2"),
        ("12.345", "area_m2"),
        ("abc", "area_m2"),
        ("NaN", "area_m2"),
        ("1000000", "area_m2"),
    ],
)
def test_a_unit_area_is_a_positive_decimal_with_at_most_two_places(estate, manager, raw, field):
    with pytest.raises(ValidationFailed) as refused:
        homes.unit_create(
            manager=manager, building=unit_of(estate).building, number="X1", floor=1, area_m2=raw
        )
    assert list(refused.value.fields) == [field]


@pytest.mark.parametrize(("raw", "area"), [("89.5", "89.50"), ("120", "120.00"), ("7.250", "7.25")])
def test_areas_are_kept_exactly(raw, area):
    assert homes.clean_area(raw) == Decimal(area)


def test_an_estate_of_two_companies_is_not_needed_for_a_second_estate(db):
    # A manager of two estates acts in both.
    first = make_estate("东苑", buildings=1, floors=1, company="同一物业")
    second = make_estate("西苑", buildings=1, floors=1, company="同一物业")
    both = make_manager(first)
    for estate in (first, second):
        homes.building_create(manager=both, neighbourhood=estate, name="新楼")
    assert Building.objects.filter(name="新楼").count() == 2
