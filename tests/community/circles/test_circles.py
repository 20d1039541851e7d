"""Worked examples: opening circles, joining, approval, leaving; member_count stays right."""

from __future__ import annotations

import pytest

from community.errors import CircleNameTaken, NotAMember, NotCircleModerator
from community.models import Circle, CircleMember, Membership
from community.services import circles as services
from core.errors import NotFound, ValidationFailed
from core.models import Notification
from tests.community.circles.conftest import member_of, resident

pytestmark = pytest.mark.django_db


def test_a_confirmed_resident_opens_a_circle_and_is_its_admin(estate, admin):
    circle = services.circle_create(
        user=admin, neighbourhood=estate, name=" 宠物 ", description="猫狗", join_policy="approval"
    )

    assert (circle.name, circle.member_count, circle.join_policy) == ("宠物", 1, "approval")
    member = CircleMember.objects.get(circle=circle)
    assert (member.user, member.role, member.status) == (admin, "admin", "active")


def test_estate_staff_may_open_a_circle_but_a_visitor_may_not(estate, staff):
    assert services.circle_create(user=staff, neighbourhood=estate, name="物业通知群")
    visitor = resident(estate, "访客", status=Membership.Status.VISITOR)
    with pytest.raises(NotAMember):
        services.circle_create(user=visitor, neighbourhood=estate, name="访客群")


def test_circle_names_are_unique_within_an_estate_only(estate, other_estate, admin, circle):
    with pytest.raises(CircleNameTaken) as taken:
        services.circle_create(user=admin, neighbourhood=estate, name=circle.name)
    assert taken.value.fields == {"name": [CircleNameTaken.default_message]}
    elsewhere = resident(other_estate, "他人")
    assert services.circle_create(user=elsewhere, neighbourhood=other_estate, name=circle.name)


def test_a_circle_needs_a_name(estate, admin):
    with pytest.raises(ValidationFailed) as refused:
        services.circle_create(user=admin, neighbourhood=estate, name="   ")
    assert "name" in refused.value.fields


def test_joining_an_open_circle_is_immediate_and_idempotent(circle):
    visitor = resident(circle.neighbourhood, "访客", status=Membership.Status.VISITOR)

    first = services.circle_join(user=visitor, circle=circle)
    again = services.circle_join(user=visitor, circle=circle)

    assert first.pk == again.pk and first.status == "active"
    circle.refresh_from_db()
    assert circle.member_count == 2


def test_people_without_a_membership_of_the_estate_cannot_join(circle, other_estate):
    outsider = resident(other_estate, "外人")
    with pytest.raises(NotFound):
        services.circle_join(user=outsider, circle=circle)


def test_approval_circle_request_waits_for_an_admin(estate, admin):
    circle = services.circle_create(
        user=admin, neighbourhood=estate, name="读书会", join_policy=Circle.JoinPolicy.APPROVAL
    )
    reader = resident(estate, "读者")

    # When a resident asks to join, the request is pending and the admin is told
    request = services.circle_join(user=reader, circle=circle)
    assert request.status == "pending"
    assert Notification.objects.filter(user=admin, kind="circle_join_request").count() == 1
    circle.refresh_from_db()
    assert circle.member_count == 1

    # A plain member cannot decide; the admin approves once, twice counts once
    with pytest.raises(NotCircleModerator):
        services.circle_member_approve(actor=reader, member=request)
    services.circle_member_approve(actor=admin, member=request)
    services.circle_member_approve(actor=admin, member=request)
    circle.refresh_from_db()
    request.refresh_from_db()
    assert (request.status, circle.member_count) == ("active", 2)
    assert Notification.objects.filter(user=reader, kind="circle_join_approved").exists()


def test_estate_staff_may_reject_a_request(estate, admin, staff):
    circle = services.circle_create(
        user=admin, neighbourhood=estate, name="读书会", join_policy="approval"
    )
    request = services.circle_join(user=resident(estate, "读者"), circle=circle)

    services.circle_member_reject(actor=staff, member=request)

    assert not CircleMember.objects.filter(pk=request.pk).exists()
    circle.refresh_from_db()
    assert circle.member_count == 1


def test_leaving_counts_down_and_the_last_admin_hands_over(circle, admin, runner):
    services.circle_leave(user=admin, circle=circle)
    services.circle_leave(user=admin, circle=circle)  # idempotent

    circle.refresh_from_db()
    assert circle.member_count == 1
    assert CircleMember.objects.get(circle=circle).role == CircleMember.Role.ADMIN


def test_withdrawing_a_pending_request_does_not_count_down(estate, admin):
    circle = services.circle_create(
        user=admin, neighbourhood=estate, name="读书会", join_policy="approval"
    )
    reader = resident(estate, "读者")
    services.circle_join(user=reader, circle=circle)

    services.circle_leave(user=reader, circle=circle)

    circle.refresh_from_db()
    assert circle.member_count == 1


def test_member_count_matches_rows_after_a_mix(circle):
    people = [member_of(circle, f"跑友{i}") for i in range(4)]
    services.circle_leave(user=people[0], circle=circle)
    services.circle_join(user=people[1], circle=circle)
    circle.refresh_from_db()
    assert (
        circle.member_count == CircleMember.objects.filter(circle=circle, status="active").count()
    )
