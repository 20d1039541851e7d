"""Interest circles: membership, posts with pictures, comments, likes, @mentions, reports,
moderation and blocks.

Who may do what:

* Anyone who belongs to the estate (visitor, member or staff) sees its circles and may
  join one; an approval circle lets them in once an admin approves.
* Posting and commenting need an active circle membership *and* a confirmed residency
  (``Membership.Status.MEMBER``): visitors browse but do not write.
* Circle admins and the estate's property staff moderate: they hide content and handle
  reports.

Counters (``member_count``, ``like_count``, ``comment_count``) change only with ``F()``
updates in the transaction that adds or removes the row they count, so they stay right
when requests race; the unique constraints decide which of two identical requests wins.
Notifications are inbox rows written in the same transaction and pushed after commit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.errors import (
    AlreadyReported,
    BlockedByAuthor,
    CannotBlockSelf,
    CircleNameTaken,
    ContentHidden,
    NotACircleMember,
    NotAMember,
    NotCircleModerator,
    RateLimited,
)
from community.images import clean_images
from community.models import (
    Block,
    Circle,
    CircleMember,
    Comment,
    Like,
    Membership,
    Mention,
    Neighbourhood,
    Post,
    PostImage,
    Report,
    User,
)
from community.selectors import has_blocked, is_confirmed_member, is_estate_staff
from community.selectors_circles import can_moderate, is_active_member
from community.services.membership import require_member
from core.errors import NotFound, ValidationFailed
from core.notifications import notify

RATE_WINDOW = timedelta(hours=1)
POSTS_PER_HOUR = 10
COMMENTS_PER_HOUR = 60
POST_MAX_CHARS = 2000
COMMENT_MAX_CHARS = 500
REASON_MAX_CHARS = 200
MAX_MENTIONS = 10
# What may follow an "@": a display name is at most 50 characters and ends the line.
_MENTION = re.compile(r"@([^@\n]{1,50})")


def _circle_url(circle: Circle) -> str:
    return reverse("circle-detail", args=[circle.pk])


def _post_url(post: Post) -> str:
    return reverse("circle-post", args=[post.circle_id, post.pk])


def _text(value: str, *, field: str, max_chars: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(fields={field: [_("Write something first.")]})
    if len(text) > max_chars:
        raise ValidationFailed(
            fields={field: [_("At most %(count)d characters.") % {"count": max_chars}]}
        )
    return text


def _reason(value: str) -> str:
    return _text(value, field="reason", max_chars=REASON_MAX_CHARS)


def _name(user: Any) -> str:
    return user.display_name or str(_("A neighbour"))


# --- circles and their members -------------------------------------------------------------


@transaction.atomic
def circle_create(
    *,
    user: User,
    neighbourhood: Neighbourhood,
    name: str,
    description: str = "",
    join_policy: str = Circle.JoinPolicy.OPEN,
) -> Circle:
    """A confirmed resident or the estate's staff opens a circle and becomes its admin.

    The unique (estate, name) constraint refuses a duplicate name, also under a race.
    """
    if not (is_confirmed_member(user, neighbourhood.pk) or is_estate_staff(user, neighbourhood.pk)):
        raise NotAMember()
    name = _text(name, field="name", max_chars=40)
    description = (description or "").strip()
    if len(description) > 300:
        raise ValidationFailed(fields={"description": [_("At most 300 characters.")]})
    if join_policy not in Circle.JoinPolicy.values:
        raise ValidationFailed(fields={"join_policy": [_("Choose who may join.")]})
    try:
        with transaction.atomic():
            circle = Circle.objects.create(
                neighbourhood=neighbourhood,
                name=name,
                description=description,
                join_policy=join_policy,
                created_by=user,
                member_count=1,
            )
    except IntegrityError:
        raise CircleNameTaken(fields={"name": [CircleNameTaken.default_message]}) from None
    CircleMember.objects.create(
        circle=circle, user=user, role=CircleMember.Role.ADMIN, status=CircleMember.Status.ACTIVE
    )
    return circle


def _admins(circle: Circle) -> QuerySet[User]:
    return User.objects.filter(
        circle_memberships__circle=circle,
        circle_memberships__role=CircleMember.Role.ADMIN,
        circle_memberships__status=CircleMember.Status.ACTIVE,
    )


def circle_join(*, user: User, circle: Circle) -> CircleMember:
    """Join ``circle`` (idempotent): open circles at once, approval circles pending.

    Only people with a membership of the circle's estate, of any status, may join;
    others get ``NotFound`` as if the circle did not exist. The unique (circle, user)
    constraint turns a double click into one row and one count. A pending request
    notifies the circle's admins.
    """
    if not Membership.objects.filter(
        user_id=user.pk, neighbourhood_id=circle.neighbourhood_id
    ).exists():
        raise NotFound()
    existing = CircleMember.objects.filter(circle=circle, user_id=user.pk).first()
    if existing is not None:
        return existing
    open_circle = circle.join_policy == Circle.JoinPolicy.OPEN
    status = CircleMember.Status.ACTIVE if open_circle else CircleMember.Status.PENDING
    try:
        with transaction.atomic():
            member = CircleMember.objects.create(circle=circle, user=user, status=status)
            if open_circle:
                Circle.objects.filter(pk=circle.pk).update(member_count=F("member_count") + 1)
            else:
                for admin in _admins(circle):
                    notify(
                        admin,
                        kind="circle_join_request",
                        title=_("%(name)s asks to join %(circle)s")
                        % {"name": _name(user), "circle": circle.name},
                        url=_circle_url(circle),
                    )
    except IntegrityError:
        return CircleMember.objects.get(circle=circle, user_id=user.pk)
    return member


def _require_moderator(actor: User, circle: Circle) -> None:
    if not can_moderate(actor, circle):
        raise NotCircleModerator()


@transaction.atomic
def circle_member_approve(*, actor: User, member: CircleMember) -> CircleMember:
    """A circle admin (or the estate's staff) lets a pending member in.

    Compare-and-set on the status: approving twice counts the member once.
    """
    circle = member.circle
    _require_moderator(actor, circle)
    changed = CircleMember.objects.filter(pk=member.pk, status=CircleMember.Status.PENDING).update(
        status=CircleMember.Status.ACTIVE
    )
    if changed:
        Circle.objects.filter(pk=circle.pk).update(member_count=F("member_count") + 1)
        notify(
            member.user,
            kind="circle_join_approved",
            title=_("You are now a member of %(circle)s") % {"circle": circle.name},
            url=_circle_url(circle),
        )
    member.refresh_from_db(fields=["status"])
    return member


@transaction.atomic
def circle_member_reject(*, actor: User, member: CircleMember) -> None:
    """Turn down a pending request (the person may ask again later)."""
    circle = member.circle
    _require_moderator(actor, circle)
    deleted, _rows = CircleMember.objects.filter(
        pk=member.pk, status=CircleMember.Status.PENDING
    ).delete()
    if deleted:
        notify(
            member.user,
            kind="circle_join_declined",
            title=_("Your request to join %(circle)s was declined") % {"circle": circle.name},
            url=_circle_url(circle),
        )


@transaction.atomic
def circle_leave(*, user: User, circle: Circle) -> None:
    """Leave a circle or withdraw a pending request (idempotent).

    Locks the circle's admin rows in primary-key order, so two admins leaving at once
    cannot both think the other stays. When the last admin leaves, the longest-standing
    member becomes admin, so a circle with members always has one.
    """
    admins = list(
        CircleMember.objects.select_for_update()
        .filter(circle=circle, role=CircleMember.Role.ADMIN)
        .order_by("pk")
    )
    member = CircleMember.objects.select_for_update().filter(circle=circle, user_id=user.pk).first()
    if member is None:
        return
    leaving_pk = member.pk
    member.delete()
    if member.status != CircleMember.Status.ACTIVE:
        return
    Circle.objects.filter(pk=circle.pk).update(member_count=F("member_count") - 1)
    others = [a for a in admins if a.pk != leaving_pk and a.status == CircleMember.Status.ACTIVE]
    if member.role == CircleMember.Role.ADMIN and not others:
        successor = (
            CircleMember.objects.filter(circle=circle, status=CircleMember.Status.ACTIVE)
            .order_by("joined_at", "pk")
            .first()
        )
        if successor is not None:
            successor.role = CircleMember.Role.ADMIN
            successor.save(update_fields=["role"])


# --- writing ---------------------------------------------------------------------------------


def _require_writer(user: User, circle: Circle) -> None:
    require_member(user, circle.neighbourhood_id)
    if not is_active_member(user, circle):
        raise NotACircleMember()


def _check_rate(user: User, recent: QuerySet[Any], limit: int, *, lock: bool) -> None:
    """At most ``limit`` rows of ``recent`` in the last hour.

    With ``lock`` (inside the writing transaction) the author's user row is locked first,
    so two requests of one author sent at once count one after the other and cannot both
    slip under the limit.
    """
    if lock:
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
    if recent.filter(created_at__gte=timezone.now() - RATE_WINDOW).count() >= limit:
        raise RateLimited()


def post_create(*, author: User, circle: Circle, body: str, images: Sequence[Any] = ()) -> Post:
    """Post text and up to nine pictures to a circle.

    Checks: active circle member and confirmed resident; 1-2000 characters; pictures
    valid (see ``community.images``); at most 10 posts an hour. Every picture is checked
    and re-encoded before anything is written, so a bad one saves nothing of the post.

    Locks the author's user row for the rate limit. Side effects: the picture files are
    written to storage (and removed again if the transaction fails); mentioned members
    are notified.
    """
    _require_writer(author, circle)
    body = _text(body, field="body", max_chars=POST_MAX_CHARS)
    own_posts = Post.objects.filter(author_id=author.pk)
    _check_rate(author, own_posts, POSTS_PER_HOUR, lock=False)
    cleaned = clean_images(list(images))
    stored: list[PostImage] = []
    try:
        with transaction.atomic():
            _check_rate(author, own_posts, POSTS_PER_HOUR, lock=True)
            post = Post.objects.create(circle=circle, author=author, body=body)
            for position, picture in enumerate(cleaned):
                row = PostImage(
                    post=post, position=position, width=picture.width, height=picture.height
                )
                row.image.save(str(picture.content.name), picture.content, save=False)
                stored.append(row)
                row.save()
            _mention(author=author, post=post, comment=None, text=body)
    except BaseException:
        # Storage is not transactional: files of a post that was not saved go again.
        for row in stored:
            row.image.delete(save=False)
        raise
    return post


@transaction.atomic
def comment_create(*, author: User, post: Post, body: str) -> Comment:
    """Reply to a post; the post's author is told (unless it is their own reply).

    Refused when the post is hidden or its author blocked the commenter. At most 60
    comments an hour (locks the author's user row for the count). Mentioned members are
    notified too.
    """
    circle = post.circle
    _require_writer(author, circle)
    if post.hidden_at is not None:
        raise ContentHidden()
    if has_blocked(post.author_id, author.pk):
        raise BlockedByAuthor()
    body = _text(body, field="body", max_chars=COMMENT_MAX_CHARS)
    _check_rate(author, Comment.objects.filter(author_id=author.pk), COMMENTS_PER_HOUR, lock=True)
    comment = Comment.objects.create(post=post, author=author, body=body)
    Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    if post.author_id != author.pk:
        notify(
            post.author,
            kind="circle_reply",
            title=_("%(name)s replied to your post in %(circle)s")
            % {"name": _name(author), "circle": circle.name},
            body=body[:140],
            url=_post_url(post),
        )
    _mention(author=author, post=post, comment=comment, text=body, skip={post.author_id})
    return comment


def _mentioned(*, author: User, circle: Circle, text: str) -> list[User]:
    """The members an "@name" in ``text`` points at.

    Rule: "@" followed by an active circle member's display name; the longest name that
    matches the text after the "@" wins (so "@王芳你好" finds 王芳, "@Wang Fang hi" finds
    "Wang Fang"). A name two members share mentions neither: we cannot tell who was
    meant. The author and anyone who blocked the author are never mentioned.
    """
    runs = _MENTION.findall(text)[:MAX_MENTIONS]
    if not runs:
        return []
    candidates = {run[:end].rstrip() for run in runs for end in range(1, len(run) + 1)}
    candidates.discard("")
    members = (
        User.objects.filter(
            circle_memberships__circle=circle,
            circle_memberships__status=CircleMember.Status.ACTIVE,
            display_name__in=candidates,
        )
        .exclude(pk=author.pk)
        .exclude(pk__in=Block.objects.filter(blocked_id=author.pk).values("blocker_id"))
    )
    by_name: dict[str, list[User]] = {}
    for member in members:
        by_name.setdefault(member.display_name, []).append(member)
    chosen: dict[int, User] = {}
    for run in runs:
        for end in range(len(run), 0, -1):
            found = by_name.get(run[:end].rstrip())
            if found:
                if len(found) == 1:
                    chosen.setdefault(found[0].pk, found[0])
                break
    return list(chosen.values())


def _mention(
    *, author: User, post: Post, comment: Comment | None, text: str, skip: set[int] | None = None
) -> None:
    """Record the mentions of a post or comment and notify each person once.

    ``skip``: people already told about this write (the post's author of a reply).
    """
    circle = post.circle
    people = _mentioned(author=author, circle=circle, text=text)
    if not people:
        return
    Mention.objects.bulk_create(
        [Mention(user=person, post=post, comment=comment) for person in people]
    )
    for person in people:
        if skip and person.pk in skip:
            continue
        notify(
            person,
            kind="circle_mention",
            title=_("%(name)s mentioned you in %(circle)s")
            % {"name": _name(author), "circle": circle.name},
            body=text[:140],
            url=_post_url(post),
        )


# --- likes -----------------------------------------------------------------------------------


def post_like(*, user: User, post: Post) -> bool:
    """Like a post (idempotent). Returns whether this call added the like.

    Any active member of the circle may like. The unique (post, user) constraint decides
    a double like: the loser's insert fails inside its savepoint and counts nothing, so
    ``like_count`` equals the number of ``Like`` rows under any interleaving.
    """
    if not is_active_member(user, post.circle):
        raise NotACircleMember()
    if post.hidden_at is not None:
        raise ContentHidden()
    try:
        with transaction.atomic():
            Like.objects.create(post=post, user=user)
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def post_unlike(*, user: User, post: Post) -> bool:
    """Take a like back (idempotent). Returns whether a like was removed."""
    deleted, _rows = Like.objects.filter(post=post, user_id=user.pk).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(like_count=F("like_count") - 1)
    return bool(deleted)


# --- reports and moderation ------------------------------------------------------------------


def report_create(
    *, reporter: User, post: Post, comment: Comment | None = None, reason: str
) -> Report:
    """Flag a post or a comment for the circle's moderators, once per person and item.

    The caller has already shown the item to ``reporter`` (scoped read); anyone who can
    see it may report it. The partial unique constraints refuse a second report.
    """
    reason = _reason(reason)
    try:
        with transaction.atomic():
            return Report.objects.create(
                post=post, comment=comment, reporter=reporter, reason=reason
            )
    except IntegrityError:
        raise AlreadyReported() from None


def _resolve_reports(*, actor: User, post: Post, comment: Comment | None, status: str) -> int:
    reports = Report.objects.filter(post=post, status=Report.Status.OPEN)
    reports = reports.filter(comment=comment) if comment else reports.filter(comment__isnull=True)
    return reports.update(status=status, handled_by=actor, handled_at=timezone.now())


def _told_hidden(author: Any, post: Post, what: str | Promise, reason: str) -> None:
    notify(
        author,
        kind="circle_hidden",
        title=what,
        body=reason,
        url=_post_url(post),
    )


@transaction.atomic
def post_hide(*, actor: User, post: Post, reason: str) -> Post:
    """A moderator hides a post: it disappears for everyone but its author.

    Compare-and-set on ``hidden_at``: hiding twice keeps the first decision. Open reports
    on the post are closed as handled; the author is told.
    """
    _require_moderator(actor, post.circle)
    reason = _reason(reason)
    now = timezone.now()
    changed = Post.objects.filter(pk=post.pk, hidden_at__isnull=True).update(
        hidden_at=now, hidden_by=actor, hidden_reason=reason
    )
    _resolve_reports(actor=actor, post=post, comment=None, status=Report.Status.HIDDEN)
    if changed:
        _told_hidden(post.author, post, _("A moderator hid your post"), reason)
    post.refresh_from_db(fields=["hidden_at", "hidden_by", "hidden_reason"])
    return post


@transaction.atomic
def comment_hide(*, actor: User, comment: Comment, reason: str) -> Comment:
    """A moderator hides a comment; the post's comment count no longer includes it."""
    post = comment.post
    _require_moderator(actor, post.circle)
    reason = _reason(reason)
    changed = Comment.objects.filter(pk=comment.pk, hidden_at__isnull=True).update(
        hidden_at=timezone.now()
    )
    _resolve_reports(actor=actor, post=post, comment=comment, status=Report.Status.HIDDEN)
    if changed:
        Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") - 1)
        _told_hidden(comment.author, post, _("A moderator hid your comment"), reason)
    comment.refresh_from_db(fields=["hidden_at"])
    return comment


@transaction.atomic
def report_resolve(*, actor: User, report: Report, action: str, reason: str = "") -> Report:
    """Handle a report: ``hide`` the content (closing every open report on it) or
    ``dismiss`` the reports on it (the content stays)."""
    post = report.post
    _require_moderator(actor, post.circle)
    if action == "hide":
        if report.comment is not None:
            comment_hide(actor=actor, comment=report.comment, reason=reason or report.reason)
        else:
            post_hide(actor=actor, post=post, reason=reason or report.reason)
    elif action == "dismiss":
        _resolve_reports(
            actor=actor, post=post, comment=report.comment, status=Report.Status.DISMISSED
        )
    else:
        raise ValidationFailed(fields={"action": [_("Choose hide or dismiss.")]})
    report.refresh_from_db(fields=["status", "handled_by", "handled_at"])
    return report


# --- blocks ----------------------------------------------------------------------------------


def block_create(*, blocker: User, blocked: User) -> Block:
    """Block a neighbour (idempotent): their posts and comments vanish for ``blocker``,
    they can no longer reply to ``blocker``'s posts or mention them."""
    if blocker.pk == blocked.pk:
        raise CannotBlockSelf()
    try:
        with transaction.atomic():
            block, _created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        block = Block.objects.get(blocker=blocker, blocked=blocked)
    return block


def block_delete(*, blocker: User, blocked_id: int) -> bool:
    """Unblock (idempotent). Returns whether a block was removed."""
    deleted, _rows = Block.objects.filter(blocker_id=blocker.pk, blocked_id=blocked_id).delete()
    return bool(deleted)
