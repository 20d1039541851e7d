"""Worked examples: posting, replying, liking and @mentions, with their limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from community.errors import (
    BlockedByAuthor,
    ContentHidden,
    NotACircleMember,
    NotAMember,
    RateLimited,
)
from community.models import Comment, Like, Membership, Mention, Post
from community.services import circles as services
from core.errors import ValidationFailed
from core.models import Notification
from tests.community.circles.conftest import member_of, resident

pytestmark = pytest.mark.django_db


def inbox(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind))


def test_a_member_posts_text(circle, runner):
    post = services.post_create(author=runner, circle=circle, body="  明早六点跑步？ ")
    assert (post.body, post.author, post.circle) == ("明早六点跑步？", runner, circle)


@pytest.mark.parametrize(("body", "ok"), [("", False), ("字" * 2000, True), ("字" * 2001, False)])
def test_post_text_is_one_to_2000_characters(circle, runner, body, ok):
    if ok:
        assert services.post_create(author=runner, circle=circle, body=body)
    else:
        with pytest.raises(ValidationFailed) as refused:
            services.post_create(author=runner, circle=circle, body=body)
        assert "body" in refused.value.fields


def test_a_visitor_in_the_circle_reads_but_cannot_post_or_reply(circle, runner):
    visitor = member_of(circle, "访客", status=Membership.Status.VISITOR)
    post = services.post_create(author=runner, circle=circle, body="欢迎")

    with pytest.raises(NotAMember):
        services.post_create(author=visitor, circle=circle, body="我也来")
    with pytest.raises(NotAMember):
        services.comment_create(author=visitor, post=post, body="你好")
    # Liking is not writing: a visitor who joined may like.
    assert services.post_like(user=visitor, post=post) is True


def test_a_confirmed_resident_outside_the_circle_cannot_post(circle):
    neighbour = resident(circle.neighbourhood, "邻居")
    with pytest.raises(NotACircleMember):
        services.post_create(author=neighbour, circle=circle, body="路过")


def test_the_eleventh_post_in_an_hour_is_refused_and_allowed_an_hour_later(circle, runner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for number in range(services.POSTS_PER_HOUR):
            services.post_create(author=runner, circle=circle, body=f"第{number}条")
        with pytest.raises(RateLimited) as refused:
            services.post_create(author=runner, circle=circle, body="再来一条")
    assert (refused.value.code, refused.value.status_code) == ("rate_limited", 429)
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        assert services.post_create(author=runner, circle=circle, body="一小时后")


def test_the_61st_comment_in_an_hour_is_refused(circle, runner, admin):
    post = services.post_create(author=admin, circle=circle, body="打卡")
    for number in range(services.COMMENTS_PER_HOUR):
        services.comment_create(author=runner, post=post, body=f"{number}")
    with pytest.raises(RateLimited):
        services.comment_create(author=runner, post=post, body="太多了")
    assert Comment.objects.filter(author=runner).count() == services.COMMENTS_PER_HOUR


def test_a_reply_counts_and_tells_the_posts_author(circle, admin, runner):
    post = services.post_create(author=admin, circle=circle, body="周六爬山")

    services.comment_create(author=runner, post=post, body="算我一个")
    services.comment_create(author=admin, post=post, body="好的")  # own reply: no notice

    post.refresh_from_db()
    assert post.comment_count == 2
    [notice] = inbox(admin, "circle_reply")
    assert notice.body == "算我一个" and notice.url == f"/circles/{circle.pk}/posts/{post.pk}/"


def test_nobody_replies_to_a_hidden_post(circle, admin, runner, staff):
    post = services.post_create(author=admin, circle=circle, body="广告")
    services.post_hide(actor=staff, post=post, reason="广告")
    with pytest.raises(ContentHidden):
        services.comment_create(author=runner, post=post, body="?")


def test_likes_are_idempotent_and_counted_once(circle, admin, runner):
    post = services.post_create(author=admin, circle=circle, body="日出")

    assert services.post_like(user=runner, post=post) is True
    assert services.post_like(user=runner, post=post) is False
    services.post_like(user=admin, post=post)
    post.refresh_from_db()
    assert post.like_count == 2

    assert services.post_unlike(user=runner, post=post) is True
    assert services.post_unlike(user=runner, post=post) is False
    post.refresh_from_db()
    assert post.like_count == 1 == Like.objects.filter(post=post).count()


def test_only_circle_members_like(circle, admin):
    post = services.post_create(author=admin, circle=circle, body="日出")
    with pytest.raises(NotACircleMember):
        services.post_like(user=resident(circle.neighbourhood, "路人"), post=post)


def test_mentions_notify_each_named_member_once(circle, admin, runner):
    member_of(circle, "Wang Lei")
    outsider = resident(circle.neighbourhood, "张三")  # in the estate, not in the circle

    post = services.post_create(
        author=admin,
        circle=circle,
        body="@王芳你好，@王芳 明天见 @Wang Lei, bring water @张三 @李雷",
    )

    mentioned = set(Mention.objects.filter(post=post).values_list("user__display_name", flat=True))
    assert mentioned == {"王芳", "Wang Lei"}  # not an outsider, not the author
    assert len(inbox(runner, "circle_mention")) == 1
    assert inbox(outsider, "circle_mention") == []


def test_a_name_two_members_share_mentions_neither(circle, admin):
    twins = [member_of(circle, "小明"), member_of(circle, "小明")]
    post = services.post_create(author=admin, circle=circle, body="@小明 来吗")
    assert not Mention.objects.filter(post=post).exists()
    assert all(inbox(twin, "circle_mention") == [] for twin in twins)


def test_a_mention_in_a_reply_points_at_the_post(circle, admin, runner):
    post = services.post_create(author=admin, circle=circle, body="集合地点？")
    comment = services.comment_create(author=admin, post=post, body="@王芳 你知道吗")
    mention = Mention.objects.get(user=runner)
    assert (mention.post, mention.comment) == (post, comment)
    assert len(inbox(runner, "circle_mention")) == 1


def test_blocked_people_cannot_reply_to_or_mention_the_blocker(circle, admin, runner):
    services.block_create(blocker=runner, blocked=admin)
    own = services.post_create(author=runner, circle=circle, body="我的帖子")

    with pytest.raises(BlockedByAuthor):
        services.comment_create(author=admin, post=own, body="hi")

    post = services.post_create(author=admin, circle=circle, body="@王芳 看这里")
    assert not Mention.objects.filter(post=post).exists()
    assert inbox(runner, "circle_mention") == []


def test_a_failed_post_keeps_no_rows(circle, runner):
    with pytest.raises(ValidationFailed):
        services.post_create(author=runner, circle=circle, body="")
    assert not Post.objects.exists()
