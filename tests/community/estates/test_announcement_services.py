"""Announcements: who may publish, who sees what, the audience, receipts, urgent notices."""

from __future__ import annotations

import pytest
from django.utils import timezone

from community.errors import NotAnnouncementAuthor, NotEstateStaff
from community.models import Announcement, AnnouncementRead, Membership
from community.services import announcements as notices
from community.services.membership import membership_end
from community.tasks import announcement_notify_urgent
from core.errors import NotFound, ValidationFailed
from core.models import Notification
from tests.community.conftest import make_staff
from tests.community.estates.helpers import resident

pytestmark = pytest.mark.django_db

URGENT = Announcement.Urgency.URGENT


def publish(staff, estate, **kwargs):
    fields = {"title": "停水通知", "body": "明天 9:00-12:00 停水。"} | kwargs
    return notices.announcement_publish(author=staff, neighbourhood=estate, **fields)


def visible_ids(user, estate):
    return {a.pk for a in notices.visible_announcements(user, estate)}


def test_only_staff_of_the_estate_publish(estate, other_estate):
    member = resident(estate)
    staff_elsewhere = make_staff(other_estate)
    for user in (member, staff_elsewhere):
        with pytest.raises(NotEstateStaff):
            publish(user, estate)
    assert not Announcement.objects.exists()


def test_title_body_and_buildings_are_checked(estate):
    staff = make_staff(estate)
    with pytest.raises(ValidationFailed) as refused:
        publish(staff, estate, title="  ", body="", building_refs=[0])
    assert set(refused.value.fields) == {"title", "body"}
    with pytest.raises(ValidationFailed) as refused:
        publish(staff, estate, building_refs=["3", "x"])
    assert set(refused.value.fields) == {"building_refs"}
    assert not Announcement.objects.exists()


def test_whole_estate_audience_is_its_confirmed_members(estate, other_estate):
    # Given two members, a visitor and a member of another estate
    staff = make_staff(estate)
    resident(estate, building=1)
    resident(estate)
    resident(estate, status=Membership.Status.VISITOR)
    resident(other_estate)
    # When staff publish to the whole estate
    announcement = publish(staff, estate)
    # Then the audience is the two members
    assert announcement.audience_count == 2
    assert announcement.building_refs == []


def test_targeted_announcement_reaches_only_its_buildings(estate):
    # Given members in buildings 1, 2 and 3, one with no building, and a visitor
    staff = make_staff(estate)
    in_one, in_two, in_three = (resident(estate, building=b) for b in (1, 2, 3))
    homeless = resident(estate)
    visitor = resident(estate, status=Membership.Status.VISITOR)
    # When staff publish to buildings 1 and 3, and another to everyone
    targeted = publish(staff, estate, building_refs=[3, "1", 3])
    everyone = publish(staff, estate, title="电梯检修")
    # Then the targeted one counts and shows to buildings 1 and 3 only
    assert targeted.building_refs == [1, 3]
    assert targeted.audience_count == 2
    assert (
        visible_ids(in_one, estate)
        == visible_ids(in_three, estate)
        == {
            targeted.pk,
            everyone.pk,
        }
    )
    assert visible_ids(in_two, estate) == {everyone.pk}
    assert visible_ids(homeless, estate) == {everyone.pk}
    # and visitors see the estate-wide notices but never a targeted one
    assert visible_ids(visitor, estate) == {everyone.pk}
    # while staff see both
    assert visible_ids(staff, estate) == {targeted.pk, everyone.pk}


def test_visitors_see_urgent_estate_wide_notices_without_being_told(
    estate, django_capture_on_commit_callbacks
):
    staff = make_staff(estate)
    visitor = resident(estate, status=Membership.Status.VISITOR)
    with django_capture_on_commit_callbacks(execute=True):
        urgent = publish(staff, estate, urgency=URGENT)
    assert visible_ids(visitor, estate) == {urgent.pk}
    assert not Notification.objects.filter(user=visitor).exists()


def test_nobody_outside_the_estate_sees_its_announcements(estate, other_estate):
    staff = make_staff(estate)
    announcement = publish(staff, estate)
    outsider = resident(other_estate)
    assert visible_ids(outsider, estate) == set()
    with pytest.raises(NotFound):
        notices.announcement_for(outsider, announcement.pk)
    with pytest.raises(NotFound):
        notices.staff_announcement(make_staff(other_estate), announcement.pk)


def test_receipts_are_for_staff_only(estate):
    announcement = publish(make_staff(estate), estate)
    with pytest.raises(NotEstateStaff):
        notices.staff_announcement(resident(estate), announcement.pk)


def test_mark_read_counts_each_audience_member_once(estate):
    # Given an announcement to three members
    staff = make_staff(estate)
    first, second, third = (resident(estate) for _ in range(3))
    announcement = publish(staff, estate)
    # When one member opens it twice and another once
    assert notices.announcement_mark_read(user=first, announcement=announcement) is True
    assert notices.announcement_mark_read(user=first, announcement=announcement) is False
    assert notices.announcement_mark_read(user=second, announcement=announcement) is True
    # Then it is read by 2 of 3, and the third is the one who has not read it
    announcement.refresh_from_db()
    assert (announcement.read_count, announcement.audience_count) == (2, 3)
    assert [m.user_id for m in notices.unread_audience(announcement)] == [third.pk]
    assert AnnouncementRead.objects.filter(announcement=announcement).count() == 2


def test_reads_outside_the_audience_clear_the_marker_but_not_the_receipt(estate):
    # Given an announcement, then a visitor and a resident confirmed after it was published
    staff = make_staff(estate)
    member = resident(estate)
    announcement = publish(staff, estate)
    visitor = resident(estate, status=Membership.Status.VISITOR)
    newcomer = resident(estate)
    Membership.objects.filter(user=newcomer).update(
        confirmed_at=timezone.now() + timezone.timedelta(minutes=1)
    )
    # When they and staff read it
    for reader in (visitor, newcomer, staff):
        notices.announcement_mark_read(user=reader, announcement=announcement)
    # Then their markers clear, but the receipt still counts only its audience
    announcement.refresh_from_db()
    assert (announcement.read_count, announcement.audience_count) == (0, 1)
    assert [m.user_id for m in notices.unread_audience(announcement)] == [member.pk]
    assert notices.unread_announcement_count(visitor, estate) == 0
    assert notices.unread_announcement_count(newcomer, estate) == 0


def test_a_resident_who_moved_out_leaves_the_unread_list(estate):
    staff = make_staff(estate)
    leaving = resident(estate)
    announcement = publish(staff, estate)
    membership_end(neighbourhood=estate, user=leaving, actor=staff, reason="搬走了")
    assert list(notices.unread_audience(announcement)) == []


def test_unread_count_follows_reads(estate):
    staff = make_staff(estate)
    member = resident(estate)
    first, _second = publish(staff, estate), publish(staff, estate, title="第二条")
    assert notices.unread_announcement_count(member, estate) == 2
    notices.announcement_mark_read(user=member, announcement=first)
    assert notices.unread_announcement_count(member, estate) == 1


def test_urgent_announcement_notifies_its_audience_only(
    estate, other_estate, django_capture_on_commit_callbacks
):
    # Given members in buildings 1 and 2, a visitor, staff and a member elsewhere
    staff = make_staff(estate)
    in_one = resident(estate, building=1, preferred_language="en")
    in_one_too = resident(estate, building=1)
    in_two = resident(estate, building=2)
    visitor = resident(estate, status=Membership.Status.VISITOR)
    elsewhere = resident(other_estate, building=1)
    # When staff publish an urgent notice to building 1
    with django_capture_on_commit_callbacks(execute=True):
        announcement = publish(staff, estate, urgency=URGENT, building_refs=[1])
    # Then exactly the two residents of building 1 have it in their inbox
    told = Notification.objects.filter(kind="announcement_urgent")
    assert sorted(told.values_list("user_id", flat=True)) == sorted([in_one.pk, in_one_too.pk])
    english = told.get(user=in_one)
    assert english.title == f"Urgent notice from {estate.name}: 停水通知"
    assert english.url == f"/estates/{estate.pk}/announcements/{announcement.pk}/"
    assert english.data == {"announcement_id": announcement.pk, "estate_id": estate.pk}
    for user in (in_two, visitor, staff, elsewhere):
        assert not Notification.objects.filter(user=user).exists()


def test_normal_announcement_notifies_nobody(estate, django_capture_on_commit_callbacks):
    staff = make_staff(estate)
    resident(estate)
    with django_capture_on_commit_callbacks(execute=True):
        publish(staff, estate)
    assert not Notification.objects.exists()


def test_the_urgent_notice_task_tells_nobody_twice(estate, django_capture_on_commit_callbacks):
    # Given an urgent announcement already delivered to 3 members (its task ran once)
    staff = make_staff(estate)
    for _ in range(3):
        resident(estate)
    with django_capture_on_commit_callbacks(execute=True):
        announcement = publish(staff, estate, urgency=URGENT)
    assert Notification.objects.count() == 3
    # When the broker delivers the task again
    assert announcement_notify_urgent.delay(announcement.pk).get() == 0
    # Then nobody has a second entry; and a withdrawn announcement is nobody's notice
    assert Notification.objects.count() == 3
    notices.announcement_withdraw(user=staff, announcement=announcement)
    assert announcement_notify_urgent.delay(announcement.pk).get() == 0


def test_the_urgent_notice_is_written_in_batches(
    estate, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(notices, "NOTICE_BATCH", 2)
    staff = make_staff(estate)
    members = [resident(estate) for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        publish(staff, estate, urgency=URGENT)
    assert set(
        Notification.objects.filter(kind="announcement_urgent").values_list("user_id", flat=True)
    ) == {m.pk for m in members}


def test_only_the_author_edits_and_any_staff_pins_or_withdraws(estate):
    author = make_staff(estate)
    colleague = make_staff(estate)
    announcement = publish(author, estate)
    # A colleague cannot reword it
    with pytest.raises(NotAnnouncementAuthor):
        notices.announcement_update(
            user=colleague, announcement=announcement, title="改", body="改"
        )
    # The author can
    notices.announcement_update(
        user=author, announcement=announcement, title=" 停水改期 ", body="改到后天。"
    )
    announcement.refresh_from_db()
    assert (announcement.title, announcement.body) == ("停水改期", "改到后天。")
    # A resident cannot pin; a colleague can, and unpin
    with pytest.raises(NotEstateStaff):
        notices.announcement_pin(user=resident(estate), announcement=announcement)
    notices.announcement_pin(user=colleague, announcement=announcement)
    assert Announcement.objects.get(pk=announcement.pk).pinned is True
    notices.announcement_unpin(user=colleague, announcement=announcement)
    assert Announcement.objects.get(pk=announcement.pk).pinned is False
    # Staff who left the estate can no longer touch it
    from community.services.membership import staff_membership_revoke

    staff_membership_revoke(user=author, neighbourhood=estate)
    with pytest.raises(NotEstateStaff):
        notices.announcement_update(user=author, announcement=announcement, title="x", body="y")
    # A colleague withdraws it: gone with its reads
    notices.announcement_mark_read(user=resident(estate), announcement=announcement)
    notices.announcement_withdraw(user=colleague, announcement=announcement)
    assert not Announcement.objects.exists()
    assert not AnnouncementRead.objects.exists()


def test_pinned_come_first_then_newest(estate):
    staff = make_staff(estate)
    old = publish(staff, estate, title="旧")
    pinned_old = publish(staff, estate, title="置顶", pinned=True)
    new = publish(staff, estate, title="新")
    feed = [a.pk for a in notices.visible_announcements(resident(estate), estate)]
    assert feed == [pinned_old.pk, new.pk, old.pk]


def test_urgent_notice_is_pushed_live_after_commit(estate, django_capture_on_commit_callbacks):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from core.notifications import user_group

    # Given a member with an open websocket (a channel in their group)
    staff = make_staff(estate)
    member = resident(estate)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(member.pk), channel)
    # When staff publish an urgent notice and it commits
    with django_capture_on_commit_callbacks(execute=True):
        announcement = publish(staff, estate, urgency=URGENT)
    # Then the socket receives it with the new unread count
    message = async_to_sync(layer.receive)(channel)
    payload = message["payload"]
    assert (payload["kind"], payload["unread"]) == ("announcement_urgent", 1)
    assert payload["data"]["announcement_id"] == announcement.pk
