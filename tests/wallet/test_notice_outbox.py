"""Notices and payee events commit with the money, and are delivered once, whatever is lost
between the commit and the delivery."""

import pytest

from core.models import Notification
from tests.wallet.conftest import PIN, fund, make_resident, shop_account
from wallet import tasks
from wallet.errors import InsufficientFunds
from wallet.models import NoticeOutbox
from wallet.services import payments
from wallet.services.notices import PAYEE_PAID, deliver_pending

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pay_path")]

handled: list[int] = []


def record_payee_paid(*, payment, payee) -> None:
    handled.append(payment.pk)


def failing_payee_paid(*, payment, payee) -> None:
    raise RuntimeError("the shop's side is broken")


@pytest.fixture
def recorded_handler(settings):
    handled.clear()
    settings.WALLET_PAYEE_PAID_HANDLERS = ["tests.wallet.test_notice_outbox.record_payee_paid"]
    return handled


def pay(resident, shop, amount=500):
    return payments.payment_create(
        payer=resident, payee=shop, amount_minor=amount, description="水果", pin=PIN
    )


def test_notices_commit_with_the_payment_and_are_delivered_once(recorded_handler):
    resident = make_resident()
    fund(resident, 10_000)
    shop = shop_account()

    result = pay(resident, shop)  # on-commit hooks do not run here: no wake-up at all

    pending = list(NoticeOutbox.objects.filter(sent_at__isnull=True).order_by("pk"))
    assert [row.payload.get("kind", row.payload.get("event")) for row in pending] == [
        "payment_sent",
        PAYEE_PAID,
    ]
    assert pending[0].payload["data"] == {
        "payment_id": result.payment.pk,
        "transaction_id": result.payment.transaction_id,
    }
    assert pending[0].payload["url"] == f"/wallet/transactions/{result.payment.transaction_id}/"
    assert not Notification.objects.filter(user=resident).exists()

    assert deliver_pending() == 2
    assert deliver_pending() == 0  # a second run (a duplicate task) delivers nothing again

    notice = Notification.objects.get(user=resident, kind="payment_sent")
    assert notice.url == f"/wallet/transactions/{result.payment.transaction_id}/"
    assert "5.00" in notice.title
    assert recorded_handler == [result.payment.pk]
    assert not NoticeOutbox.objects.filter(sent_at__isnull=True).exists()


def test_a_refused_payment_tells_nobody(recorded_handler):
    resident = make_resident()
    fund(resident, 100)
    with pytest.raises(InsufficientFunds):
        pay(resident, shop_account(), amount=101)
    assert not NoticeOutbox.objects.exists()
    assert deliver_pending() == 0
    assert recorded_handler == []


def test_a_lost_wake_up_is_caught_by_the_sweep(
    recorded_handler, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(tasks.deliver_notices, "delay", broker_down)
    resident = make_resident()
    fund(resident, 10_000)

    with django_capture_on_commit_callbacks(execute=True):
        result = pay(resident, shop_account())  # the wake-up fails after commit

    assert result.payment.pk  # the payment stands
    assert NoticeOutbox.objects.filter(sent_at__isnull=True).count() == 2
    assert tasks.sweep_notices() == 2
    assert Notification.objects.filter(user=resident, kind="payment_sent").count() == 1


def test_a_failing_payee_event_does_not_hold_up_the_notices(settings):
    settings.WALLET_PAYEE_PAID_HANDLERS = ["tests.wallet.test_notice_outbox.failing_payee_paid"]
    resident = make_resident()
    fund(resident, 10_000)
    pay(resident, shop_account())

    assert deliver_pending() == 1
    assert Notification.objects.filter(user=resident, kind="payment_sent").count() == 1
    left = NoticeOutbox.objects.get(sent_at__isnull=True)
    assert left.payload["event"] == PAYEE_PAID  # kept for the next sweep


def test_every_payee_handler_hears_of_the_payment_and_batches_read_payments_once(
    settings, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wallet.services import notices

    handled.clear()
    settings.WALLET_PAYEE_PAID_HANDLERS = [
        "tests.wallet.test_notice_outbox.record_payee_paid",
        "tests.wallet.test_notice_outbox.record_payee_paid",
    ]
    monkeypatch.setattr(notices, "BATCH", 4)
    resident = make_resident()
    fund(resident, 10_000)
    shop = shop_account()
    paid = [pay(resident, shop, amount=100 + n).payment.pk for n in range(5)]  # 10 rows

    with CaptureQueriesContext(connection) as queries:
        assert deliver_pending() == 10
    assert sorted(handled) == sorted(paid * 2)
    payment_reads = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "wallet_payment"')
    ]
    assert len(payment_reads) == 3  # one per batch of 4 rows (4, 4, 2), not one per payment
    savepoints = [q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
    # Per batch, its transaction (a savepoint inside the test's) and one for its rows while
    # nothing fails, not one per row (that would be 3 + 10).
    assert len(savepoints) == 3 * 2
    inbox_writes = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith('INSERT INTO "core_notification"')
    ]
    assert len(inbox_writes) == 3  # the batch's notices in one INSERT, not one per notice
    assert Notification.objects.filter(user=resident, kind="payment_sent").count() == 5
    assert not NoticeOutbox.objects.filter(sent_at__isnull=True).exists()


def test_payments_during_a_delivery_queue_no_task_and_are_delivered_by_it(
    recorded_handler, monkeypatch, django_capture_on_commit_callbacks
):
    from wallet.services import notices

    queued: list[int] = []
    monkeypatch.setattr(tasks.deliver_notices, "delay", lambda: queued.append(1))
    notices._clear_wake()
    resident = make_resident()
    fund(resident, 10_000)
    shop = shop_account()

    with django_capture_on_commit_callbacks(execute=True):
        pay(resident, shop, amount=101)  # wakes a delivery
    with django_capture_on_commit_callbacks(execute=True):
        pay(resident, shop, amount=102)  # one is queued already
    assert queued == [1]

    # Another process's payment commits while the delivery runs: its wake-up queues nothing.
    during: list[int] = []

    def wake_while_delivering(*, payment, payee) -> None:
        if not during:  # the first payee event, in the first batch
            notices.wake()
        during.append(payment.pk)

    monkeypatch.setattr("tests.wallet.test_notice_outbox.record_payee_paid", wake_while_delivering)

    # The hardest moment: a payment commits after the delivery's last batch, while the
    # key is still set, so it queues nothing; the look after the clear must find it.
    clear = notices._clear_wake

    def payment_then_clear() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            pay(resident, shop, amount=103)
        clear()

    monkeypatch.setattr(notices, "_clear_wake", payment_then_clear)
    assert deliver_pending() == 6
    assert len(during) == 3 and queued == [1]
    assert not NoticeOutbox.objects.filter(sent_at__isnull=True).exists()

    monkeypatch.setattr(notices, "_clear_wake", clear)
    with django_capture_on_commit_callbacks(execute=True):
        pay(resident, shop, amount=104)  # the key is clear again: a new delivery
    assert queued == [1, 1]
