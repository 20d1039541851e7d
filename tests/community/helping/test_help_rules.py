"""Who may ask, offer, choose, rate and dispute, and what they are told."""

from __future__ import annotations

import pytest

from community.errors import (
    HelpAlreadyOffered,
    HelpAlreadyRated,
    HelpDisputeExists,
    HelpNotAllowed,
    HelpNotOpen,
    HelpOfferNotAvailable,
    HelpOfferRefused,
    HelpOwnRequest,
    HelpWrongState,
    NotAMember,
    NotEstateStaff,
)
from community.models import Block, HelpOffer, HelpRequest, Membership
from community.services import helping
from core.errors import NotFound, ValidationFailed
from core.models import Notification
from tests.community.conftest import make_staff
from tests.community.helping.conftest import PIN, available, resident
from wallet.errors import PinIncorrect

pytestmark = pytest.mark.django_db


def ask(requester, estate, reward=0, **extra):
    return helping.help_request_open(
        requester=requester,
        neighbourhood=estate,
        title="遛狗",
        reward_minor=reward,
        pin=PIN,
        **extra,
    )


def test_visitors_cannot_ask_for_help(estate):
    visitor = resident(estate, funding=10_00, status=Membership.Status.VISITOR)
    with pytest.raises(NotAMember):
        ask(visitor, estate, reward=5_00)
    assert not HelpRequest.objects.exists() and available(visitor) == 10_00


def test_open_window_is_bounded(estate, wang):
    from datetime import timedelta

    with pytest.raises(ValidationFailed) as refused:
        ask(wang, estate, open_for=timedelta(days=15))
    assert "open_for" in refused.value.fields


def test_a_wrong_pin_holds_nothing(estate, wang):
    with pytest.raises(PinIncorrect):
        helping.help_request_open(
            requester=wang, neighbourhood=estate, title="x", reward_minor=5_00, pin="135791"
        )
    assert not HelpRequest.objects.exists() and available(wang) == 100_00


def test_offers_come_from_confirmed_neighbours_of_the_same_estate(estate, other_estate, wang):
    request = ask(wang, estate)
    stranger = resident(other_estate)
    visitor = resident(estate, status=Membership.Status.VISITOR)

    with pytest.raises(HelpOwnRequest):
        helping.help_offer(helper=wang, request=request)
    with pytest.raises(NotAMember):
        helping.help_offer(helper=stranger, request=request)
    with pytest.raises(NotAMember):
        helping.help_offer(helper=visitor, request=request)


def test_someone_the_requester_blocked_cannot_offer(estate, wang, li):
    Block.objects.create(blocker=wang, blocked=li)
    request = ask(wang, estate)

    with pytest.raises(HelpOfferRefused):
        helping.help_offer(helper=li, request=request)
    # and the blocked person's requests are not on the requester's board
    ask(li, estate)
    assert list(helping.help_board(wang, estate)) == [request]


def test_one_offer_each_notified_to_the_requester(estate, wang, li):
    request = ask(wang, estate)
    offer = helping.help_offer(helper=li, request=request, message="我有空")

    with pytest.raises(HelpAlreadyOffered):
        helping.help_offer(helper=li, request=request)
    notice = Notification.objects.get(user=wang, kind="help_offer")
    assert "遛狗" in notice.title and notice.url == f"/help/{request.pk}/"

    # A withdrawn offer may be made again
    helping.help_offer_withdraw(helper=li, offer=offer)
    again = helping.help_offer(helper=li, request=request)
    assert again.pk == offer.pk and again.status == HelpOffer.Status.OFFERED


def test_accepting_one_declines_the_others_and_tells_everyone(estate, wang, li, zhang):
    request = ask(wang, estate, reward=10_00)
    chosen = helping.help_offer(helper=li, request=request)
    other = helping.help_offer(helper=zhang, request=request)

    helping.help_accept(requester=wang, offer=chosen)

    chosen.refresh_from_db()
    other.refresh_from_db()
    request.refresh_from_db()
    assert (chosen.status, other.status) == ("accepted", "declined")
    assert request.status == "accepted" and request.helper == li
    assert Notification.objects.filter(user=li, kind="help_accepted").exists()
    assert Notification.objects.filter(user=zhang, kind="help_declined").exists()
    # A second accept finds the request taken
    with pytest.raises(HelpNotOpen):
        helping.help_accept(requester=wang, offer=other)


def test_only_the_requester_accepts(estate, wang, li, zhang):
    request = ask(wang, estate)
    offer = helping.help_offer(helper=li, request=request)
    with pytest.raises(HelpNotAllowed):
        helping.help_accept(requester=zhang, offer=offer)


def test_a_withdrawn_offer_cannot_be_accepted(estate, wang, li):
    request = ask(wang, estate)
    offer = helping.help_offer(helper=li, request=request)
    helping.help_offer_withdraw(helper=li, offer=offer)
    with pytest.raises(HelpOfferNotAvailable):
        helping.help_accept(requester=wang, offer=offer)


def test_a_chosen_helper_who_backs_out_reopens_the_request(estate, wang, li, zhang):
    request = ask(wang, estate, reward=10_00)
    chosen = helping.help_offer(helper=li, request=request)
    other = helping.help_offer(helper=zhang, request=request)
    helping.help_accept(requester=wang, offer=chosen)

    helping.help_offer_withdraw(helper=li, offer=chosen)

    request.refresh_from_db()
    other.refresh_from_db()
    assert request.status == "open" and request.helper is None
    assert other.status == HelpOffer.Status.OFFERED
    assert available(wang) == 90_00  # the reward stays held for the next helper
    helping.help_accept(requester=wang, offer=other)


def test_only_the_helper_marks_done_and_only_once(estate, wang, li, zhang):
    request = ask(wang, estate)
    helping.help_accept(requester=wang, offer=helping.help_offer(helper=li, request=request))

    with pytest.raises(HelpNotAllowed):
        helping.help_mark_done(helper=zhang, request=request)
    helping.help_mark_done(helper=li, request=request)
    with pytest.raises(HelpWrongState):
        helping.help_mark_done(helper=li, request=request)
    assert Notification.objects.filter(user=wang, kind="help_done").exists()


def completed(estate, requester, helper):
    request = ask(requester, estate, reward=5_00)
    helping.help_accept(
        requester=requester, offer=helping.help_offer(helper=helper, request=request)
    )
    return helping.help_complete(requester=requester, request=request).request


def test_each_side_rates_the_other_once(estate, wang, li, zhang):
    request = completed(estate, wang, li)

    helping.help_rate(rater=wang, request=request, stars=5, comment="很准时")
    helping.help_rate(rater=li, request=request, stars=4)

    with pytest.raises(HelpAlreadyRated):
        helping.help_rate(rater=wang, request=request, stars=1)
    with pytest.raises(HelpNotAllowed):
        helping.help_rate(rater=zhang, request=request, stars=1)
    with pytest.raises(ValidationFailed):
        helping.help_rate(rater=li, request=request, stars=6)
    second = completed(estate, wang, li)
    helping.help_rate(rater=wang, request=second, stars=4)
    assert helping.rating_summary(li.pk) == helping.RatingSummary(4.5, 2)
    assert helping.rating_summary(wang.pk) == helping.RatingSummary(4.0, 1)
    assert helping.rating_summaries([li.pk, zhang.pk])[zhang.pk].count == 0


def test_rating_waits_for_completion(estate, wang, li):
    request = ask(wang, estate)
    with pytest.raises(HelpWrongState):
        helping.help_rate(rater=wang, request=request, stars=5)


def test_disputes_are_for_the_two_sides_once_and_only_staff_of_the_estate_decide(
    estate, other_estate, wang, li, zhang
):
    staff = make_staff(estate)
    other_staff = make_staff(other_estate)
    request = ask(wang, estate, reward=10_00)
    with pytest.raises(HelpWrongState):  # nobody chosen yet
        helping.help_dispute_open(user=wang, request=request, reason="?")
    helping.help_accept(requester=wang, offer=helping.help_offer(helper=li, request=request))
    with pytest.raises(HelpNotAllowed):
        helping.help_dispute_open(user=zhang, request=request, reason="看不惯")

    helping.help_dispute_open(user=li, request=request, reason="她不付钱")
    with pytest.raises((HelpDisputeExists, HelpWrongState)):
        helping.help_dispute_open(user=wang, request=request, reason="我也要")
    assert Notification.objects.filter(user=wang, kind="help_dispute").exists()
    assert Notification.objects.filter(user=staff, kind="help_dispute").exists()

    request.refresh_from_db()
    with pytest.raises(NotEstateStaff):
        helping.help_dispute_resolve(staff=other_staff, request=request, outcome="helper")
    with pytest.raises(NotEstateStaff):
        helping.help_dispute_resolve(staff=wang, request=request, outcome="helper")
    with pytest.raises(ValidationFailed):
        helping.help_dispute_resolve(
            staff=staff, request=request, outcome="split", helper_share_minor=10_00
        )
    assert available(wang) == 90_00


def test_requests_of_another_estate_are_not_found(estate, other_estate, wang):
    request = ask(wang, estate)
    stranger = resident(other_estate)

    with pytest.raises(NotFound):
        helping.help_request_for(stranger, request.pk)
    assert helping.help_request_for(wang, request.pk) == request
