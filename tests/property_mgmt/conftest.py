"""Fixtures shared by the property tests: a company running an estate with buildings and
units, its manager, and residents living in units. Money moves (bills are paid from
wallets), so the ledger check runs after every test here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from community.models import Neighbourhood, User
from property_mgmt.models import Building, Household, PropertyCompany, PropertyStaff, Unit
from property_mgmt.services import company_take_over, staff_add
from tests.community.conftest import PIN as PIN
from tests.community.conftest import make_member
from tests.factories import NeighbourhoodFactory, UserFactory
from tests.factories import fund as fund  # re-exported: tests import it from here
from wallet.services.audit import ledger_check


@pytest.fixture(autouse=True)
def _ledger_check_after_each_test(request) -> Iterator[None]:
    yield
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or any(mark.name == "django_db" for mark in request.node.iter_markers())
    ):
        assert [str(problem) for problem in ledger_check()] == []


def make_estate(
    name: str = "阳光花园", *, buildings: int = 2, floors: int = 2, company: str = "安居物业"
) -> Neighbourhood:
    """An estate run by ``company``: ``buildings`` buildings of ``floors`` floors with two
    flats a floor (89.50 m² and 120.00 m²)."""
    estate = NeighbourhoodFactory(name=name)
    owner, _created = PropertyCompany.objects.get_or_create(name=company)
    company_take_over(company=owner, neighbourhood=estate)
    for b in range(1, buildings + 1):
        building = Building.objects.create(neighbourhood=estate, name=f"{b}号楼", floors=floors)
        for floor in range(1, floors + 1):
            for suffix, area in (("01", Decimal("89.50")), ("02", Decimal("120.00"))):
                Unit.objects.create(
                    building=building, number=f"{floor}{suffix}", floor=floor, area_m2=area
                )
    return estate


def make_manager(estate: Neighbourhood, **extra) -> User:
    extra.setdefault("preferred_language", "en")
    user = UserFactory(**extra)
    company = PropertyCompany.objects.filter(neighbourhoods=estate).first()
    assert company is not None
    staff_add(company=company, user=user, role=PropertyStaff.Role.MANAGER)
    return user


def unit_of(estate: Neighbourhood, building: str = "1号楼", number: str = "101") -> Unit:
    return Unit.objects.get(building__neighbourhood=estate, building__name=building, number=number)


def make_household_member(
    unit: Unit, *, relation: str = Household.Relation.OWNER, level: int = 3, **extra
) -> User:
    """A confirmed resident of ``unit``'s estate with a confirmed household row for it
    (written directly: the household services have their own tests)."""
    user = make_member(unit.building.neighbourhood, level=level, **extra)
    Household.objects.create(
        unit=unit,
        user=user,
        phone=user.phone,
        name=str(user),
        relation=relation,
        status=Household.Status.CONFIRMED,
    )
    return user


@pytest.fixture
def estate(db) -> Neighbourhood:
    return make_estate()


@pytest.fixture
def other_estate(db) -> Neighbourhood:
    return make_estate("翠湖苑", company="绿城物业")


@pytest.fixture
def manager(estate) -> User:
    return make_manager(estate)
