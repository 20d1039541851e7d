"""Estate staff rights in the community follow employment and the estates a company runs."""

import pytest

from community.models import Membership, User
from community.selectors import is_estate_staff, staff_neighbourhood_ids
from property_mgmt.models import PropertyCompany, PropertyStaff
from property_mgmt.services import company_take_over, staff_add, staff_remove
from tests.factories import NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_new_staff_become_staff_of_every_estate_the_company_runs():
    # Given a company running two estates, and a third it does not run
    east, west, elsewhere = NeighbourhoodFactory.create_batch(3)
    company = PropertyCompany.objects.create(name="安居物业")
    company_take_over(company=company, neighbourhood=east)
    company_take_over(company=company, neighbourhood=west)
    # When a resident is employed as a manager
    user = UserFactory()
    staff_add(company=company, user=user, role=PropertyStaff.Role.MANAGER)
    # Then they are staff of both estates, not of the third, and their role changed
    assert staff_neighbourhood_ids(user) == {east.pk, west.pk}
    assert not is_estate_staff(user, elsewhere.pk)
    user.refresh_from_db()
    assert user.role == User.Role.PROPERTY_STAFF


def test_taking_over_an_estate_makes_existing_staff_its_staff():
    company = PropertyCompany.objects.create(name="安居物业")
    user = UserFactory()
    staff_add(company=company, user=user, role=PropertyStaff.Role.CLERK)
    estate = NeighbourhoodFactory()
    assert not is_estate_staff(user, estate.pk)
    company_take_over(company=company, neighbourhood=estate)
    assert is_estate_staff(user, estate.pk)


def test_leaving_keeps_staff_rights_only_where_another_employer_runs_the_estate():
    shared, only_first = NeighbourhoodFactory.create_batch(2)
    first = PropertyCompany.objects.create(name="甲物业")
    second = PropertyCompany.objects.create(name="乙物业")
    company_take_over(company=first, neighbourhood=shared)
    company_take_over(company=first, neighbourhood=only_first)
    company_take_over(company=second, neighbourhood=shared)
    user = UserFactory()
    staff_add(company=first, user=user, role=PropertyStaff.Role.CLERK)
    staff_add(company=second, user=user, role=PropertyStaff.Role.CLERK)

    staff_remove(company=first, user=user)

    assert staff_neighbourhood_ids(user) == {shared.pk}
    assert not Membership.objects.filter(user=user, neighbourhood=only_first).exists()
