"""Circle pages: what each role sees and may do, scoping, and query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.models import Circle, CircleMember, Membership, Post, Report
from community.services import circles as services
from tests.community.circles.conftest import busy_circle, member_of, photo, resident
from tests.community.conftest import make_staff

pytestmark = pytest.mark.django_db


def page(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params, HTTP_ACCEPT_LANGUAGE="en")


def test_circle_list_shows_join_buttons_and_the_create_form(client, circle, estate):
    services.circle_create(
        user=resident(estate, "书友"), neighbourhood=estate, name="读书会", join_policy="approval"
    )
    neighbour = resident(estate, "邻居")

    body = page(client, neighbour, "circle-list", estate.pk).content.decode()

    assert "跑步群" in body and "读书会" in body
    assert "Ask to join" in body and ">Join<" in body
    assert "Start a circle" in body


def test_a_visitor_sees_circles_but_no_create_form(client, circle, estate):
    visitor = resident(estate, "访客", status=Membership.Status.VISITOR)
    body = page(client, visitor, "circle-list", estate.pk).content.decode()
    assert "跑步群" in body and "Start a circle" not in body


def test_creating_a_circle_from_the_page(client, estate, admin):
    client.force_login(admin)
    response = client.post(
        reverse("circle-list", args=[estate.pk]),
        {"name": "宠物", "description": "", "join_policy": "open"},
    )
    circle = Circle.objects.get(name="宠物")
    assert response.status_code == 302 and response.url == reverse(
        "circle-detail", args=[circle.pk]
    )


def test_joining_from_the_page(client, circle):
    neighbour = resident(circle.neighbourhood, "邻居")
    client.force_login(neighbour)
    response = client.post(reverse("circle-join", args=[circle.pk]))
    assert response.status_code == 302
    assert CircleMember.objects.filter(circle=circle, user=neighbour, status="active").exists()


def test_posting_with_pictures_from_the_composer(client, circle, runner):
    client.force_login(runner)
    response = client.post(
        reverse("circle-detail", args=[circle.pk]),
        {"body": "早上好", "images": [photo("a.jpg"), photo("b.jpg")]},
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.images.count() == 2
    feed = page(client, runner, "circle-detail", circle.pk).content.decode()
    assert "早上好" in feed and post.images.first().image.url in feed


def test_a_bad_picture_is_shown_on_the_form_and_saves_nothing(client, circle, runner):
    client.force_login(runner)
    response = client.post(
        reverse("circle-detail", args=[circle.pk]),
        {"body": "看图", "images": [photo(), photo("notes.jpg", fmt="GIF")]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "notes.jpg is not a JPEG, PNG or WebP picture." in response.content.decode()
    assert not Post.objects.exists()


def test_a_visitor_reads_the_feed_without_a_composer(client, circle, runner):
    services.post_create(author=runner, circle=circle, body="公开的帖子")
    visitor = member_of(circle, "访客", status=Membership.Status.VISITOR)

    body = page(client, visitor, "circle-detail", circle.pk).content.decode()
    assert "公开的帖子" in body and "data-composer" not in body

    client.post(reverse("circle-detail", args=[circle.pk]), {"body": "试试"})
    assert Post.objects.count() == 1


def test_approval_circle_posts_are_for_members_only(client, estate, admin):
    circle = services.circle_create(
        user=admin, neighbourhood=estate, name="业委会", join_policy="approval"
    )
    services.post_create(author=admin, circle=circle, body="内部讨论")
    neighbour = resident(estate, "邻居")

    body = page(client, neighbour, "circle-detail", circle.pk).content.decode()
    assert "内部讨论" not in body and "Ask to join" in body

    services.circle_join(user=neighbour, circle=circle)
    admin_page = page(client, admin, "circle-detail", circle.pk).content.decode()
    assert "Asking to join" in admin_page and "Let in" in admin_page


def test_like_comment_report_and_hide_from_the_pages(client, circle, admin, runner):
    post = services.post_create(author=runner, circle=circle, body="周末义卖")
    client.force_login(admin)
    client.post(reverse("circle-post-like", args=[circle.pk, post.pk]), {"action": "like"})
    client.post(reverse("circle-post", args=[circle.pk, post.pk]), {"body": "支持"})
    client.force_login(runner)
    client.post(reverse("circle-post-like", args=[circle.pk, post.pk]), {"action": "like"})
    client.post(reverse("circle-post-like", args=[circle.pk, post.pk]), {"action": "unlike"})
    post.refresh_from_db()
    assert (post.like_count, post.comment_count) == (1, 1)

    reporter = member_of(circle, "热心人")
    client.force_login(reporter)
    client.post(reverse("circle-post-report", args=[circle.pk, post.pk]), {"reason": "广告"})
    report = Report.objects.get()

    queue = page(client, admin, "circle-reports", circle.pk).content.decode()
    assert "周末义卖" in queue and "广告" in queue
    client.post(reverse("circle-report-decide", args=[circle.pk, report.pk]), {"action": "hide"})
    post.refresh_from_db()
    assert post.hidden_at is not None

    assert "周末义卖" not in page(client, reporter, "circle-detail", circle.pk).content.decode()
    own = page(client, runner, "circle-detail", circle.pk).content.decode()
    assert "周末义卖" in own and "Hidden by a moderator" in own


def test_a_plain_member_gets_no_queue_and_cannot_hide(client, circle, runner, admin):
    post = services.post_create(author=admin, circle=circle, body="通知")
    assert page(client, runner, "circle-reports", circle.pk).status_code == 404
    client.post(reverse("circle-post-hide", args=[circle.pk, post.pk]), {"reason": "x"})
    post.refresh_from_db()
    assert post.hidden_at is None


def test_estate_staff_hide_from_the_feed(client, circle, staff, runner):
    post = services.post_create(author=runner, circle=circle, body="违规内容")
    assert "Hide" in page(client, staff, "circle-detail", circle.pk).content.decode()
    client.post(reverse("circle-post-hide", args=[circle.pk, post.pk]), {"reason": "违规"})
    post.refresh_from_db()
    assert post.hidden_by == staff


def test_blocking_and_unblocking_from_the_pages(client, circle, admin, runner):
    services.post_create(author=admin, circle=circle, body="管理员说")
    client.force_login(runner)
    client.post(reverse("circle-blocks"), {"user": admin.pk})
    assert "管理员说" not in page(client, runner, "circle-detail", circle.pk).content.decode()
    assert "李雷" in page(client, runner, "circle-blocks").content.decode()

    client.post(reverse("circle-block-delete", args=[admin.pk]))
    assert "管理员说" in page(client, runner, "circle-detail", circle.pk).content.decode()


# --- scoping ---------------------------------------------------------------------------------


def test_a_resident_of_another_estate_gets_404_everywhere(client, circle, runner, other_estate):
    post = services.post_create(author=runner, circle=circle, body="本小区的事")
    report = services.report_create(reporter=runner, post=post, reason="测试")
    outsider = resident(other_estate, "外人")
    client.force_login(outsider)
    c, p = circle.pk, post.pk

    for name, args in [
        ("circle-list", [circle.neighbourhood_id]),
        ("circle-detail", [c]),
        ("circle-post", [c, p]),
        ("circle-reports", [c]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for name, args in [
        ("circle-join", [c]),
        ("circle-post-like", [c, p]),
        ("circle-post-report", [c, p]),
        ("circle-post-hide", [c, p]),
        ("circle-report-decide", [c, report.pk]),
    ]:
        assert client.post(reverse(name, args=args), {"reason": "x"}).status_code == 404, name
    assert client.post(reverse("circle-blocks"), {"user": runner.pk}).status_code == 404
    assert not CircleMember.objects.filter(user=outsider).exists()


def test_staff_of_another_estate_get_404_for_the_queue(client, circle, other_estate):
    assert page(client, make_staff(other_estate), "circle-reports", circle.pk).status_code == 404


def test_a_post_of_another_circle_is_not_found_under_this_one(
    client, circle, estate, admin, runner
):
    other = services.circle_create(user=admin, neighbourhood=estate, name="另一个")
    post = services.post_create(author=admin, circle=other, body="别处")
    assert page(client, runner, "circle-post", circle.pk, post.pk).status_code == 404


# --- query counts ----------------------------------------------------------------------------


def test_the_circle_list_page_does_not_grow_with_circles(
    client, estate, admin, django_assert_max_num_queries
):
    for number in range(6):
        services.circle_create(user=admin, neighbourhood=estate, name=f"圈子{number}")
    client.force_login(admin)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("circle-list", args=[estate.pk]))
    assert response.content.decode().count("data-circle=") == 6


def test_the_feed_page_does_not_grow_with_posts_pictures_and_replies(
    client, circle, admin, django_assert_max_num_queries
):
    busy_circle(circle, admin, posts=6)
    client.force_login(admin)
    # The feed's fixed reads, plus one for the circle's open red packets.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("circle-detail", args=[circle.pk]))
    body = response.content.decode()
    assert body.count("data-post=") == 6 and body.count('<img src="/media/') == 12


def test_the_post_page_does_not_grow_with_replies(
    client, circle, admin, runner, django_assert_max_num_queries
):
    post = services.post_create(author=runner, circle=circle, body="讨论", images=[photo()])
    for number in range(8):
        services.comment_create(author=admin if number % 2 else runner, post=post, body=f"{number}")
    client.force_login(admin)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("circle-post", args=[circle.pk, post.pk]))
    assert response.content.decode().count("data-comment=") == 8


def test_the_reports_queue_does_not_grow_with_reports(
    client, circle, admin, django_assert_max_num_queries
):
    busy_circle(circle, admin, posts=5)
    client.force_login(admin)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("circle-reports", args=[circle.pk]))
    assert response.content.decode().count("data-report=") == 5
