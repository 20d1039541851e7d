"""Reads of circles, feeds, comments, reports and blocks, each scoped to who asks.

Scoping rules, in one place:

* A circle exists for a user only if they belong to its estate in some way (visitor,
  member or staff); otherwise every read raises ``NotFound`` (404, never 403).
* An open circle's posts are readable by everyone in the estate; an approval circle's
  only by its active members and the estate's staff.
* Hidden content disappears for everyone but its author, who sees it marked hidden.
* A viewer never sees posts or comments by someone they blocked.

Every list here is built for a fixed number of queries, whatever its length.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from community.models import (
    Block,
    Circle,
    CircleMember,
    Comment,
    Like,
    Membership,
    Post,
    Report,
    User,
)
from community.selectors import is_estate_staff, neighbourhoods_for
from core.errors import NotFound

FEED_PAGE_SIZE = 20
FEED_COMMENT_PREVIEW = 3


def _blocked_by(viewer: Any) -> QuerySet[Block, Any]:
    return Block.objects.filter(blocker_id=viewer.pk).values("blocked_id")


def _membership_of(viewer: Any, field: str) -> Subquery:
    return Subquery(
        CircleMember.objects.filter(circle_id=OuterRef("pk"), user_id=viewer.pk).values(field)[:1]
    )


def circles_for(viewer: Any, neighbourhood_id: int) -> QuerySet[Circle]:
    """The circles of an estate the viewer belongs to, each with ``my_status`` and
    ``my_role`` (None when not a member); raise ``NotFound`` for another estate's."""
    if not neighbourhoods_for(viewer).filter(pk=neighbourhood_id).exists():
        raise NotFound()
    return Circle.objects.filter(neighbourhood_id=neighbourhood_id).annotate(
        my_status=_membership_of(viewer, "status"), my_role=_membership_of(viewer, "role")
    )


def circle_visible(viewer: Any, circle_id: int) -> Circle:
    """One circle with the viewer's ``my_status``/``my_role``, or ``NotFound``."""
    circle = (
        Circle.objects.filter(
            pk=circle_id,
            neighbourhood__memberships__user_id=viewer.pk,
        )
        .select_related("neighbourhood")
        .annotate(
            my_status=_membership_of(viewer, "status"), my_role=_membership_of(viewer, "role")
        )
        .first()
    )
    if circle is None:
        raise NotFound()
    return circle


def circle_member(user: Any, circle: Circle) -> CircleMember | None:
    return CircleMember.objects.filter(circle=circle, user_id=user.pk).first()


def is_active_member(user: Any, circle: Circle) -> bool:
    return CircleMember.objects.filter(
        circle=circle, user_id=user.pk, status=CircleMember.Status.ACTIVE
    ).exists()


def is_circle_admin(user: Any, circle: Circle) -> bool:
    return CircleMember.objects.filter(
        circle=circle,
        user_id=user.pk,
        status=CircleMember.Status.ACTIVE,
        role=CircleMember.Role.ADMIN,
    ).exists()


def can_moderate(user: Any, circle: Circle) -> bool:
    """Circle admins and the property staff of the circle's estate."""
    return is_circle_admin(user, circle) or is_estate_staff(user, circle.neighbourhood_id)


def can_read(viewer: Any, circle: Circle) -> bool:
    """Whether the viewer may read the circle's posts (the circle itself is visible)."""
    if circle.join_policy == Circle.JoinPolicy.OPEN:
        return True
    if hasattr(circle, "my_status"):
        active = circle.my_status == CircleMember.Status.ACTIVE
    else:
        active = is_active_member(viewer, circle)
    return active or is_estate_staff(viewer, circle.neighbourhood_id)


def visible_comments(viewer: Any) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(Q(hidden_at__isnull=True) | Q(author_id=viewer.pk))
        .exclude(author_id__in=_blocked_by(viewer))
        .select_related("author")
    )


def visible_posts(viewer: Any, circle: Circle) -> QuerySet[Post]:
    """Posts of ``circle`` the viewer may see, with what a feed shows of each:
    author, images, ``viewer_liked`` and the newest comments in ``comment_preview``
    (newest first)."""
    preview = visible_comments(viewer).order_by("-created_at", "-id")
    return (
        Post.objects.filter(circle=circle)
        .filter(Q(hidden_at__isnull=True) | Q(author_id=viewer.pk))
        .exclude(author_id__in=_blocked_by(viewer))
        .select_related("author")
        .prefetch_related(
            "images",
            Prefetch(
                "comments", queryset=preview[:FEED_COMMENT_PREVIEW], to_attr="comment_preview"
            ),
        )
        .annotate(viewer_liked=Exists(Like.objects.filter(post=OuterRef("pk"), user_id=viewer.pk)))
        .order_by("-id")
    )


def feed(viewer: Any, circle: Circle, *, before: int | None = None) -> list[Post]:
    """One page of the circle's feed, newest first; ``before`` is the last post id seen.

    Returns up to ``FEED_PAGE_SIZE + 1`` posts so the caller can tell whether more follow.
    Callers check ``can_read`` first.
    """
    posts = visible_posts(viewer, circle)
    if before is not None:
        posts = posts.filter(pk__lt=before)
    return list(posts[: FEED_PAGE_SIZE + 1])


def post_visible(viewer: Any, circle: Circle, post_id: int) -> Post:
    """One post with all comments the viewer may see in ``visible_comment_list``."""
    post = (
        visible_posts(viewer, circle)
        .prefetch_related(
            Prefetch(
                "comments",
                queryset=visible_comments(viewer).order_by("created_at", "id"),
                to_attr="visible_comment_list",
            )
        )
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise NotFound()
    return post


def post_for_moderation(circle: Circle, post_id: int) -> Post:
    post = Post.objects.filter(circle=circle, pk=post_id).select_related("author").first()
    if post is None:
        raise NotFound()
    return post


def comment_of(post: Post, comment_id: int) -> Comment:
    comment = Comment.objects.filter(post=post, pk=comment_id).select_related("author").first()
    if comment is None:
        raise NotFound()
    return comment


def open_reports(circle: Circle) -> QuerySet[Report]:
    """The moderation queue of a circle, oldest first (callers check ``can_moderate``)."""
    return (
        Report.objects.filter(post__circle=circle, status=Report.Status.OPEN)
        .select_related("post__author", "comment__author", "reporter")
        .order_by("created_at", "id")
    )


def report_of(circle: Circle, report_id: int) -> Report:
    report = (
        Report.objects.filter(post__circle=circle, pk=report_id)
        .select_related("post", "comment")
        .first()
    )
    if report is None:
        raise NotFound()
    return report


def pending_members(circle: Circle) -> QuerySet[CircleMember]:
    return (
        CircleMember.objects.filter(circle=circle, status=CircleMember.Status.PENDING)
        .select_related("user")
        .order_by("joined_at", "id")
    )


def blocks_of(user: Any) -> QuerySet[Block]:
    return Block.objects.filter(blocker_id=user.pk).select_related("blocked").order_by("-id")


def neighbour_visible(viewer: Any, user_id: int) -> User:
    """Someone who shares an estate with the viewer, or ``NotFound``."""
    estates = Membership.objects.filter(user_id=viewer.pk).values("neighbourhood_id")
    neighbour = (
        User.objects.filter(pk=user_id, memberships__neighbourhood_id__in=estates)
        .distinct()
        .first()
    )
    if neighbour is None:
        raise NotFound()
    return neighbour
