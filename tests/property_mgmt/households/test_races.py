"""Household changes under real concurrency: threads, one connection each, on PostgreSQL."""

from __future__ import annotations

import pytest

from community.models import Membership
from property_mgmt.models import Household, Unit
from property_mgmt.services import households as homes
from property_mgmt.services import imports
from tests.concurrency.conftest import run_together
from tests.property_mgmt.conftest import make_estate, make_manager, unit_of
from tests.property_mgmt.households.conftest import HEADER, csv_bytes, follower

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_managers_confirming_one_row_at_once_confirm_it_once():
    # Given a pending household member and two managers of the estate
    estate = make_estate()
    managers = [make_manager(estate), make_manager(estate)]
    resident = follower(estate, level=2)
    household = homes.household_add(
        manager=managers[0], unit=unit_of(estate), phone=resident.phone, relation="owner"
    )
    # When both press "Confirm" at the same moment
    outcomes = run_together(
        [
            lambda m=manager: homes.household_confirm(manager=m, household=household)
            for manager in managers
        ]
    )
    # Then one confirms and the other is told it is no longer pending
    errors = sorted(type(o.error).__name__ for o in outcomes if o.error)
    assert errors == ["HouseholdNotPending"]
    household.refresh_from_db()
    assert household.status == Household.Status.CONFIRMED
    resident.refresh_from_db()
    assert resident.verification_level == 3


def test_ending_both_homes_of_a_resident_at_once_leaves_them_a_visitor():
    # Given a resident confirmed in two units of the estate
    estate = make_estate()
    managers = [make_manager(estate), make_manager(estate)]
    resident = follower(estate, level=2)
    rows = []
    for unit in (unit_of(estate), unit_of(estate, building="2号楼", number="202")):
        row = homes.household_add(
            manager=managers[0], unit=unit, phone=resident.phone, relation="owner"
        )
        rows.append(homes.household_confirm(manager=managers[0], household=row))
    # When two managers record both move-outs at the same moment
    outcomes = run_together(
        [
            lambda m=manager, r=row: homes.household_end(manager=m, household=r, reason="moved")
            for manager, row in zip(managers, rows, strict=True)
        ]
    )
    # Then neither saw the other's home as still confirmed: the membership ended
    assert [o.error for o in outcomes] == [None, None]
    member = Membership.objects.get(user=resident, neighbourhood=estate)
    assert member.status == Membership.Status.VISITOR
    resident.refresh_from_db()
    assert resident.verification_level == 2


def test_confirming_one_home_while_ending_another_keeps_the_membership():
    # Given a resident confirmed in one unit and waiting in another
    estate = make_estate()
    manager = make_manager(estate)
    resident = follower(estate, level=2)
    first = homes.household_confirm(
        manager=manager,
        household=homes.household_add(
            manager=manager, unit=unit_of(estate), phone=resident.phone, relation="owner"
        ),
    )
    second = homes.household_add(
        manager=manager,
        unit=unit_of(estate, number="102"),
        phone=resident.phone,
        relation="owner",
    )
    # When the first ends and the second is confirmed at the same moment
    outcomes = run_together(
        [
            lambda: homes.household_end(manager=manager, household=first, reason="moved"),
            lambda: homes.household_confirm(manager=manager, household=second),
        ]
    )
    # Then they still live in the estate, whichever went first
    assert [o.error for o in outcomes] == [None, None]
    member = Membership.objects.get(user=resident, neighbourhood=estate)
    assert (member.status, member.building_ref) == (
        Membership.Status.MEMBER,
        unit_of(estate).building_id,
    )


def test_two_imports_of_one_file_at_once_create_each_unit_once():
    estate = make_estate()
    manager = make_manager(estate)
    content = csv_bytes(
        HEADER,
        *[f"新楼,{n},1,60.00,flat,139{n:08d},,owner" for n in range(50)],
    )
    plan = imports.import_check(
        manager=manager, neighbourhood=estate, filename="u.csv", content=content
    )
    outcomes = run_together(
        [
            lambda: imports.import_apply(manager=manager, neighbourhood=estate, rows=plan.rows)
            for _ in range(3)
        ]
    )
    assert [o.error for o in outcomes] == [None, None, None]
    assert sorted(o.value.units_created for o in outcomes) == [0, 0, 50]
    assert Unit.objects.filter(building__name="新楼").count() == 50
    assert Household.objects.filter(unit__building__name="新楼").count() == 50
