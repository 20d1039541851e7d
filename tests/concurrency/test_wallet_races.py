"""The wallet under real concurrency: threads, one connection each, on PostgreSQL.

SQLite serialises every writer, so these races only exist on PostgreSQL; without it the
tests skip (and fail under CI). Each test releases its threads together with a barrier and
then checks the money: nothing created or lost, nothing negative, the ledger check clean.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from tests.concurrency.conftest import Tally, run_together
from tests.wallet.conftest import PIN, balance_of, fund, make_resident, shop_account
from wallet import renderers
from wallet.errors import HoldNotActive, InsufficientFunds, PinIncorrect, PinLocked
from wallet.models import (
    Account,
    AccountShard,
    Hold,
    IdempotencyRecord,
    Payment,
    Posting,
    WalletProfile,
)
from wallet.services import payments
from wallet.services.accounts import wallet_account
from wallet.services.audit import ledger_check
from wallet.services.idempotency import Idempotency, Replayed, request_fingerprint
from wallet.services.payments import PaymentResult
from wallet.services.profile import pin_verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRONG_PIN = "135791"


def residents(count: int, *, funding: int) -> list:
    """``count`` fully verified residents (level III: no limit in reach), each funded."""
    users = []
    for number in range(count):
        user = make_resident(level=3, phone=f"+86135{number:08d}")
        fund(user, funding)
        users.append(user)
    return users


def assert_ledger_clean() -> None:
    assert [str(problem) for problem in ledger_check()] == []


def assert_nothing_negative() -> None:
    assert not Account.objects.filter(allow_negative=False, balance_minor__lt=0).exists()
    assert not Account.objects.filter(held_minor__lt=0).exists()
    assert not AccountShard.objects.filter(balance_minor__lt=0).exists()


def test_random_payments_transfers_and_refunds_keep_every_fen():
    # Given three shops and 50 residents with ¥1,000.00 each. The shops' accounts are older
    # than the wallets, as they usually are, which makes lock order matter (see the
    # lock-order tests at the end).
    shops = [shop_account(name=f"店{n}", ref=f"shop:{n}") for n in range(3)]
    funding = 100_000
    people = residents(50, funding=funding)
    tally = Tally()
    made: list[Payment] = []
    made_lock = threading.Lock()

    def worker(seed: int):
        rng = random.Random(seed)

        def work() -> None:
            for _ in range(30):
                if tally.stop.is_set():
                    return
                roll = rng.random()
                if roll < 0.25:
                    with made_lock:
                        payment = rng.choice(made) if made else None
                    if payment is not None:
                        amount = rng.choice([None, rng.randint(1, 1_000)])
                        refund = tally.outcome(
                            "refund",
                            lambda p=payment, a=amount: payments.payment_refund(
                                payment=p, amount_minor=a, reason="退货"
                            ),
                        )
                        if refund is not None:
                            tally.count("refunded minor", refund.amount_minor)
                        continue
                if roll < 0.6:
                    sender, recipient = rng.sample(people, 2)
                    amount = rng.randint(100, 5_000)
                    if tally.outcome(
                        "transfer",
                        lambda s=sender, r=recipient, a=amount: payments.transfer_create(
                            sender=s, recipient=r, amount_minor=a, pin=PIN
                        ),
                    ):
                        tally.count("transferred minor", amount)
                    continue
                payer, shop = rng.choice(people), rng.choice(shops)
                amount = rng.randint(100, 5_000)
                result = tally.outcome(
                    "payment",
                    lambda p=payer, s=shop, a=amount: payments.payment_create(
                        payer=p, payee=s, amount_minor=a, description="买菜", pin=PIN
                    ),
                )
                if result is not None:
                    tally.count("paid minor", amount)
                    with made_lock:
                        made.append(result.payment)

        return work

    # When 8 threads pay, transfer and refund at random among them
    outcomes = run_together([worker(seed) for seed in range(8)])
    print("\n", sorted(tally.counts.items()), f"{max(o.seconds for o in outcomes):.1f}s")

    # Then no worker saw anything but business refusals
    assert tally.unexpected == [], tally.report
    assert [o.error for o in outcomes] == [None] * 8
    # and not a fen appeared or vanished
    wallets = [wallet_account(person) for person in people]
    assert sum(balance_of(a) for a in wallets) + sum(balance_of(s) for s in shops) == (50 * funding)
    paid, refunded = tally.counts.get("paid minor", 0), tally.counts.get("refunded minor", 0)
    assert sum(balance_of(s) for s in shops) == paid - refunded
    totals = Payment.objects.aggregate(paid=Sum("amount_minor"), refunded=Sum("refunded_minor"))
    assert (totals["paid"] or 0, totals["refunded"] or 0) == (paid, refunded)
    assert_nothing_negative()
    assert_ledger_clean()


def test_one_idempotency_key_sent_ten_times_at_once_pays_once():
    payer = make_resident(level=3)
    fund(payer, 10_000)
    shop = shop_account()
    body = {"payee_id": shop.pk, "amount_minor": 1_234, "currency": "CNY", "description": "早餐"}
    fingerprint = request_fingerprint("POST", "/api/v1/wallet/payments/", body)

    def send():
        return payments.payment_create(
            payer=payer,
            payee=shop,
            amount_minor=1_234,
            description="早餐",
            pin=PIN,
            idempotency=Idempotency(
                user_id=payer.pk,
                key="pay-once-7f3a",
                fingerprint=fingerprint,
                render=renderers.payment_result,
            ),
        )

    outcomes = run_together([send] * 10)

    answered = [o.value for o in outcomes if isinstance(o.value, PaymentResult)]
    replays = [o.error for o in outcomes if isinstance(o.error, Replayed)]
    assert len(answered) == 1, [o.error for o in outcomes]
    assert len(replays) == 9, [o.error for o in outcomes]
    first = renderers.payment_result(answered[0])
    assert all(r.status_code == 201 and r.body == first for r in replays)
    assert Payment.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert balance_of(wallet_account(payer)) == 10_000 - 1_234
    assert balance_of(shop) == 1_234
    assert_ledger_clean()


def test_one_idempotency_key_refused_ten_times_at_once_gives_one_refusal():
    # A refusal is an answer too: it is recorded once and every duplicate replays it.
    payer = make_resident(level=3)
    fund(payer, 1_000)
    shop = shop_account()
    body = {"payee_id": shop.pk, "amount_minor": 5_000, "currency": "CNY", "description": "家电"}
    fingerprint = request_fingerprint("POST", "/api/v1/wallet/payments/", body)

    def send():
        return payments.payment_create(
            payer=payer,
            payee=shop,
            amount_minor=5_000,
            description="家电",
            pin=PIN,
            idempotency=Idempotency(
                user_id=payer.pk,
                key="refused-once-c41d",
                fingerprint=fingerprint,
                render=renderers.payment_result,
            ),
        )

    outcomes = run_together([send] * 10)

    errors = [o.error for o in outcomes]
    assert sum(isinstance(e, InsufficientFunds) for e in errors) == 1, errors
    replays = [e for e in errors if isinstance(e, Replayed)]
    assert len(replays) == 9, errors
    record = IdempotencyRecord.objects.get()
    assert record.status_code == 422
    assert record.response["error"]["code"] == "insufficient_funds"
    assert all(r.status_code == 422 and r.body == record.response for r in replays)
    assert not Payment.objects.exists()
    assert balance_of(wallet_account(payer)) == 1_000
    assert_ledger_clean()


def test_concurrent_payments_beyond_the_balance_pass_exactly_as_many_as_it_covers():
    payer = make_resident(level=3)
    fund(payer, 5_000)
    shop = shop_account()

    def pay():
        return payments.payment_create(
            payer=payer, payee=shop, amount_minor=1_000, description="奶茶", pin=PIN
        )

    outcomes = run_together([pay] * 10)

    assert sum(isinstance(o.value, PaymentResult) for o in outcomes) == 5
    assert sum(isinstance(o.error, InsufficientFunds) for o in outcomes) == 5, [
        o.error for o in outcomes
    ]
    assert balance_of(wallet_account(payer)) == 0
    assert balance_of(shop) == 5_000
    assert Payment.objects.count() == 5
    assert_ledger_clean()


def test_ten_wrong_pins_at_once_count_four_then_lock():
    resident = make_resident(level=3)

    outcomes = run_together([lambda: pin_verify(user=resident, pin=WRONG_PIN)] * 10)

    errors = [o.error for o in outcomes]
    assert sum(isinstance(e, PinIncorrect) for e in errors) == 4, errors
    assert sum(isinstance(e, PinLocked) for e in errors) == 6, errors
    profile = WalletProfile.objects.get(user=resident)
    assert profile.pin_locked_until is not None
    assert profile.pin_locked_until > timezone.now() + timedelta(minutes=29)
    # Locked means locked: the right PIN is refused too.
    with pytest.raises(PinLocked):
        pin_verify(user=resident, pin=PIN)


def test_a_hot_shop_takes_many_payments_and_refunds_at_once():
    shop = shop_account(name="网红面包", ref="shop:hot", hot=8)
    payers = residents(8, funding=25 * 500)
    tally = Tally()
    made: list[Payment] = []
    made_lock = threading.Lock()
    # Refunds run alongside the first 20 payments of each payer; the last 5 come after
    # them, so that credits are left in the shards rather than swept into the main row.
    refunds_done = threading.Barrier(8 + 2)
    tally.on_stop(refunds_done.abort)

    def pay(payer, seed: int):
        def work() -> None:
            rng = random.Random(seed)
            for number in range(25):
                if tally.stop.is_set():
                    return
                if number == 20:
                    try:
                        refunds_done.wait(timeout=30)
                    except threading.BrokenBarrierError:
                        return
                amount = rng.randint(100, 500)
                result = tally.outcome(
                    "payment",
                    lambda a=amount: payments.payment_create(
                        payer=payer, payee=shop, amount_minor=a, description="面包", pin=PIN
                    ),
                )
                if result is not None:
                    tally.count("paid minor", amount)
                    with made_lock:
                        made.append(result.payment)

        return work

    def refund(seed: int):
        def work() -> None:
            rng = random.Random(seed)
            done = 0
            while done < 8:
                if tally.stop.is_set():
                    return
                with made_lock:
                    payment = made.pop(rng.randrange(len(made))) if made else None
                if payment is None:
                    threading.Event().wait(0.005)
                    continue
                result = tally.outcome(
                    "refund", lambda p=payment: payments.payment_refund(payment=p, reason="售罄")
                )
                if result is not None:
                    tally.count("refunded minor", result.amount_minor)
                done += 1
            try:
                refunds_done.wait(timeout=30)
            except threading.BrokenBarrierError:
                return

        return work

    outcomes = run_together(
        [pay(payer, n) for n, payer in enumerate(payers)] + [refund(100), refund(101)]
    )
    print("\n", sorted(tally.counts.items()), f"{max(o.seconds for o in outcomes):.1f}s")

    assert tally.unexpected == [], tally.report
    assert [o.error for o in outcomes] == [None] * 10
    assert tally.counts.get("payment ok") == 8 * 25
    assert tally.counts.get("refund ok") == 2 * 8
    paid, refunded = tally.counts["paid minor"], tally.counts["refunded minor"]
    assert balance_of(shop) == paid - refunded
    assert sum(balance_of(wallet_account(p)) for p in payers) == 8 * 25 * 500 - balance_of(shop)
    # Every credit and every refund is one posting on the shop's account.
    assert Posting.objects.filter(account=shop).count() == 8 * 25 + 2 * 8
    # The 40 payments after the last refund (and its sweep) landed in shards chosen at
    # random: all in one of 8 shards has a chance of 8**-39.
    assert AccountShard.objects.filter(account=shop, balance_minor__gt=0).count() > 1
    assert_nothing_negative()
    assert_ledger_clean()


def test_capture_and_void_of_one_hold_at_once_exactly_one_wins():
    payer = make_resident(level=3)
    fund(payer, 50_000)
    shop = shop_account()
    wallet = wallet_account(payer)
    captured = 0
    for _round in range(20):
        hold = payments.hold_create(
            payer=payer, payee=shop, amount_minor=1_000, description="押金", pin=PIN
        ).hold

        capture, void = run_together(
            [
                lambda h=hold: payments.hold_capture(hold=h),
                lambda h=hold: payments.hold_void(hold=h),
            ]
        )

        winners = [o for o in (capture, void) if o.error is None]
        losers = [o for o in (capture, void) if o.error is not None]
        assert len(winners) == 1 and len(losers) == 1, (capture.error, void.error)
        assert isinstance(losers[0].error, HoldNotActive), losers[0].error
        hold.refresh_from_db()
        if capture.error is None:
            captured += 1
            assert hold.status == Hold.Status.CAPTURED
        else:
            assert hold.status == Hold.Status.VOIDED
        wallet.refresh_from_db()
        assert wallet.held_minor == 0

    print(f"\n captures won {captured} of 20")
    assert balance_of(wallet) == 50_000 - captured * 1_000
    assert balance_of(shop) == captured * 1_000
    assert Payment.objects.count() == captured
    assert_ledger_clean()


# Lock order. ledger.post locks the accounts of a posting in primary-key order. A refund and a
# capture first lock their payment or hold, and with it (select_related) the payer's and the
# payee's account rows, in join order: payer first. When the shop's account is older than the
# resident's wallet, which is the usual case, a new payment by the same resident to the same
# shop takes the two rows the other way round.


def test_refunds_and_new_payments_of_one_resident_at_one_shop_do_not_deadlock():
    # Given a shop opened before the resident's wallet, and 40 earlier payments to it
    shop = shop_account()
    payer = make_resident(level=3)
    fund(payer, 100_000)
    assert shop.pk < wallet_account(payer).pk
    earlier = [
        payments.payment_create(
            payer=payer, payee=shop, amount_minor=100, description="早饭", pin=PIN
        ).payment
        for _ in range(40)
    ]
    tally = Tally()

    def refunds(chunk: list[Payment]):
        def work() -> None:
            for payment in chunk:
                if tally.stop.is_set():
                    return
                tally.outcome("refund", lambda p=payment: payments.payment_refund(payment=p))

        return work

    def new_payments() -> None:
        for _ in range(20):
            if tally.stop.is_set():
                return
            tally.outcome(
                "payment",
                lambda: payments.payment_create(
                    payer=payer, payee=shop, amount_minor=100, description="午饭", pin=PIN
                ),
            )

    # When the shop refunds them while she goes on paying it
    run_together([refunds(earlier[:20]), refunds(earlier[20:]), new_payments, new_payments])

    # Then every refund and every payment goes through, none of them a deadlock victim
    assert tally.unexpected == [], tally.report
    assert tally.counts == {"refund ok": 40, "payment ok": 40}
    assert balance_of(shop) == 40 * 100
    assert balance_of(wallet_account(payer)) == 100_000 - 40 * 100
    assert_ledger_clean()


def test_captures_and_new_payments_of_one_resident_at_one_shop_do_not_deadlock():
    # Given a shop opened before the resident's wallet, and 40 holds for it
    shop = shop_account()
    payer = make_resident(level=3)
    fund(payer, 100_000)
    assert shop.pk < wallet_account(payer).pk
    holds = [
        payments.hold_create(
            payer=payer, payee=shop, amount_minor=100, description="押金", pin=PIN
        ).hold
        for _ in range(40)
    ]
    tally = Tally()

    def captures(chunk: list[Hold]):
        def work() -> None:
            for hold in chunk:
                if tally.stop.is_set():
                    return
                tally.outcome("capture", lambda h=hold: payments.hold_capture(hold=h))

        return work

    def new_payments() -> None:
        for _ in range(20):
            if tally.stop.is_set():
                return
            tally.outcome(
                "payment",
                lambda: payments.payment_create(
                    payer=payer, payee=shop, amount_minor=100, description="租车", pin=PIN
                ),
            )

    # When the shop captures them while she goes on paying it
    run_together([captures(holds[:20]), captures(holds[20:]), new_payments, new_payments])

    # Then every capture and every payment goes through
    assert tally.unexpected == [], tally.report
    assert tally.counts == {"capture ok": 40, "payment ok": 40}
    assert balance_of(shop) == 80 * 100
    wallet = wallet_account(payer)
    assert balance_of(wallet) == 100_000 - 80 * 100
    assert wallet.held_minor == 0
    assert_ledger_clean()
