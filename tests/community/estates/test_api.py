"""The estates and announcements API: shapes, error codes, scoping and query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from community.models import Announcement, Membership
from community.services import announcements as notices
from core.models import Notification
from tests.community.conftest import make_staff
from tests.community.estates.helpers import queries_of, resident
from tests.factories import NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def publish(staff, estate, **kwargs):
    fields = {"title": "停水通知", "body": "明天停水。"} | kwargs
    return notices.announcement_publish(author=staff, neighbourhood=estate, **fields)


def url(name, *args):
    return reverse(name, args=args)


def test_anonymous_callers_are_refused():
    assert APIClient().get(url("api-estates")).status_code == 401


def test_my_estates_search_follow_and_unfollow(estate, other_estate):
    user = UserFactory()
    api = client_for(user)
    assert api.get(url("api-estates")).json() == []
    found = api.get(url("api-estates-search"), {"q": "翠湖"}).json()
    assert found == [
        {
            "estate": {
                "id": other_estate.pk,
                "name": "翠湖苑",
                "city": other_estate.city,
                "district": "",
                "address": other_estate.address,
            },
            "status": None,
        }
    ]
    for _ in range(2):
        followed = api.post(url("api-estate-follow", other_estate.pk))
        assert followed.status_code == 200
        assert followed.json()["status"] == "visitor"
    mine = api.get(url("api-estates")).json()
    assert [(m["estate"]["id"], m["status"]) for m in mine] == [(other_estate.pk, "visitor")]
    assert api.get(url("api-estates-search"), {"q": "翠湖"}).json()[0]["status"] == "visitor"
    for _ in range(2):
        assert api.delete(url("api-estate-follow", other_estate.pk)).status_code == 204
    assert api.get(url("api-estates")).json() == []


def test_follow_errors(estate):
    api = client_for(resident(estate))
    missing = api.post(url("api-estate-follow", 999_999))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    kept = api.delete(url("api-estate-follow", estate.pk))
    assert kept.status_code == 409
    assert kept.json()["error"]["code"] == "membership_not_followed"
    blank = api.get(url("api-estates-search"), {"q": ""})
    assert blank.status_code == 400 and blank.json()["error"]["code"] == "validation_failed"


def test_announcement_feed_with_read_flags(estate):
    staff = make_staff(estate, display_name="物业小李")
    member = resident(estate, building=2)
    read, unread = publish(staff, estate, title="已读"), publish(staff, estate, pinned=True)
    publish(staff, estate, title="别的楼", building_refs=[9])
    notices.announcement_mark_read(user=member, announcement=read)
    body = client_for(member).get(url("api-estate-announcements", estate.pk)).json()
    assert body["count"] == 2
    assert [(item["id"], item["read"]) for item in body["results"]] == [
        (unread.pk, False),
        (read.pk, True),
    ]
    assert body["results"][0]["author"] == "物业小李"
    assert body["results"][0]["pinned"] is True


def test_a_nameless_author_shows_as_property_staff_not_a_number(estate):
    staff = make_staff(estate, display_name="")
    publish(staff, estate)
    reader = resident(estate, preferred_language="en")
    item = client_for(reader).get(url("api-estate-announcements", estate.pk)).json()
    assert item["results"][0]["author"] == "Property staff"


def test_staff_publish_and_residents_cannot(estate, django_capture_on_commit_callbacks):
    staff = make_staff(estate)
    member = resident(estate, building=5)
    data = {"title": "燃气检修", "body": "请在家等候。", "urgency": "urgent", "building_refs": [5]}
    refused = client_for(member).post(url("api-estate-announcements", estate.pk), data)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_estate_staff"
    with django_capture_on_commit_callbacks(execute=True):
        created = client_for(staff).post(
            url("api-estate-announcements", estate.pk), data, format="json"
        )
    assert created.status_code == 201
    assert created.json()["audience_count"] == 1
    assert created.json()["building_refs"] == [5]
    assert list(Notification.objects.values_list("user_id", flat=True)) == [member.pk]
    invalid = client_for(staff).post(
        url("api-estate-announcements", estate.pk), {"title": "x"}, format="json"
    )
    assert invalid.status_code == 400 and "body" in invalid.json()["error"]["fields"]


def test_mark_read_and_receipts(estate):
    staff = make_staff(estate)
    reader = resident(estate, building=1)
    waiting = resident(estate, building=2, phone="+8613912340001")
    notice = publish(staff, estate)
    first = client_for(reader).post(url("api-announcement-read", notice.pk)).json()
    again = client_for(reader).post(url("api-announcement-read", notice.pk)).json()
    assert (first["recorded"], again["recorded"]) == (True, False)
    receipts = client_for(staff).get(url("api-announcement-receipts", notice.pk)).json()
    assert (receipts["read_count"], receipts["audience_count"], receipts["count"]) == (1, 2, 1)
    assert receipts["results"] == [
        {
            "user_id": waiting.pk,
            "name": waiting.display_name,
            "phone": "*******0001",
            "status": "member",
            "building_ref": 2,
            "confirmed_at": None,
        }
    ]


def test_scoping_across_estates(estate, other_estate):
    # Given an announcement in estate B, a resident of A and staff of A
    notice_b = publish(make_staff(other_estate), other_estate)
    for user in (resident(estate), make_staff(estate)):
        api = client_for(user)
        # Then everything of B is 404 to them
        for response in (
            api.get(url("api-estate-announcements", other_estate.pk)),
            api.post(
                url("api-estate-announcements", other_estate.pk),
                {"title": "t", "body": "b"},
                format="json",
            ),
            api.get(url("api-estate-members", other_estate.pk)),
            api.get(url("api-announcement", notice_b.pk)),
            api.post(url("api-announcement-read", notice_b.pk)),
            api.get(url("api-announcement-receipts", notice_b.pk)),
            api.patch(url("api-announcement", notice_b.pk), {"title": "t", "body": "b"}),
            api.delete(url("api-announcement", notice_b.pk)),
            api.post(url("api-announcement-pin", notice_b.pk)),
        ):
            assert response.status_code == 404, response.request["REQUEST_METHOD"]
            assert response.json()["error"]["code"] == "not_found"
    assert Announcement.objects.filter(pk=notice_b.pk, pinned=False).exists()
    assert not notice_b.reads.exists()


def test_residents_of_the_estate_get_403_for_staff_operations(estate):
    notice = publish(make_staff(estate), estate)
    api = client_for(resident(estate))
    for response in (
        api.get(url("api-estate-members", estate.pk)),
        api.get(url("api-announcement-receipts", notice.pk)),
        api.delete(url("api-announcement", notice.pk)),
        api.post(url("api-announcement-pin", notice.pk)),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_estate_staff"


def test_staff_update_pin_and_withdraw(estate):
    author, colleague = make_staff(estate), make_staff(estate)
    notice = publish(author, estate)
    reworded = client_for(colleague).patch(
        url("api-announcement", notice.pk), {"title": "改", "body": "改"}, format="json"
    )
    assert reworded.status_code == 403
    assert reworded.json()["error"]["code"] == "not_announcement_author"
    updated = client_for(author).patch(
        url("api-announcement", notice.pk), {"title": "停水改期", "body": "后天"}, format="json"
    )
    assert updated.json()["title"] == "停水改期"
    assert client_for(colleague).post(url("api-announcement-pin", notice.pk)).json()["pinned"]
    assert not client_for(colleague).delete(url("api-announcement-pin", notice.pk)).json()["pinned"]
    assert client_for(colleague).delete(url("api-announcement", notice.pk)).status_code == 204
    assert not Announcement.objects.exists()


def test_a_targeted_announcement_is_404_to_other_buildings_and_visitors(estate):
    notice = publish(make_staff(estate), estate, building_refs=[3])
    for user in (resident(estate, building=4), resident(estate, status="visitor")):
        assert client_for(user).get(url("api-announcement", notice.pk)).status_code == 404
        assert client_for(user).post(url("api-announcement-read", notice.pk)).status_code == 404
    assert (
        client_for(resident(estate, building=3))
        .get(url("api-announcement", notice.pk))
        .json()["read"]
        is False
    )


# --- query counts --------------------------------------------------------------------------


def test_list_endpoints_queries_do_not_grow(estate, django_assert_max_num_queries):
    # Given staff and one of everything
    staff = make_staff(estate)
    member = resident(estate, building=1)
    notice = publish(staff, estate)
    calls = {
        "mine": (client_for(member), url("api-estates"), {}),
        "search": (client_for(member), url("api-estates-search"), {"q": "上海"}),
        "feed": (client_for(member), url("api-estate-announcements", estate.pk), {}),
        "members": (client_for(staff), url("api-estate-members", estate.pk), {}),
    }
    few = {name: queries_of(lambda c=c: c[0].get(c[1], c[2])) for name, c in calls.items()}
    receipts_few = queries_of(
        lambda: client_for(staff).get(url("api-announcement-receipts", notice.pk))
    )
    # When there are many more of each
    for building in range(2, 10):
        resident(estate, building=building)
        Membership.objects.create(user=member, neighbourhood=NeighbourhoodFactory())
        publish(staff, estate, title=f"通知 {building}")
    notice = publish(staff, estate, title="最新")
    # Then each list takes no more queries than with one row
    for name, (api, path, query) in calls.items():
        with django_assert_max_num_queries(few[name]):
            response = api.get(path, query)
        body = response.json()
        rows = body if isinstance(body, list) else body["results"]
        assert len(rows) >= 9, name
    with django_assert_max_num_queries(receipts_few):
        body = client_for(staff).get(url("api-announcement-receipts", notice.pk)).json()
    assert body["count"] == len(body["results"]) == 9
