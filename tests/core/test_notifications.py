import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.test import APIClient

from core.models import Notification
from core.notifications import notify, notify_many, user_group
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


def nothing_waiting(layer, channel):
    import asyncio

    async def probe():
        try:
            await asyncio.wait_for(layer.receive(channel), timeout=0.05)
        except TimeoutError:
            return True
        return False

    return async_to_sync(probe)()


def listen(layer, user_id):
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(user_id), channel)
    return channel


def test_notify_writes_the_inbox_in_the_recipients_language_and_pushes_after_commit(
    in_memory_layer, django_capture_on_commit_callbacks
):
    resident = UserFactory(preferred_language="en")
    channel = listen(in_memory_layer, resident.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        entry = notify(resident, kind="test", title=_("Inbox"), body="hello")
        # Nothing leaves before the transaction commits.
        assert nothing_waiting(in_memory_layer, channel)
    assert len(callbacks) == 1
    assert entry.title == "Inbox"

    message = async_to_sync(in_memory_layer.receive)(channel)
    payload = message["payload"]
    assert payload["type"] == "notification"
    assert payload["id"] == entry.pk
    assert payload["unread"] == 1

    chinese = UserFactory(preferred_language="zh-hans")
    assert notify(chinese, kind="test", title=_("Inbox")).title != "Inbox"


def test_a_rolled_back_notification_is_never_pushed(in_memory_layer):
    from django.db import transaction

    resident = UserFactory()
    listen(in_memory_layer, resident.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(resident, kind="test", title="never")
        raise RuntimeError
    assert not Notification.objects.exists()


def test_inbox_api_lists_only_my_notifications_with_constant_queries(django_assert_num_queries):
    me, other = UserFactory(), UserFactory()
    for index in range(3):
        Notification.objects.create(user=me, kind="test", title=f"mine {index}")
    Notification.objects.create(user=other, kind="test", title="theirs")

    api = APIClient()
    api.force_authenticate(me)
    with django_assert_num_queries(1):
        response = api.get(reverse("api-notifications"))
    titles = [item["title"] for item in response.json()["results"]]
    assert titles == ["mine 2", "mine 1", "mine 0"]

    for index in range(20):
        Notification.objects.create(user=me, kind="test", title=f"more {index}")
    with django_assert_num_queries(1):
        response = api.get(reverse("api-notifications"))
    assert len(response.json()["results"]) == 20
    assert response.json()["next"]


def test_marking_read_is_scoped_and_idempotent():
    me, other = UserFactory(), UserFactory()
    mine = Notification.objects.create(user=me, kind="test", title="mine")
    theirs = Notification.objects.create(user=other, kind="test", title="theirs")

    api = APIClient()
    api.force_authenticate(me)
    assert api.get(reverse("api-notifications-unread-count")).json() == {"unread": 1}
    assert api.post(reverse("api-notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    first = api.post(reverse("api-notification-read", args=[mine.pk])).json()["read_at"]
    second = api.post(reverse("api-notification-read", args=[mine.pk])).json()["read_at"]
    assert first == second is not None
    assert api.get(reverse("api-notifications-unread-count")).json() == {"unread": 0}


def test_mark_all_read_touches_only_my_unread():
    me, other = UserFactory(), UserFactory()
    Notification.objects.create(user=me, kind="t", title="a")
    Notification.objects.create(user=me, kind="t", title="b", read_at=timezone.now())
    Notification.objects.create(user=other, kind="t", title="c")
    api = APIClient()
    api.force_authenticate(me)
    assert api.post(reverse("api-notifications-read-all")).json() == {"marked": 1}
    assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 1


def test_inbox_page_shows_mine_and_marks_read(client):
    me, other = UserFactory(), UserFactory()
    mine = Notification.objects.create(user=me, kind="t", title="my parcel", url="/me/")
    Notification.objects.create(user=other, kind="t", title="their parcel")
    client.force_login(me)
    page = client.get(reverse("inbox")).content.decode()
    assert "my parcel" in page and "their parcel" not in page

    response = client.post(reverse("inbox-read", args=[mine.pk]))
    assert response["Location"] == "/me/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_notify_many_writes_a_batch_in_one_insert_and_one_count(
    in_memory_layer, django_capture_on_commit_callbacks, django_assert_num_queries
):
    first, second = UserFactory(), UserFactory()
    Notification.objects.create(user=first, kind="old", title="unread from before")
    Notification.objects.create(
        user=second, kind="old", title="read already", read_at=timezone.now()
    )
    channels = {user.pk: listen(in_memory_layer, user.pk) for user in (first, second)}
    batch = [
        Notification(user=first, kind="payment_sent", title="one"),
        Notification(user=second, kind="payment_received", title="two"),
        Notification(user=first, kind="payment_sent", title="three"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        with django_assert_num_queries(2):
            written = notify_many(batch)
        assert nothing_waiting(in_memory_layer, channels[first.pk])

    assert [entry.title for entry in written] == ["one", "two", "three"]
    assert all(entry.pk for entry in written)

    first_events = [async_to_sync(in_memory_layer.receive)(channels[first.pk]) for _ in range(2)]
    second_events = [async_to_sync(in_memory_layer.receive)(channels[second.pk])]
    # Each push carries the recipient's unread count after the whole batch.
    assert [e["payload"]["title"] for e in first_events] == ["one", "three"]
    assert {e["payload"]["unread"] for e in first_events} == {3}
    assert second_events[0]["payload"]["title"] == "two"
    assert second_events[0]["payload"]["unread"] == 1
    assert nothing_waiting(in_memory_layer, channels[second.pk])
    assert notify_many([]) == []
