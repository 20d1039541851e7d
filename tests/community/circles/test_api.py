"""The circles API: round trips, error codes, scoping and query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from community.models import Block, CircleMember, Post
from community.selectors_circles import FEED_PAGE_SIZE
from community.services import circles as services
from tests.community.circles.conftest import api_for, busy_circle, member_of, photo, resident
from tests.community.conftest import make_staff

pytestmark = pytest.mark.django_db


def test_list_join_and_create_circles(estate, circle, admin):
    neighbour = resident(estate, "邻居")
    api = api_for(neighbour)

    listed = api.get(reverse("api-circles", args=[estate.pk])).json()
    assert [(c["name"], c["my_status"]) for c in listed] == [("跑步群", None)]

    joined = api.post(reverse("api-circle-join", args=[circle.pk]))
    assert joined.status_code == 200 and joined.json()["status"] == "active"

    created = api.post(
        reverse("api-circles", args=[estate.pk]),
        {"name": "宠物", "join_policy": "approval"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["my_role"] == "admin" and created.json()["member_count"] == 1

    taken = api.post(reverse("api-circles", args=[estate.pk]), {"name": "宠物"}, format="json")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "circle_name_taken"


def test_approve_a_join_request(estate, admin):
    circle = services.circle_create(
        user=admin, neighbourhood=estate, name="读书会", join_policy="approval"
    )
    reader = resident(estate, "读者")
    request = api_for(reader).post(reverse("api-circle-join", args=[circle.pk])).json()
    assert request["status"] == "pending"

    assert api_for(reader).get(reverse("api-circle-pending", args=[circle.pk])).status_code == 403
    pending = api_for(admin).get(reverse("api-circle-pending", args=[circle.pk])).json()
    assert [m["id"] for m in pending] == [request["id"]]
    approved = api_for(admin).post(
        reverse("api-circle-member-approve", args=[circle.pk, request["id"]])
    )
    assert approved.json()["status"] == "active"


def test_post_with_pictures_then_read_the_feed(circle, runner):
    api = api_for(runner)
    created = api.post(
        reverse("api-circle-posts", args=[circle.pk]),
        {"body": "晨跑打卡", "images": [photo("1.jpg"), photo("2.jpg")]},
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["author"]["name"] == "王芳" and len(body["images"]) == 2
    assert body["images"][0]["url"].startswith("http://testserver/media/circles/")

    feed = api.get(reverse("api-circle-posts", args=[circle.pk])).json()
    assert [p["id"] for p in feed["results"]] == [body["id"]] and feed["next_before"] is None


def test_bad_pictures_are_field_errors(circle, runner):
    api = api_for(runner)
    fake = SimpleUploadedFile("fake.jpg", b"not an image", "image/jpeg")
    response = api.post(
        reverse("api-circle-posts", args=[circle.pk]),
        {"body": "坏图", "images": [fake]},
        format="multipart",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "image_rejected" and "fake.jpg" in error["fields"]["images"][0]

    too_many = api.post(
        reverse("api-circle-posts", args=[circle.pk]),
        {"body": "十张", "images": [photo() for _ in range(10)]},
        format="multipart",
    )
    assert too_many.status_code == 400
    assert not Post.objects.exists()


def test_feed_pages_with_a_cursor(circle, runner, admin):
    # Given one post more than a page (three authors: the hourly limit is per person)
    authors = [runner, admin, member_of(circle, "第三人")]
    posts = [
        services.post_create(author=authors[n % 3], circle=circle, body=f"{n}")
        for n in range(FEED_PAGE_SIZE + 1)
    ]
    api = api_for(runner)

    first = api.get(reverse("api-circle-posts", args=[circle.pk])).json()
    assert [p["id"] for p in first["results"]] == [p.pk for p in reversed(posts[1:])]
    assert first["next_before"] == posts[1].pk

    older = api.get(reverse("api-circle-posts", args=[circle.pk]), {"before": posts[1].pk}).json()
    assert [p["id"] for p in older["results"]] == [posts[0].pk]
    assert older["next_before"] is None


def test_a_visitor_reads_but_posting_is_refused(circle, runner):
    visitor = member_of(circle, "访客", status="visitor")
    services.post_create(author=runner, circle=circle, body="欢迎")
    api = api_for(visitor)
    assert len(api.get(reverse("api-circle-posts", args=[circle.pk])).json()["results"]) == 1
    refused = api.post(reverse("api-circle-posts", args=[circle.pk]), {"body": "hi"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_a_member"


def test_rate_limit_is_429_with_the_stable_code(circle, runner):
    for number in range(services.POSTS_PER_HOUR):
        services.post_create(author=runner, circle=circle, body=f"{number}")
    response = api_for(runner).post(reverse("api-circle-posts", args=[circle.pk]), {"body": "x"})
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"


def test_comment_like_unlike_and_detail(circle, admin, runner):
    post = services.post_create(author=admin, circle=circle, body="周末聚餐")
    api = api_for(runner)

    comment = api.post(
        reverse("api-circle-comments", args=[circle.pk, post.pk]), {"body": "好"}, format="json"
    )
    assert comment.status_code == 201
    like_url = reverse("api-circle-like", args=[circle.pk, post.pk])
    assert api.post(like_url).json() == {"liked": True, "like_count": 1}
    assert api.post(like_url).json() == {"liked": True, "like_count": 1}
    assert api.delete(like_url).json() == {"liked": False, "like_count": 0}

    detail = api.get(reverse("api-circle-post", args=[circle.pk, post.pk])).json()
    assert [c["body"] for c in detail["comments"]] == ["好"] and detail["comment_count"] == 1


def test_report_then_moderate(circle, admin, runner, staff):
    post = services.post_create(author=admin, circle=circle, body="可疑链接")
    api = api_for(runner)
    url = reverse("api-circle-report", args=[circle.pk, post.pk])
    assert api.post(url, {"reason": "诈骗"}, format="json").status_code == 201
    again = api.post(url, {"reason": "诈骗"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reported"

    assert api.get(reverse("api-circle-reports", args=[circle.pk])).status_code == 403
    [report] = api_for(staff).get(reverse("api-circle-reports", args=[circle.pk])).json()
    assert report["post"]["body"] == "可疑链接" and report["reason"] == "诈骗"

    resolved = api_for(staff).post(
        reverse("api-circle-report-resolve", args=[circle.pk, report["id"]]),
        {"action": "hide"},
        format="json",
    )
    assert resolved.json()["status"] == "hidden"
    assert api.get(reverse("api-circle-post", args=[circle.pk, post.pk])).status_code == 404
    assert (
        api_for(admin).get(reverse("api-circle-post", args=[circle.pk, post.pk])).json()["hidden"]
    )


def test_a_plain_member_cannot_hide(circle, admin, runner):
    post = services.post_create(author=admin, circle=circle, body="通知")
    response = api_for(runner).post(
        reverse("api-circle-hide", args=[circle.pk, post.pk]), {"reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_circle_moderator"


def test_block_and_unblock(circle, admin, runner):
    services.post_create(author=admin, circle=circle, body="管理员的帖子")
    api = api_for(runner)
    assert api.post(reverse("api-blocks"), {"user_id": admin.pk}, format="json").status_code == 201
    assert api.get(reverse("api-circle-posts", args=[circle.pk])).json()["results"] == []
    assert [b["blocked"]["id"] for b in api.get(reverse("api-blocks")).json()] == [admin.pk]
    itself = api.post(reverse("api-blocks"), {"user_id": runner.pk}, format="json")
    assert itself.json()["error"]["code"] == "cannot_block_self"

    assert api.delete(reverse("api-block-delete", args=[admin.pk])).status_code == 204
    assert not Block.objects.exists()


def test_another_estates_resident_and_staff_get_404_from_every_endpoint(
    circle, admin, runner, other_estate
):
    post = services.post_create(author=runner, circle=circle, body="本小区")
    report = services.report_create(reporter=admin, post=post, reason="x")
    pending = CircleMember.objects.get(user=runner)
    c, p = circle.pk, post.pk
    for outsider in (resident(other_estate, "外人"), make_staff(other_estate)):
        api = api_for(outsider)
        for method, name, args in [
            ("get", "api-circles", [circle.neighbourhood_id]),
            ("post", "api-circles", [circle.neighbourhood_id]),
            ("post", "api-circle-join", [c]),
            ("post", "api-circle-leave", [c]),
            ("get", "api-circle-pending", [c]),
            ("post", "api-circle-member-approve", [c, pending.pk]),
            ("get", "api-circle-posts", [c]),
            ("post", "api-circle-posts", [c]),
            ("get", "api-circle-post", [c, p]),
            ("post", "api-circle-comments", [c, p]),
            ("post", "api-circle-like", [c, p]),
            ("delete", "api-circle-like", [c, p]),
            ("post", "api-circle-report", [c, p]),
            ("post", "api-circle-hide", [c, p]),
            ("get", "api-circle-reports", [c]),
            ("post", "api-circle-report-resolve", [c, report.pk]),
        ]:
            response = (
                getattr(api, method)(
                    reverse(name, args=args),
                    {"name": "x", "body": "x", "reason": "x"},
                    format="json",
                )
                if method == "post"
                else getattr(api, method)(reverse(name, args=args))
            )
            assert response.status_code == 404, (name, method, response.status_code)
            assert response.json()["error"]["code"] == "not_found"
        blocked = api.post(reverse("api-blocks"), {"user_id": runner.pk}, format="json")
        assert blocked.status_code == 404
    post.refresh_from_db()
    assert (post.like_count, post.comment_count, post.hidden_at) == (0, 0, None)


def test_the_feed_endpoint_does_not_grow_with_posts(circle, admin, django_assert_max_num_queries):
    busy_circle(circle, admin, posts=6)
    api = api_for(admin)
    with django_assert_max_num_queries(4):
        response = api.get(reverse("api-circle-posts", args=[circle.pk]))
    results = response.json()["results"]
    assert len(results) == 6 and all(len(p["images"]) == 2 and p["comments"] for p in results)


def test_the_circle_list_endpoint_does_not_grow(estate, admin, django_assert_max_num_queries):
    for number in range(6):
        services.circle_create(user=admin, neighbourhood=estate, name=f"圈子{number}")
    with django_assert_max_num_queries(2):
        response = api_for(admin).get(reverse("api-circles", args=[estate.pk]))
    assert len(response.json()) == 6


def test_the_reports_endpoint_does_not_grow(circle, admin, django_assert_max_num_queries):
    busy_circle(circle, admin, posts=5)
    with django_assert_max_num_queries(4):
        response = api_for(admin).get(reverse("api-circle-reports", args=[circle.pk]))
    assert len(response.json()) == 5


def test_the_blocks_endpoint_does_not_grow(circle, runner, django_assert_max_num_queries):
    for number in range(4):
        services.block_create(blocker=runner, blocked=member_of(circle, f"吵闹{number}"))
    with django_assert_max_num_queries(1):
        response = api_for(runner).get(reverse("api-blocks"))
    assert len(response.json()) == 4
