"""Announcements from property staff: publishing, targeting, pinning and read receipts.

Who sees what:

* Staff of the estate see every announcement of it.
* Confirmed members see the estate-wide ones and those targeted at their building.
* Visitors (residents who follow the estate) see the estate-wide ones only: those are the
  notice board in the lobby; a notice targeted at buildings is for the people who live
  there.

The *audience* of an announcement is fixed when it is published: the estate's confirmed
members (of the targeted buildings, when targeted) confirmed by then. ``audience_count``
stores its size, urgent announcements notify exactly these people, and only their reads
count in ``read_count``. Anyone who may see an announcement gets a read row when they open
it, so unread markers clear for everyone, but a visitor's or a later resident's read does
not move the receipt.

Withdrawing deletes the announcement (and its read rows): a notice posted in error should
disappear from every feed and every receipt, nothing about it is financial or audited, and
urgent inbox entries already delivered stay as the resident received them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Count, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from community.errors import NotAnnouncementAuthor, NotEstateStaff
from community.models import Announcement, AnnouncementRead, Membership, Neighbourhood
from community.selectors import is_estate_staff, membership_of, visible_neighbourhood
from core.errors import NotFound, ValidationFailed
from core.models import Notification
from core.notifications import publish_on_commit

MAX_BUILDINGS = 200
URGENT_KIND = "announcement_urgent"
NOTICE_BATCH = 500


# --- reads ---------------------------------------------------------------------------------


class JsonArrayHas(Func):
    """``building_refs`` (a JSON array) holds the given building id.

    Django's ``__contains`` on a JSONField does not work on SQLite, which the fast local
    test run uses, so each backend gets its own spelling of the same question.
    """

    arity = 2
    output_field = BooleanField()

    def _parts(self, compiler: Any) -> tuple[str, str, list[Any]]:
        array_sql, array_params = compiler.compile(self.source_expressions[0])
        value_sql, value_params = compiler.compile(self.source_expressions[1])
        return array_sql, value_sql, [*array_params, *value_params]

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        array_sql, value_sql, params = self._parts(compiler)
        return (
            f"EXISTS (SELECT 1 FROM json_each({array_sql}) WHERE json_each.value = {value_sql})",
            params,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        array_sql, value_sql, params = self._parts(compiler)
        return f"({array_sql} @> jsonb_build_array({value_sql}))", params


def visible_announcements(user: Any, neighbourhood: Neighbourhood) -> QuerySet[Announcement]:
    """The announcements of ``neighbourhood`` that ``user`` may see (none without a
    membership). Pinned first, then newest, each with ``is_read`` for the caller."""
    membership = membership_of(user, neighbourhood.pk)
    announcements = Announcement.objects.filter(neighbourhood=neighbourhood)
    if membership is None:
        return announcements.none()
    if membership.status == Membership.Status.VISITOR:
        announcements = announcements.filter(building_refs=[])
    elif membership.status == Membership.Status.MEMBER:
        whole_estate = Q(building_refs=[])
        if membership.building_ref is not None:
            whole_estate |= Q(JsonArrayHas(F("building_refs"), Value(membership.building_ref)))
        announcements = announcements.filter(whole_estate)
    return announcements.select_related("author").annotate(is_read=_read_by(user))


def _read_by(user: Any) -> Exists:
    return Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user_id=user.pk))


def unread_announcement_count(user: Any, neighbourhood: Neighbourhood) -> int:
    return visible_announcements(user, neighbourhood).filter(~_read_by(user)).count()


def visible_announcement(user: Any, neighbourhood: Neighbourhood, pk: int) -> Announcement:
    """One announcement the user may see, or 404 as if it did not exist."""
    announcement = visible_announcements(user, neighbourhood).filter(pk=pk).first()
    if announcement is None:
        raise NotFound()
    return announcement


def announcement_for(user: Any, pk: int) -> Announcement:
    """An announcement by id alone (the API's short URLs), if ``user`` may see it; else 404."""
    neighbourhood_id = (
        Announcement.objects.filter(pk=pk).values_list("neighbourhood_id", flat=True).first()
    )
    if neighbourhood_id is None:
        raise NotFound()
    return visible_announcement(user, visible_neighbourhood(user, neighbourhood_id), pk)


def staff_announcement(user: Any, pk: int) -> Announcement:
    """An announcement of an estate ``user`` works for. 404 when the caller cannot see it;
    ``NotEstateStaff`` when they can (a resident of that estate) but are not its staff."""
    announcement = announcement_for(user, pk)
    _require_staff(user, announcement.neighbourhood_id)
    return announcement


def audience(announcement: Announcement) -> QuerySet[Membership]:
    """The memberships an announcement was published to (see the module docstring)."""
    memberships = Membership.objects.filter(
        Q(confirmed_at__isnull=True) | Q(confirmed_at__lte=announcement.created_at),
        neighbourhood_id=announcement.neighbourhood_id,
        status=Membership.Status.MEMBER,
    )
    if announcement.building_refs:
        memberships = memberships.filter(building_ref__in=announcement.building_refs)
    return memberships


def unread_audience(announcement: Announcement) -> QuerySet[Membership]:
    """Audience members who have not opened it yet, in the order they joined."""
    return (
        audience(announcement)
        .exclude(
            Exists(
                AnnouncementRead.objects.filter(
                    announcement_id=announcement.pk, user_id=OuterRef("user_id")
                )
            )
        )
        .select_related("user")
        .order_by("building_ref", "user_id")
    )


def author_name(announcement: Announcement) -> str:
    """Residents see the author's display name, never the number a nameless account
    would otherwise show as."""
    return announcement.author.display_name or force_str(_("Property staff"))


def announcement_url(announcement: Announcement) -> str:
    return reverse("estate-announcement", args=[announcement.neighbourhood_id, announcement.pk])


# --- writes --------------------------------------------------------------------------------


def clean_building_refs(values: Iterable[Any]) -> list[int]:
    """Building ids as sorted, distinct positive integers; raises ``ValidationFailed``."""
    refs: set[int] = set()
    for value in values:
        try:
            ref = int(str(value).strip())
        except ValueError:
            ref = 0
        if ref <= 0:
            raise ValidationFailed(
                fields={"building_refs": [_("Building numbers are positive whole numbers.")]}
            )
        refs.add(ref)
    if len(refs) > MAX_BUILDINGS:
        raise ValidationFailed(
            fields={
                "building_refs": [
                    _("Choose at most %(count)d buildings.") % {"count": MAX_BUILDINGS}
                ]
            }
        )
    return sorted(refs)


def _check_text(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    errors: dict[str, list[Any]] = {}
    if not title:
        errors["title"] = [_("Give the announcement a title.")]
    elif len(title) > 100:
        errors["title"] = [_("At most 100 characters.")]
    if not body:
        errors["body"] = [_("Write what residents need to know.")]
    elif len(body) > 5000:
        errors["body"] = [_("At most 5000 characters.")]
    if errors:
        raise ValidationFailed(fields=errors)
    return title, body


def _require_staff(user: Any, neighbourhood_id: int) -> None:
    if not is_estate_staff(user, neighbourhood_id):
        raise NotEstateStaff()


def announcement_publish(
    *,
    author: Any,
    neighbourhood: Neighbourhood,
    title: str,
    body: str,
    urgency: str = Announcement.Urgency.NORMAL,
    pinned: bool = False,
    building_refs: Iterable[Any] = (),
) -> Announcement:
    """Post an announcement to the estate, or to the given buildings of it.

    Only staff of ``neighbourhood``. Stores the audience size. An urgent one schedules, on
    commit, the task that puts it in every audience member's inbox and pushes it live;
    a normal one only appears in the estate's feed. Takes no locks.
    """
    _require_staff(author, neighbourhood.pk)
    title, body = _check_text(title, body)
    if urgency not in Announcement.Urgency.values:
        raise ValidationFailed(fields={"urgency": [_("Choose normal or urgent.")]})
    refs = clean_building_refs(building_refs)
    with transaction.atomic():
        announcement = Announcement.objects.create(
            neighbourhood=neighbourhood,
            author=author,
            title=title,
            body=body,
            urgency=urgency,
            pinned=pinned,
            building_refs=refs,
        )
        # Counted after the insert so the snapshot uses the stored publication time.
        announcement.audience_count = audience(announcement).count()
        announcement.save(update_fields=["audience_count"])
        if urgency == Announcement.Urgency.URGENT:
            from community.tasks.announcements import announcement_notify_urgent

            announcement_id = announcement.pk
            transaction.on_commit(lambda: announcement_notify_urgent.delay(announcement_id))
    return announcement


def announcement_update(
    *, user: Any, announcement: Announcement, title: str, body: str
) -> Announcement:
    """The author corrects the wording, while still staff of the estate.

    Urgency and targeting stay as published: the audience was told and counted; a
    different audience needs a new announcement.
    """
    _require_staff(user, announcement.neighbourhood_id)
    if announcement.author_id != user.pk:
        raise NotAnnouncementAuthor()
    announcement.title, announcement.body = _check_text(title, body)
    announcement.save(update_fields=["title", "body"])
    return announcement


def announcement_pin(*, user: Any, announcement: Announcement, pinned: bool = True) -> Announcement:
    """Any staff of the estate pins (or with ``pinned=False`` unpins) an announcement."""
    _require_staff(user, announcement.neighbourhood_id)
    Announcement.objects.filter(pk=announcement.pk).update(pinned=pinned)
    announcement.pinned = pinned
    return announcement


def announcement_unpin(*, user: Any, announcement: Announcement) -> Announcement:
    return announcement_pin(user=user, announcement=announcement, pinned=False)


def announcement_withdraw(*, user: Any, announcement: Announcement) -> None:
    """Any staff of the estate takes an announcement down: deleted with its read rows."""
    _require_staff(user, announcement.neighbourhood_id)
    announcement.delete()


def announcement_mark_read(*, user: Any, announcement: Announcement) -> bool:
    """Record that ``user`` opened ``announcement``; idempotent. True if this call recorded it.

    The unique (announcement, user) constraint decides between concurrent calls: only the
    call whose insert succeeded increments ``read_count``, and only for an audience member,
    in the same transaction as the insert. The caller has checked that the user may see it.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                AnnouncementRead.objects.create(announcement=announcement, user_id=user.pk)
        except IntegrityError:
            return False
        if audience(announcement).filter(user_id=user.pk).exists():
            Announcement.objects.filter(pk=announcement.pk).update(read_count=F("read_count") + 1)
    return True


def urgent_announcement_deliver(*, announcement_id: int) -> int:
    """Write the inbox entries of an urgent announcement for its whole audience, in bulk,
    each in the recipient's language, and push each live after commit.

    Run by a Celery task that may run twice: the announcement row is locked for the
    duration and members who already have the entry are skipped, so nobody is told twice.
    Returns how many entries were written (0 if the announcement was withdrawn).
    """
    with transaction.atomic():
        announcement = (
            Announcement.objects.select_for_update()
            .select_related("neighbourhood")
            .filter(pk=announcement_id, urgency=Announcement.Urgency.URGENT)
            .first()
        )
        if announcement is None:
            return 0
        url = announcement_url(announcement)
        told = set(
            Notification.objects.filter(kind=URGENT_KIND, url=url).values_list("user_id", flat=True)
        )
        recipients = [
            (user_id, language)
            for user_id, language in audience(announcement)
            .values_list("user_id", "user__preferred_language")
            .order_by("user_id")
            if user_id not in told
        ]
        written = 0
        for start in range(0, len(recipients), NOTICE_BATCH):
            written += _deliver_batch(announcement, url, recipients[start : start + NOTICE_BATCH])
    return written


def _deliver_batch(announcement: Announcement, url: str, batch: list[tuple[int, str]]) -> int:
    texts: dict[str, tuple[str, str]] = {}
    rows = []
    for user_id, language in batch:
        language = language or settings.LANGUAGE_CODE
        if language not in texts:
            with translation.override(language):
                texts[language] = (
                    force_str(
                        _("Urgent notice from %(estate)s: %(title)s")
                        % {"estate": announcement.neighbourhood, "title": announcement.title}
                    )[:200],
                    announcement.body[:500],
                )
        title, body = texts[language]
        rows.append(
            Notification(
                user_id=user_id,
                kind=URGENT_KIND,
                title=title,
                body=body,
                url=url,
                data={
                    "announcement_id": announcement.pk,
                    "estate_id": announcement.neighbourhood_id,
                },
            )
        )
    created = Notification.objects.bulk_create(rows)
    unread = dict(
        Notification.objects.filter(user_id__in=[uid for uid, _lang in batch], read_at__isnull=True)
        .values("user_id")
        .annotate(count=Count("id"))
        .values_list("user_id", "count")
    )
    for notification in created:
        publish_on_commit(
            notification.user_id,
            {**notification.as_event(), "unread": unread.get(notification.user_id, 0)},
        )
    return len(created)
