"""Neighbour help and red packets under real concurrency: threads on PostgreSQL.

SQLite serialises every writer, so these races only exist on PostgreSQL; without it the
tests skip (and fail under CI).
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Sum

from community.models import HelpOffer, HelpRequest, RedPacket, RedPacketClaim
from community.services import helping, redpackets
from tests.community.conftest import wallet_balance
from tests.community.helping.conftest import PIN, available, make_circle, resident
from tests.concurrency.conftest import run_together
from wallet.models import Hold, Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def codes(outcomes) -> Counter[str]:
    return Counter(
        "ok" if o.error is None else getattr(o.error, "code", repr(o.error)) for o in outcomes
    )


def test_two_accepts_at_once_exactly_one_wins_and_the_reward_is_captured_once(estate):
    wang = resident(estate, funding=100_00)
    helpers = [resident(estate) for _ in range(2)]
    request = helping.help_request_open(
        requester=wang, neighbourhood=estate, title="搬沙发", reward_minor=30_00, pin=PIN
    )
    offers = [helping.help_offer(helper=h, request=request) for h in helpers]

    # When 王芳 taps "accept" on both offers at the same moment (two tabs)
    accepted = run_together(
        [lambda o=offer: helping.help_accept(requester=wang, offer=o) for offer in offers]
    )

    # Then exactly one wins; the other is told the request is no longer open
    assert codes(accepted) == Counter({"ok": 1, "help_not_open": 1})
    assert HelpOffer.objects.filter(request=request, status="accepted").count() == 1
    request.refresh_from_db()
    assert request.status == HelpRequest.Status.ACCEPTED

    # When she confirms completion twice at once
    completed = run_together(
        [lambda: helping.help_complete(requester=wang, request=request) for _ in range(2)]
    )

    # Then the hold is captured once: the helper has ¥30.00, 王芳 paid ¥30.00
    assert codes(completed) == Counter({"ok": 1, "help_wrong_state": 1})
    assert Payment.objects.filter(hold_id=request.hold_id).count() == 1
    assert sorted(wallet_balance(h) for h in helpers) == [0, 30_00]
    assert (wallet_balance(wang), available(wang)) == (70_00, 70_00)
    assert Hold.objects.get(pk=request.hold_id).status == Hold.Status.CAPTURED


def test_complete_and_cancel_at_once_settle_the_reward_once(estate):
    wang = resident(estate, funding=100_00)
    li = resident(estate)
    request = helping.help_request_open(
        requester=wang, neighbourhood=estate, title="修水管", reward_minor=25_00, pin=PIN
    )
    helping.help_accept(requester=wang, offer=helping.help_offer(helper=li, request=request))

    outcomes = run_together(
        [
            lambda: helping.help_complete(requester=wang, request=request),
            lambda: helping.help_cancel(requester=wang, request=request),
        ]
    )

    assert codes(outcomes)["ok"] == 1
    request.refresh_from_db()
    if request.status == HelpRequest.Status.COMPLETED:
        assert (wallet_balance(li), wallet_balance(wang)) == (25_00, 75_00)
    else:
        assert (wallet_balance(li), available(wang)) == (0, 100_00)


def test_fifty_members_claiming_a_ten_share_packet_at_once(estate):
    # Given 王芳 sends ¥88.88 in 10 shares to a circle of 50 verified neighbours
    wang = resident(estate, funding=200_00)
    members = [resident(estate, level=1, phone=f"+86137{n:08d}") for n in range(50)]
    circle = make_circle(estate, wang, *members)
    packet = redpackets.red_packet_send(
        sender=wang, circle=circle, total_minor=88_88, shares=10, pin=PIN
    )

    # When all 50 open it at the same moment
    outcomes = run_together(
        [lambda m=member: redpackets.red_packet_claim(user=m, packet=packet) for member in members]
    )

    # Then exactly 10 got a share, the other 40 were told it is empty
    assert codes(outcomes) == Counter({"ok": 10, "red_packet_not_open": 40})
    assert RedPacketClaim.objects.filter(packet=packet).count() == 10
    claimed = RedPacketClaim.objects.filter(packet=packet).aggregate(total=Sum("amount_minor"))
    assert claimed["total"] == 88_88
    assert not RedPacketClaim.objects.filter(packet=packet, amount_minor__lt=1).exists()
    # and the money matches: the claimants received 88.88, 王芳 paid exactly that
    assert sum(wallet_balance(m) for m in members) == 88_88
    assert (wallet_balance(wang), available(wang)) == (200_00 - 88_88, 200_00 - 88_88)
    packet.refresh_from_db()
    assert (packet.status, packet.claimed_count, packet.claimed_minor) == (
        RedPacket.Status.FINISHED,
        10,
        88_88,
    )
    assert Hold.objects.get(pk=packet.hold_id).status == Hold.Status.CAPTURED


def test_one_member_claiming_from_five_devices_at_once_gets_one_share(estate):
    wang = resident(estate, funding=50_00)
    li = resident(estate)
    circle = make_circle(estate, wang, li, resident(estate))
    packet = redpackets.red_packet_send(
        sender=wang, circle=circle, total_minor=10_00, shares=2, pin=PIN
    )

    outcomes = run_together(
        [lambda: redpackets.red_packet_claim(user=li, packet=packet) for _ in range(5)]
    )

    assert codes(outcomes) == Counter({"ok": 1, "red_packet_already_claimed": 4})
    assert RedPacketClaim.objects.filter(packet=packet, user=li).count() == 1


def test_expiry_racing_the_wallets_hold_expiry_and_itself_refunds_once(estate):
    from datetime import timedelta

    from wallet.services import payments

    wang = resident(estate, funding=50_00)
    li = resident(estate)
    circle = make_circle(estate, wang, li)
    packet = redpackets.red_packet_send(
        sender=wang, circle=circle, total_minor=10_00, shares=3, pin=PIN
    )
    got = redpackets.red_packet_claim(user=li, packet=packet).claim.amount_minor
    after = packet.expires_at + timedelta(seconds=5)

    outcomes = run_together(
        [
            lambda: redpackets.red_packets_expire_due(now=after),
            lambda: redpackets.red_packets_expire_due(now=after),
            lambda: payments.holds_expire_due(now=after),
        ]
    )

    assert [o.error for o in outcomes] == [None, None, None]
    assert outcomes[0].value + outcomes[1].value == 1
    packet.refresh_from_db()
    assert packet.status == RedPacket.Status.EXPIRED and packet.refunded_minor == 10_00 - got
    assert (wallet_balance(wang), available(wang)) == (50_00 - got, 50_00 - got)
