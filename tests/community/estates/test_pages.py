"""Estate pages: scoping (404 for other estates), status, unread markers, compose, receipts,
members, and the number of queries each list takes whatever its length."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.models import Announcement, AnnouncementRead, Membership
from community.services import announcements as notices
from core.models import Notification
from tests.community.conftest import make_staff
from tests.community.estates.helpers import queries_of, resident
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def publish(staff, estate, **kwargs):
    fields = {"title": "停水通知", "body": "明天停水。"} | kwargs
    return notices.announcement_publish(author=staff, neighbourhood=estate, **fields)


def page(client, name, *args, **query):
    return client.get(reverse(name, args=args), query)


# --- scoping -------------------------------------------------------------------------------


def test_a_resident_of_a_gets_404_for_everything_of_b(client, estate, other_estate):
    # Given an announcement in estate B and a resident of estate A
    staff_b = make_staff(other_estate)
    notice = publish(staff_b, other_estate)
    client.force_login(resident(estate))
    # Then every page of B is 404 to them
    for name, args in [
        ("estate-detail", [other_estate.pk]),
        ("estate-announcements", [other_estate.pk]),
        ("estate-announcement", [other_estate.pk, notice.pk]),
        ("estate-members", [other_estate.pk]),
        ("estate-announcement-new", [other_estate.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    # and B's announcement under A's address too
    assert page(client, "estate-announcement", estate.pk, notice.pk).status_code == 404
    assert not AnnouncementRead.objects.exists()


def test_staff_of_a_gets_404_for_the_receipts_of_b(client, estate, other_estate):
    notice = publish(make_staff(other_estate), other_estate)
    client.force_login(make_staff(estate))
    assert page(client, "estate-announcement", other_estate.pk, notice.pk).status_code == 404
    assert page(client, "estate-members", other_estate.pk).status_code == 404


def test_residents_cannot_open_staff_pages_of_their_own_estate(client, estate):
    notice = publish(make_staff(estate), estate)
    client.force_login(resident(estate))
    assert page(client, "estate-members", estate.pk).status_code == 403
    assert page(client, "estate-announcement-new", estate.pk).status_code == 403
    assert page(client, "estate-announcement-edit", estate.pk, notice.pk).status_code == 403
    response = client.post(
        reverse("estate-announcement-action", args=[estate.pk, notice.pk]), {"action": "withdraw"}
    )
    assert response.status_code == 403
    assert Announcement.objects.filter(pk=notice.pk).exists()


def test_a_member_outside_the_target_building_gets_404_for_it(client, estate):
    notice = publish(make_staff(estate), estate, building_refs=[7])
    client.force_login(resident(estate, building=8))
    assert page(client, "estate-announcement", estate.pk, notice.pk).status_code == 404
    client.force_login(resident(estate, building=7))
    assert page(client, "estate-announcement", estate.pk, notice.pk).status_code == 200


# --- estates -------------------------------------------------------------------------------


def test_find_follow_and_unfollow_an_estate(client, estate, other_estate):
    user = UserFactory(preferred_language="en")
    client.force_login(user)
    results = page(client, "estates", q="翠湖").context["results"]
    assert results == [(other_estate, None)]

    response = client.post(reverse("estate-follow", args=[other_estate.pk]))
    assert response["Location"] == reverse("estate-detail", args=[other_estate.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "ask your property manager to confirm your household" in detail

    client.post(reverse("estate-follow", args=[other_estate.pk]))
    assert Membership.objects.filter(user=user).count() == 1
    response = client.post(reverse("estate-unfollow", args=[other_estate.pk]))
    assert response["Location"] == reverse("estates")
    assert not Membership.objects.filter(user=user).exists()
    assert page(client, "estate-detail", other_estate.pk).status_code == 404


def test_a_member_cannot_unfollow_from_the_page(client, estate):
    member = resident(estate)
    client.force_login(member)
    response = client.post(reverse("estate-unfollow", args=[estate.pk]), follow=True)
    assert "Your property manager ends that." in response.content.decode()
    assert Membership.objects.filter(user=member, status="member").exists()


def test_estate_page_shows_status_unread_count_and_markers(client, estate):
    staff = make_staff(estate)
    member = resident(estate, building=2)
    read, unread = publish(staff, estate, title="已读的"), publish(staff, estate, title="没读的")
    notices.announcement_mark_read(user=member, announcement=read)
    client.force_login(member)
    response = page(client, "estate-detail", estate.pk)
    html = response.content.decode()
    assert response.context["membership"].status == "member"
    assert response.context["unread_count"] == 1
    assert f'class="unread" data-announcement="{unread.pk}"' in html
    assert f'class="" data-announcement="{read.pk}"' in html
    assert "confirmed resident" in html


def test_the_estate_page_links_its_circles_and_help_board(client, estate):
    client.force_login(resident(estate))
    html = page(client, "estate-detail", estate.pk).content.decode()
    for name in ("circle-list", "help-board"):
        assert f'href="{reverse(name, args=[estate.pk])}"' in html


def test_staff_see_their_estates_and_residents_with_masked_phones(client, estate, other_estate):
    staff = make_staff(estate, display_name="物业小李")
    make_staff(other_estate)
    member = resident(estate, phone="+8613812345678", building=3)
    client.force_login(staff)
    listing = page(client, "estates")
    assert [m.neighbourhood for m in listing.context["memberships"]] == [estate]
    members = page(client, "estate-members", estate.pk)
    html = members.content.decode()
    assert "*******5678" in html
    assert "138 1234 5678" not in html and "13812345678" not in html
    assert member.display_name in html


# --- announcements -------------------------------------------------------------------------


def test_staff_compose_a_targeted_urgent_announcement(
    client, estate, django_capture_on_commit_callbacks
):
    # Given residents of buildings 3 and 4
    staff = make_staff(estate)
    in_three, in_four = resident(estate, building=3), resident(estate, building=4)
    client.force_login(staff)
    form = page(client, "estate-announcement-new", estate.pk).context["form"]
    assert [value for value, _label in form.fields["buildings"].choices] == [3, 4]
    # When staff publish to building 3 and to building 12 typed by hand
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("estate-announcement-new", args=[estate.pk]),
            {
                "title": "燃气检修",
                "body": "请在家等候。",
                "urgency": "urgent",
                "buildings": ["3"],
                "other_buildings": "12, 3",
            },
        )
    notice = Announcement.objects.get()
    assert response["Location"] == reverse("estate-announcement", args=[estate.pk, notice.pk])
    assert (notice.building_refs, notice.audience_count) == ([3, 12], 1)
    assert list(Notification.objects.values_list("user_id", flat=True)) == [in_three.pk]
    assert not Notification.objects.filter(user=in_four).exists()


def test_compose_refuses_bad_building_numbers(client, estate):
    client.force_login(make_staff(estate))
    response = client.post(
        reverse("estate-announcement-new", args=[estate.pk]),
        {"title": "t", "body": "b", "urgency": "normal", "other_buildings": "3, 五"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["other_buildings"]
    assert not Announcement.objects.exists()


def test_opening_an_announcement_marks_it_read_once(client, estate):
    member = resident(estate)
    notice = publish(make_staff(estate), estate)
    client.force_login(member)
    for _ in range(2):
        assert page(client, "estate-announcement", estate.pk, notice.pk).status_code == 200
    notice.refresh_from_db()
    assert notice.read_count == 1


def test_staff_read_receipts_and_actions(client, estate):
    # Given an announcement to three members, one of whom has read it
    staff = make_staff(estate)
    reader, *others = (resident(estate, building=b) for b in (1, 2, 3))
    notice = publish(staff, estate)
    notices.announcement_mark_read(user=reader, announcement=notice)
    client.force_login(staff)
    # Then staff see "read by 1 of 3" and the two who have not read it; opening it is no read
    response = page(client, "estate-announcement", estate.pk, notice.pk)
    assert "Read by 1 of 3" in response.content.decode()
    assert [m.user_id for m, _phone in response.context["unread_rows"]] == [u.pk for u in others]
    notice.refresh_from_db()
    assert notice.read_count == 1
    # and they pin, edit and withdraw it
    action = reverse("estate-announcement-action", args=[estate.pk, notice.pk])
    client.post(action, {"action": "pin"})
    assert Announcement.objects.get(pk=notice.pk).pinned
    client.post(
        reverse("estate-announcement-edit", args=[estate.pk, notice.pk]),
        {"title": "停水改期", "body": "改到后天。"},
    )
    assert Announcement.objects.get(pk=notice.pk).title == "停水改期"
    assert client.post(action, {"action": "withdraw"})["Location"] == reverse(
        "estate-detail", args=[estate.pk]
    )
    assert not Announcement.objects.exists()


def test_only_the_author_may_open_the_edit_page(client, estate):
    notice = publish(make_staff(estate), estate)
    client.force_login(make_staff(estate))
    assert page(client, "estate-announcement-edit", estate.pk, notice.pk).status_code == 403


# --- query counts --------------------------------------------------------------------------


def test_estate_list_page_queries_do_not_grow(client, estate, django_assert_max_num_queries):
    user = UserFactory()
    client.force_login(user)
    Membership.objects.create(user=user, neighbourhood=estate)

    def load():
        return page(client, "estates", q="上海")

    few = queries_of(load)
    from tests.factories import NeighbourhoodFactory

    for _ in range(6):
        Membership.objects.create(user=user, neighbourhood=NeighbourhoodFactory())
    assert queries_of(load) == few
    with django_assert_max_num_queries(few):
        response = load()
        assert len(response.context["memberships"]) == len(response.context["results"]) == 7


def test_estate_page_and_announcement_list_queries_do_not_grow(
    client, estate, django_assert_max_num_queries
):
    staff = make_staff(estate)
    member = resident(estate, building=1)
    publish(staff, estate)
    client.force_login(member)
    detail_few = queries_of(lambda: page(client, "estate-detail", estate.pk))
    list_few = queries_of(lambda: page(client, "estate-announcements", estate.pk))
    for number in range(8):
        publish(staff, estate, title=f"通知 {number}", building_refs=[1] if number % 2 else [])
    with django_assert_max_num_queries(detail_few):
        assert len(page(client, "estate-detail", estate.pk).context["announcements"]) == 9
    with django_assert_max_num_queries(list_few):
        response = page(client, "estate-announcements", estate.pk)
        assert len(response.context["page"].object_list) == 9


def test_receipts_and_members_pages_queries_do_not_grow(
    client, estate, django_assert_max_num_queries
):
    staff = make_staff(estate)
    resident(estate, building=1)
    notice = publish(staff, estate)
    client.force_login(staff)
    receipts_few = queries_of(lambda: page(client, "estate-announcement", estate.pk, notice.pk))
    members_few = queries_of(lambda: page(client, "estate-members", estate.pk))
    for building in range(2, 10):
        resident(estate, building=building)
    notice = publish(staff, estate, title="第二条")
    with django_assert_max_num_queries(receipts_few):
        response = page(client, "estate-announcement", estate.pk, notice.pk)
        assert len(response.context["unread_rows"]) == 9
    with django_assert_max_num_queries(members_few):
        assert len(page(client, "estate-members", estate.pk).context["rows"]) == 10
