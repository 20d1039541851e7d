"""Reports and moderation: who may hide, what hidden means, and blocks."""

from __future__ import annotations

import pytest

from community import selectors_circles as sel
from community.errors import AlreadyReported, CannotBlockSelf, NotCircleModerator
from community.models import Block, Report
from community.services import circles as services
from core.errors import NotFound
from core.models import Notification
from tests.community.circles.conftest import member_of
from tests.community.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(circle, runner):
    return services.post_create(author=runner, circle=circle, body="出售二手自行车")


def feed_ids(viewer, circle):
    return [p.pk for p in sel.feed(viewer, circle)]


def test_a_member_reports_a_post_once(circle, admin, post):
    report = services.report_create(reporter=admin, post=post, reason="广告")
    assert (report.status, report.comment) == ("open", None)
    with pytest.raises(AlreadyReported):
        services.report_create(reporter=admin, post=post, reason="还是广告")


def test_a_post_and_a_comment_on_it_are_reported_separately(circle, admin, post):
    comment = services.comment_create(author=admin, post=post, body="多少钱")
    services.report_create(reporter=admin, post=post, reason="广告")
    services.report_create(reporter=admin, post=post, comment=comment, reason="我点错了")
    assert Report.objects.count() == 2


@pytest.mark.parametrize("moderator", ["admin", "staff"])
def test_circle_admin_and_estate_staff_hide_a_reported_post(
    request, circle, runner, post, moderator
):
    actor = request.getfixturevalue(moderator)
    reporter = member_of(circle, "热心人")
    report = services.report_create(reporter=reporter, post=post, reason="广告")
    assert list(sel.open_reports(circle)) == [report]

    services.report_resolve(actor=actor, report=report, action="hide")

    report.refresh_from_db()
    post.refresh_from_db()
    assert (report.status, report.handled_by) == ("hidden", actor)
    assert (post.hidden_by, post.hidden_reason) == (actor, "广告") and post.hidden_at
    assert list(sel.open_reports(circle)) == []
    # Gone for everyone else; its author still sees it, marked hidden.
    assert feed_ids(reporter, circle) == []
    assert feed_ids(runner, circle) == [post.pk]
    assert Notification.objects.filter(user=runner, kind="circle_hidden").count() == 1


def test_a_plain_member_can_neither_hide_nor_resolve(circle, post):
    member = member_of(circle, "普通人")
    report = services.report_create(reporter=member, post=post, reason="广告")
    with pytest.raises(NotCircleModerator):
        services.post_hide(actor=member, post=post, reason="我不喜欢")
    with pytest.raises(NotCircleModerator):
        services.report_resolve(actor=member, report=report, action="dismiss")
    post.refresh_from_db()
    assert post.hidden_at is None


def test_staff_of_another_estate_cannot_even_find_the_circle(circle, other_estate, post):
    stranger = make_staff(other_estate)
    with pytest.raises(NotFound):
        sel.circle_visible(stranger, circle.pk)
    with pytest.raises(NotCircleModerator):
        services.post_hide(actor=stranger, post=post, reason="x")


def test_dismissing_closes_every_open_report_on_the_post_and_keeps_it(circle, admin, post):
    reports = [
        services.report_create(reporter=member_of(circle, f"人{i}"), post=post, reason="广告")
        for i in range(3)
    ]
    services.report_resolve(actor=admin, report=reports[0], action="dismiss")
    assert set(Report.objects.values_list("status", flat=True)) == {"dismissed"}
    post.refresh_from_db()
    assert post.hidden_at is None


def test_hiding_a_comment_takes_it_out_of_the_count_and_the_thread(circle, admin, runner, post):
    comment = services.comment_create(author=admin, post=post, body="骂人的话")
    services.report_create(reporter=runner, post=post, comment=comment, reason="骂人")
    report = Report.objects.get()

    services.report_resolve(actor=admin, report=report, action="hide")
    services.comment_hide(actor=admin, comment=comment, reason="again")  # once only

    post.refresh_from_db()
    assert post.comment_count == 0
    assert sel.post_visible(runner, circle, post.pk).visible_comment_list == []
    # The comment's author sees it, marked hidden.
    [own] = sel.post_visible(admin, circle, post.pk).visible_comment_list
    assert own.pk == comment.pk and own.hidden_at is not None


def test_the_blocker_no_longer_sees_the_blocked_persons_posts_or_replies(circle, admin, runner):
    theirs = services.post_create(author=admin, circle=circle, body="管理员的帖子")
    mine = services.post_create(author=runner, circle=circle, body="我的帖子")
    services.comment_create(author=admin, post=mine, body="管理员的回复")

    services.block_create(blocker=runner, blocked=admin)

    assert feed_ids(runner, circle) == [mine.pk]
    assert sel.post_visible(runner, circle, mine.pk).visible_comment_list == []
    with pytest.raises(NotFound):
        sel.post_visible(runner, circle, theirs.pk)
    # The blocked person still sees both posts.
    assert feed_ids(admin, circle) == [mine.pk, theirs.pk]

    services.block_delete(blocker=runner, blocked_id=admin.pk)
    assert feed_ids(runner, circle) == [mine.pk, theirs.pk]


def test_blocking_is_idempotent_and_not_of_oneself(admin, runner):
    services.block_create(blocker=runner, blocked=admin)
    services.block_create(blocker=runner, blocked=admin)
    assert Block.objects.count() == 1
    with pytest.raises(CannotBlockSelf):
        services.block_create(blocker=runner, blocked=runner)


def test_only_neighbours_can_be_found_to_block(runner, other_estate):
    from tests.community.circles.conftest import resident

    stranger = resident(other_estate, "陌生人")
    with pytest.raises(NotFound):
        sel.neighbour_visible(runner, stranger.pk)
