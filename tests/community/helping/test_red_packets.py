"""Red packets: the split, sending, claiming, expiry, with the wallet balances."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from community.errors import (
    NotAMember,
    RedPacketAlreadyClaimed,
    RedPacketCircleOnly,
    RedPacketClaimsTooFast,
    RedPacketNotOpen,
    RedPacketOwn,
    VerificationNeeded,
)
from community.models import CircleMember, Membership, RedPacket
from community.services import redpackets
from core.errors import NotFound, ValidationFailed
from core.models import Notification
from tests.community.conftest import fund, wallet_balance
from tests.community.helping.conftest import PIN, available, in_circle, make_circle, resident
from wallet.models import Hold
from wallet.services import payments

# --- the split, on its own ----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    shares=st.integers(min_value=1, max_value=redpackets.MAX_SHARES),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_shares_sum_to_the_total_and_each_is_at_least_a_fen(data, shares, seed):
    total = data.draw(st.integers(min_value=shares, max_value=redpackets.MAX_TOTAL_MINOR))

    amounts = redpackets.split_total(total, shares, random.Random(seed))

    assert len(amounts) == shares
    assert sum(amounts) == total
    assert min(amounts) >= 1


@given(
    remaining=st.integers(min_value=2, max_value=10**6),
    data=st.data(),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_a_share_stays_within_twice_the_average(remaining, data, seed):
    left = data.draw(st.integers(min_value=2, max_value=min(remaining, 100)))

    share = redpackets.draw_share(remaining, left, random.Random(seed))

    assert 1 <= share <= max(1, 2 * remaining // left - 1)
    assert remaining - share >= left - 1


def test_a_draw_needs_a_fen_a_share():
    with pytest.raises(ValueError):
        redpackets.draw_share(2, 3)


# --- sending and claiming -----------------------------------------------------------------


@pytest.fixture
def circle_of(estate):
    def make(sender, *members):
        return make_circle(estate, sender, *members)

    return make


def send(sender, circle, total=10_00, shares=3, **extra):
    return redpackets.red_packet_send(
        sender=sender, circle=circle, total_minor=total, shares=shares, pin=PIN, **extra
    )


@pytest.mark.django_db
def test_a_packet_is_held_claimed_in_shares_and_finished(
    estate, wang, li, zhang, django_capture_on_commit_callbacks
):
    # Given 王芳 (¥100.00) sends ¥10.00 in 2 shares to a circle with 李雷 and 张伟
    circle = make_circle(estate, wang, li, zhang)
    with django_capture_on_commit_callbacks(execute=True):
        packet = send(wang, circle, total=10_00, shares=2, greeting="新年快乐")

    # Then ¥10.00 is held, and the circle's members were told
    assert (wallet_balance(wang), available(wang)) == (100_00, 90_00)
    assert packet.expires_at == packet.hold.expires_at
    assert packet.expires_at - timezone.now() <= timedelta(hours=24)
    assert set(
        Notification.objects.filter(kind="red_packet").values_list("user_id", flat=True)
    ) == {li.pk, zhang.pk}

    # When both open it
    first = redpackets.red_packet_claim(user=li, packet=packet)
    second = redpackets.red_packet_claim(user=zhang, packet=packet)

    # Then their shares add up to ¥10.00 exactly, taken from 王芳's wallet
    assert first.claim.amount_minor + second.claim.amount_minor == 10_00
    assert wallet_balance(li) == first.claim.amount_minor
    assert wallet_balance(zhang) == second.claim.amount_minor
    assert (wallet_balance(wang), available(wang)) == (90_00, 90_00)
    packet.refresh_from_db()
    assert (packet.status, packet.claimed_minor, packet.claimed_count) == ("finished", 10_00, 2)
    assert packet.hold.status == Hold.Status.CAPTURED
    assert Notification.objects.filter(user=wang, kind="red_packet_finished").count() == 1
    # and the best luck is marked on the larger share
    claims = redpackets.red_packet_claims(packet)
    assert [c.best_luck for c in claims].count(True) == 1
    best = next(c for c in claims if c.best_luck)
    assert best.amount_minor == max(c.amount_minor for c in claims)


@pytest.mark.django_db
def test_one_claim_per_member_and_none_after_the_last_share(estate, wang, li, zhang):
    circle = make_circle(estate, wang, li, zhang)
    packet = send(wang, circle, total=1_00, shares=1)

    redpackets.red_packet_claim(user=li, packet=packet)

    with pytest.raises((RedPacketAlreadyClaimed, RedPacketNotOpen)):
        redpackets.red_packet_claim(user=li, packet=packet)
    with pytest.raises(RedPacketNotOpen):
        redpackets.red_packet_claim(user=zhang, packet=packet)
    assert wallet_balance(li) == 1_00 and wallet_balance(zhang) == 0


@pytest.mark.django_db
def test_claiming_twice_in_an_open_packet_is_refused(estate, wang, li, zhang):
    circle = make_circle(estate, wang, li, zhang)
    packet = send(wang, circle, total=5_00, shares=3)
    redpackets.red_packet_claim(user=li, packet=packet)

    with pytest.raises(RedPacketAlreadyClaimed):
        redpackets.red_packet_claim(user=li, packet=packet)
    packet.refresh_from_db()
    assert packet.claimed_count == 1


@pytest.mark.django_db
def test_the_sender_cannot_claim(estate, wang, li):
    packet = send(wang, make_circle(estate, wang, li))
    with pytest.raises(RedPacketOwn):
        redpackets.red_packet_claim(user=wang, packet=packet)


@pytest.mark.django_db
def test_unverified_members_can_neither_send_nor_claim(estate, wang):
    unverified = resident(estate, funding=50_00, level=0)
    circle = make_circle(estate, wang, unverified)

    with pytest.raises(VerificationNeeded):
        send(unverified, circle)
    packet = send(wang, circle)
    with pytest.raises(VerificationNeeded):
        redpackets.red_packet_claim(user=unverified, packet=packet)
    assert wallet_balance(unverified) == 50_00 and available(unverified) == 50_00


@pytest.mark.django_db
def test_only_active_members_of_the_circle_send_and_claim(estate, wang, li, zhang):
    circle = make_circle(estate, wang)
    in_circle(circle, li, status=CircleMember.Status.PENDING)
    packet = send(wang, circle)

    with pytest.raises(RedPacketCircleOnly):
        redpackets.red_packet_claim(user=li, packet=packet)
    with pytest.raises(RedPacketCircleOnly):
        redpackets.red_packet_claim(user=zhang, packet=packet)
    with pytest.raises(RedPacketCircleOnly):
        send(zhang, circle)


@pytest.mark.django_db
def test_the_sender_is_a_confirmed_resident(estate, wang):
    visitor = resident(estate, funding=50_00, status=Membership.Status.VISITOR)
    circle = make_circle(estate, wang, visitor)
    with pytest.raises(NotAMember):
        send(visitor, circle)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("total", "shares", "field"),
    [(200_01, 1, "total_minor"), (2, 3, "total_minor"), (500, 0, "shares"), (500, 101, "shares")],
)
def test_sizes_are_checked(estate, wang, total, shares, field):
    circle = make_circle(estate, wang)
    with pytest.raises(ValidationFailed) as refused:
        send(wang, circle, total=total, shares=shares)
    assert field in refused.value.fields
    assert available(wang) == 100_00


@pytest.mark.django_db
def test_the_largest_packet_and_smallest_shares_are_allowed(estate, wang, li):
    fund(wang, 200_00)
    circle = make_circle(estate, wang, li)
    packet = send(wang, circle, total=redpackets.MAX_TOTAL_MINOR, shares=1)
    small = send(wang, circle, total=100, shares=100)
    assert redpackets.red_packet_claim(user=li, packet=packet).claim.amount_minor == 200_00
    assert redpackets.red_packet_claim(user=li, packet=small).claim.amount_minor == 1


@pytest.mark.django_db
def test_claims_are_rate_limited(estate, wang, li, monkeypatch):
    monkeypatch.setattr(redpackets, "CLAIMS_PER_WINDOW", 2)
    circle = make_circle(estate, wang, li)
    packets = [send(wang, circle, total=1_00, shares=1) for _ in range(3)]
    redpackets.red_packet_claim(user=li, packet=packets[0])
    redpackets.red_packet_claim(user=li, packet=packets[1])

    with pytest.raises(RedPacketClaimsTooFast) as refused:
        redpackets.red_packet_claim(user=li, packet=packets[2])
    assert refused.value.status_code == 429 and refused.value.code == "rate_limited"


# --- expiry -------------------------------------------------------------------------------


def expire(packet, minutes=1):
    return redpackets.red_packets_expire_due(now=packet.expires_at + timedelta(minutes=minutes))


@pytest.mark.django_db
def test_expiry_returns_the_unclaimed_rest_exactly_once(estate, wang, li, zhang):
    circle = make_circle(estate, wang, li, zhang)
    packet = send(wang, circle, total=10_00, shares=3)
    got = redpackets.red_packet_claim(user=li, packet=packet).claim.amount_minor

    assert expire(packet) == 1
    assert expire(packet, minutes=2) == 0

    packet.refresh_from_db()
    assert packet.status == RedPacket.Status.EXPIRED
    assert packet.refunded_minor == 10_00 - got
    assert (wallet_balance(wang), available(wang)) == (100_00 - got, 100_00 - got)
    assert Notification.objects.filter(user=wang, kind="red_packet_expired").count() == 1
    with pytest.raises(RedPacketNotOpen):
        redpackets.red_packet_claim(user=zhang, packet=packet)


@pytest.mark.django_db
def test_expiry_after_the_wallet_released_the_hold_first(estate, wang, li):
    circle = make_circle(estate, wang, li)
    packet = send(wang, circle, total=10_00, shares=3)
    got = redpackets.red_packet_claim(user=li, packet=packet).claim.amount_minor
    # The wallet's own hold expiry ran first
    assert payments.holds_expire_due(now=packet.expires_at + timedelta(seconds=1)) == 1

    assert expire(packet) == 1
    assert expire(packet) == 0

    packet.refresh_from_db()
    assert packet.refunded_minor == 10_00 - got
    assert available(wang) == 100_00 - got and wallet_balance(wang) == 100_00 - got


@pytest.mark.django_db
def test_nothing_expires_early(estate, wang):
    packet = send(wang, make_circle(estate, wang))
    assert redpackets.red_packets_expire_due(now=packet.expires_at - timedelta(seconds=1)) == 0
    assert available(wang) == 90_00


@pytest.mark.django_db
def test_a_claim_at_the_expiry_instant_is_too_late(estate, wang, li):
    packet = send(wang, make_circle(estate, wang, li))
    RedPacket.objects.filter(pk=packet.pk).update(expires_at=timezone.now())
    with pytest.raises(RedPacketNotOpen):
        redpackets.red_packet_claim(user=li, packet=packet)


@pytest.mark.django_db
def test_packets_of_another_estate_are_not_found(estate, other_estate, wang):
    packet = send(wang, make_circle(estate, wang))
    stranger = resident(other_estate)
    with pytest.raises(NotFound):
        redpackets.red_packet_for(stranger, packet.pk)
    with pytest.raises(NotFound):
        redpackets.circle_for(stranger, packet.circle_id)


@pytest.mark.django_db
def test_announcing_twice_tells_each_member_once(
    estate, wang, li, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        packet = send(wang, make_circle(estate, wang, li))
    assert redpackets.red_packet_announce(packet_id=packet.pk) == 0
    assert Notification.objects.filter(user=li, kind="red_packet").count() == 1
