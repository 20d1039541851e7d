"""Worked examples of the help reward in escrow, with the wallet balances at each step.

Read them as the manual: 王芳 (¥100.00) asks for help with a reward, 李雷 helps. The ledger
check runs after every test (tests/community/conftest.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.errors import HelpAlreadyDone, HelpNotOpen, HelpWrongState
from community.models import HelpDispute, HelpOffer, HelpRequest
from community.services import helping
from core.models import Notification
from tests.community.conftest import make_staff, wallet_balance
from tests.community.helping.conftest import PIN, available, later
from wallet.errors import HoldNotActive
from wallet.models import Account, Hold
from wallet.services import ledger, payments
from wallet.services.accounts import system_account

pytestmark = pytest.mark.django_db

Status = HelpRequest.Status


def open_request(requester, estate, reward=20_00, **extra):
    return helping.help_request_open(
        requester=requester,
        neighbourhood=estate,
        title="取快递",
        details="菜鸟驿站 3 号柜",
        reward_minor=reward,
        pin=PIN,
        **extra,
    )


def accepted_request(requester, helper, estate, reward=20_00):
    request = open_request(requester, estate, reward=reward)
    offer = helping.help_offer(helper=helper, request=request, message="我正好下楼")
    helping.help_accept(requester=requester, offer=offer)
    request.refresh_from_db()
    return request


def escrow_balance() -> int:
    return ledger.account_balance(system_account(Account.SystemCode.ESCROW)).balance_minor


def test_opening_holds_the_reward_and_completion_pays_the_helper(estate, wang, li):
    # Given 王芳 with ¥100.00 opens a request with a ¥20.00 reward
    request = open_request(wang, estate)

    # Then ¥20.00 is held: her balance is still ¥100.00 but only ¥80.00 is available
    assert (wallet_balance(wang), available(wang)) == (100_00, 80_00)
    assert request.hold.amount_minor == 20_00 and request.hold.status == Hold.Status.ACTIVE
    # and the hold lives through the open window plus the grace period
    assert request.hold.expires_at - request.expires_at >= helping.HOLD_GRACE

    # When 李雷 offers, she accepts, and she confirms it is done
    offer = helping.help_offer(helper=li, request=request)
    helping.help_accept(requester=wang, offer=offer)
    result = helping.help_complete(requester=wang, request=request)

    # Then the whole reward moved to 李雷's wallet, and nothing stays in escrow
    assert (wallet_balance(wang), available(wang)) == (80_00, 80_00)
    assert wallet_balance(li) == 20_00
    assert escrow_balance() == 0
    assert result.payment is not None and result.payment.amount_minor == 20_00
    request.refresh_from_db()
    assert request.status == Status.COMPLETED and request.closed_at is not None
    assert request.hold.status == Hold.Status.CAPTURED
    assert Notification.objects.filter(user=li, kind="help_completed").exists()


def test_completing_twice_captures_once(estate, wang, li):
    request = accepted_request(wang, li, estate)
    helping.help_complete(requester=wang, request=request)

    with pytest.raises(HelpWrongState):
        helping.help_complete(requester=wang, request=request)

    assert wallet_balance(li) == 20_00 and wallet_balance(wang) == 80_00


def test_cancelling_an_open_request_returns_the_reward(estate, wang):
    request = open_request(wang, estate)

    helping.help_cancel(requester=wang, request=request)

    assert (wallet_balance(wang), available(wang)) == (100_00, 100_00)
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    assert request.hold.status == Hold.Status.VOIDED


def test_cancelling_after_accepting_tells_the_helper(estate, wang, li):
    request = accepted_request(wang, li, estate)

    helping.help_cancel(requester=wang, request=request)

    assert available(wang) == 100_00 and wallet_balance(li) == 0
    assert Notification.objects.filter(user=li, kind="help_cancelled").exists()


def test_once_the_helper_marked_it_done_the_requester_cannot_cancel(estate, wang, li):
    request = accepted_request(wang, li, estate)
    helping.help_mark_done(helper=li, request=request)

    with pytest.raises(HelpAlreadyDone):
        helping.help_cancel(requester=wang, request=request)
    assert available(wang) == 80_00


def test_an_open_request_past_its_time_expires_and_returns_the_reward_once(estate, wang, li):
    request = open_request(wang, estate, open_for=timedelta(hours=2))
    offer = helping.help_offer(helper=li, request=request)

    # When the sweep runs after the open window, twice
    first = helping.help_requests_sweep(now=later(hours=3))
    second = helping.help_requests_sweep(now=later(hours=3))

    # Then the request expired once and ¥20.00 is available again
    assert first["expired"] == 1 and second["expired"] == 0
    assert available(wang) == 100_00
    request.refresh_from_db()
    offer.refresh_from_db()
    assert request.status == Status.EXPIRED and offer.status == HelpOffer.Status.DECLINED
    assert Notification.objects.filter(user=wang, kind="help_expired").count() == 1


def test_an_expired_request_cannot_be_accepted_even_before_the_sweep(estate, wang, li):
    request = open_request(wang, estate, open_for=timedelta(hours=1))
    offer = helping.help_offer(helper=li, request=request)
    HelpRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now())

    with pytest.raises(HelpNotOpen):
        helping.help_accept(requester=wang, offer=offer)


def test_done_and_not_answered_in_three_days_completes_by_itself(estate, wang, li):
    request = accepted_request(wang, li, estate)
    helping.help_mark_done(helper=li, request=request)

    assert helping.help_requests_sweep(now=later(days=2))["completed"] == 0
    assert helping.help_requests_sweep(now=later(days=3, minutes=1))["completed"] == 1
    assert helping.help_requests_sweep(now=later(days=3, minutes=2))["completed"] == 0

    assert wallet_balance(li) == 20_00 and wallet_balance(wang) == 80_00
    request.refresh_from_db()
    assert request.status == Status.COMPLETED


def test_accepted_but_never_done_returns_to_the_requester_before_the_hold_expires(estate, wang, li):
    request = accepted_request(wang, li, estate)
    hold_expiry = request.hold.expires_at

    # A day before the wallet would expire the hold, the sweep settles it itself
    counts = helping.help_requests_sweep(now=hold_expiry - timedelta(hours=23))

    assert counts["returned"] == 1
    request.refresh_from_db()
    assert request.status == Status.EXPIRED
    assert request.hold.status == Hold.Status.VOIDED
    assert available(wang) == 100_00 and wallet_balance(li) == 0
    # and the wallet's own expiry finds nothing left to do
    assert payments.holds_expire_due(now=hold_expiry + timedelta(minutes=1)) == 0


def test_if_the_wallet_expired_the_hold_first_the_sweep_moves_no_money(estate, wang, li):
    request = accepted_request(wang, li, estate)
    helping.help_mark_done(helper=li, request=request)
    hold_expiry = request.hold.expires_at
    # The beat was down: the wallet's expiry released the hold before our sweep ran
    assert payments.holds_expire_due(now=hold_expiry + timedelta(minutes=1)) == 1

    counts = helping.help_requests_sweep(now=hold_expiry + timedelta(minutes=2))

    assert counts == {"expired": 0, "completed": 0, "returned": 1, "dispute_returned": 0}
    assert available(wang) == 100_00 and wallet_balance(li) == 0
    request.refresh_from_db()
    assert request.status == Status.EXPIRED


def test_dispute_split_pays_the_helper_exactly_their_share(estate, wang, li):
    staff = make_staff(estate)
    request = accepted_request(wang, li, estate, reward=20_01)
    helping.help_dispute_open(user=wang, request=request, reason="只取了一半的快递")
    request.refresh_from_db()
    assert request.status == Status.DISPUTED and available(wang) == 100_00 - 20_01

    # When staff split it: ¥12.34 to the helper, the rest back to 王芳
    helping.help_dispute_resolve(
        staff=staff, request=request, outcome="split", helper_share_minor=12_34, note="各让一步"
    )

    assert wallet_balance(li) == 12_34
    assert (wallet_balance(wang), available(wang)) == (100_00 - 12_34, 100_00 - 12_34)
    assert escrow_balance() == 0
    dispute = HelpDispute.objects.get(request=request)
    assert (dispute.status, dispute.helper_share_minor, dispute.resolved_by) == (
        HelpDispute.Status.RESOLVED,
        12_34,
        staff,
    )
    assert dispute.resolution_note == "各让一步" and dispute.resolved_at is not None
    assert Notification.objects.filter(kind="help_dispute_resolved").count() == 2


@pytest.mark.parametrize(("outcome", "helper_gets"), [("helper", 20_00), ("requester", 0)])
def test_dispute_paid_all_to_one_side(estate, wang, li, outcome, helper_gets):
    staff = make_staff(estate)
    request = accepted_request(wang, li, estate)
    helping.help_mark_done(helper=li, request=request)
    helping.help_dispute_open(user=li, request=request, reason="她不确认")

    helping.help_dispute_resolve(staff=staff, request=request, outcome=outcome)

    assert wallet_balance(li) == helper_gets
    assert (wallet_balance(wang), available(wang)) == (100_00 - helper_gets,) * 2
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    # and a second decision finds nothing to decide
    with pytest.raises(HelpWrongState):
        helping.help_dispute_resolve(staff=staff, request=request, outcome="helper")


def test_a_dispute_staff_never_decided_returns_the_reward_before_the_hold_expires(estate, wang, li):
    request = accepted_request(wang, li, estate)
    helping.help_dispute_open(user=wang, request=request, reason="没来")

    counts = helping.help_requests_sweep(now=request.hold.expires_at - timedelta(hours=1))

    assert counts["dispute_returned"] == 1
    assert available(wang) == 100_00
    dispute = HelpDispute.objects.get(request=request)
    assert dispute.status == HelpDispute.Status.RESOLVED and dispute.helper_share_minor == 0


def test_a_request_without_reward_holds_nothing(estate, wang, li):
    request = open_request(wang, estate, reward=0)
    assert request.hold is None and available(wang) == 100_00
    offer = helping.help_offer(helper=li, request=request)
    helping.help_accept(requester=wang, offer=offer)

    result = helping.help_complete(requester=wang, request=request)

    assert result.payment is None and wallet_balance(li) == 0


def test_the_hold_is_gone_so_completion_is_refused(estate, wang, li):
    request = accepted_request(wang, li, estate)
    Hold.objects.filter(pk=request.hold_id).update(expires_at=timezone.now())

    with pytest.raises(HoldNotActive):
        helping.help_complete(requester=wang, request=request)
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED
