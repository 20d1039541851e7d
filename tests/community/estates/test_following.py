"""Following estates: idempotent follow and unfollow, search, and what stays put."""

from __future__ import annotations

import pytest

from community.errors import MembershipNotFollowed
from community.models import Membership
from community.services import neighbourhoods as estates
from core.errors import NotFound
from tests.community.conftest import make_staff
from tests.community.estates.helpers import resident
from tests.factories import NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_follow_and_unfollow_are_idempotent(estate):
    user = UserFactory()
    first = estates.estate_follow(user=user, neighbourhood_id=estate.pk)
    again = estates.estate_follow(user=user, neighbourhood_id=estate.pk)
    assert first.pk == again.pk and first.status == Membership.Status.VISITOR
    assert Membership.objects.filter(user=user).count() == 1

    estates.estate_unfollow(user=user, neighbourhood_id=estate.pk)
    estates.estate_unfollow(user=user, neighbourhood_id=estate.pk)
    assert not Membership.objects.filter(user=user).exists()


def test_following_keeps_a_member_or_staff_membership(estate):
    member, staff = resident(estate), make_staff(estate)
    assert estates.estate_follow(user=member, neighbourhood_id=estate.pk).status == "member"
    assert estates.estate_follow(user=staff, neighbourhood_id=estate.pk).status == "staff"


def test_members_and_staff_cannot_unfollow(estate):
    for user in (resident(estate), make_staff(estate)):
        with pytest.raises(MembershipNotFollowed):
            estates.estate_unfollow(user=user, neighbourhood_id=estate.pk)
        assert Membership.objects.filter(user=user, neighbourhood=estate).exists()


def test_an_unknown_estate_is_not_found():
    with pytest.raises(NotFound):
        estates.estate_follow(user=UserFactory(), neighbourhood_id=999_999)
    with pytest.raises(NotFound):
        estates.estate_unfollow(user=UserFactory(), neighbourhood_id=999_999)


def test_search_by_name_or_city_with_my_status(estate, other_estate):
    # Given 阳光花园 (which I follow) and 翠湖苑 in 上海, and 阳光里 in 北京
    user = UserFactory()
    estates.estate_follow(user=user, neighbourhood_id=estate.pk)
    beijing = NeighbourhoodFactory(name="阳光里", city="北京")
    # Then a search by name finds both 阳光 estates, with my status in each
    assert estates.estate_search(user, " 阳光 ") == [(estate, "visitor"), (beijing, None)]
    # and a search by city finds the city's estates
    assert [e for e, _status in estates.estate_search(user, "北京")] == [beijing]
    assert {e for e, _status in estates.estate_search(user, "上海")} == {estate, other_estate}
    assert estates.estate_search(user, "   ") == []


def test_staff_see_the_last_four_digits_of_a_phone_only():
    assert estates.phone_for_staff("+8613812345678") == "*******5678"
