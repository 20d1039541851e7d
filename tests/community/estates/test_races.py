"""Read receipts under real concurrency: threads, one connection each, on PostgreSQL."""

from __future__ import annotations

import pytest

from community.models import AnnouncementRead
from community.services import announcements as notices
from tests.community.conftest import make_staff
from tests.community.estates.helpers import resident
from tests.concurrency.conftest import run_together
from tests.factories import NeighbourhoodFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_mark_read_by_one_resident_counts_once():
    # Given an announcement to two residents
    estate = NeighbourhoodFactory()
    staff = make_staff(estate)
    reader = resident(estate)
    resident(estate)
    announcement = notices.announcement_publish(
        author=staff, neighbourhood=estate, title="停水", body="明天停水。"
    )
    # When the same resident opens it on eight devices at the same moment
    outcomes = run_together(
        [
            lambda: notices.announcement_mark_read(user=reader, announcement=announcement)
            for _ in range(8)
        ]
    )
    # Then exactly one call recorded it, and it counts once
    assert [o.error for o in outcomes] == [None] * 8
    assert sorted(o.value for o in outcomes) == [False] * 7 + [True]
    announcement.refresh_from_db()
    assert announcement.read_count == 1
    assert AnnouncementRead.objects.filter(announcement=announcement).count() == 1


def test_concurrent_reads_by_many_residents_all_count():
    estate = NeighbourhoodFactory()
    staff = make_staff(estate)
    readers = [resident(estate) for _ in range(10)]
    announcement = notices.announcement_publish(
        author=staff, neighbourhood=estate, title="停电", body="周五停电。"
    )
    outcomes = run_together(
        [
            lambda user=user: notices.announcement_mark_read(user=user, announcement=announcement)
            for user in readers * 2
        ]
    )
    assert [o.error for o in outcomes] == [None] * 20
    assert sum(1 for o in outcomes if o.value) == 10
    announcement.refresh_from_db()
    assert (announcement.read_count, announcement.audience_count) == (10, 10)
