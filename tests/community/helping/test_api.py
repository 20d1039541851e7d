"""The help and red packet API: round trips, idempotent replays, scoping, query counts."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from community.models import HelpRequest, RedPacket, RedPacketClaim
from community.services import helping, redpackets
from tests.community.conftest import make_staff, wallet_balance
from tests.community.helping.conftest import PIN, available, make_circle, resident

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def post(api, name, args, data=None, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(reverse(name, args=args), data or {}, format="json", **headers)


def test_the_help_lifecycle_through_the_api(estate, wang, li):
    requester, helper = client_for(wang), client_for(li)
    key = uuid.uuid4().hex
    body = {"title": "取快递", "reward_minor": 15_00, "pin": PIN}

    created = post(requester, "api-help-requests", [estate.pk], body, key=key)
    replayed = post(requester, "api-help-requests", [estate.pk], body, key=key)

    assert created.status_code == 201, created.json()
    assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    assert replayed.json() == created.json()
    assert HelpRequest.objects.count() == 1 and available(wang) == 85_00
    request_id = created.json()["id"]

    listed = helper.get(reverse("api-help-requests", args=[estate.pk])).json()
    assert [(r["id"], r["reward_minor"], r["offer_count"]) for r in listed] == [
        (request_id, 15_00, 0)
    ]
    offer = post(helper, "api-help-offer", [request_id], {"message": "我来"})
    assert offer.status_code == 201
    accepted = post(requester, "api-help-offer-accept", [offer.json()["id"]])
    assert accepted.json()["status"] == "accepted"
    assert post(helper, "api-help-done", [request_id]).json()["done_at"] is not None

    key = uuid.uuid4().hex
    first = post(requester, "api-help-complete", [request_id], key=key)
    again = post(requester, "api-help-complete", [request_id], key=key)
    assert first.status_code == 201 and first.json()["payment"]["amount_minor"] == 15_00
    assert again.json() == first.json() and wallet_balance(li) == 15_00

    rated = post(requester, "api-help-rate", [request_id], {"stars": 5, "comment": "谢谢"})
    assert rated.status_code == 201 and rated.json()["ratee_id"] == li.pk
    assert post(requester, "api-help-rate", [request_id], {"stars": 4}).json()["error"]["code"] == (
        "help_already_rated"
    )


def test_complete_without_a_key_is_refused(estate, wang, li):
    request = helping.help_request_open(
        requester=wang, neighbourhood=estate, title="x", reward_minor=1_00, pin=PIN
    )
    response = post(client_for(wang), "api-help-complete", [request.pk])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"


def test_a_second_accept_is_a_conflict(estate, wang, li, zhang):
    request = helping.help_request_open(requester=wang, neighbourhood=estate, title="x")
    offers = [helping.help_offer(helper=h, request=request) for h in (li, zhang)]
    api = client_for(wang)

    assert post(api, "api-help-offer-accept", [offers[0].pk]).status_code == 200
    second = post(api, "api-help-offer-accept", [offers[1].pk])

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "help_not_open"


def test_dispute_and_staff_split_through_the_api(estate, wang, li):
    staff = make_staff(estate)
    request = helping.help_request_open(
        requester=wang, neighbourhood=estate, title="x", reward_minor=10_00, pin=PIN
    )
    helping.help_accept(requester=wang, offer=helping.help_offer(helper=li, request=request))
    assert (
        post(client_for(li), "api-help-dispute", [request.pk], {"reason": "没付"}).status_code
        == 201
    )

    refused = post(client_for(wang), "api-help-resolve", [request.pk], {"outcome": "requester"})
    resolved = post(
        client_for(staff),
        "api-help-resolve",
        [request.pk],
        {"outcome": "split", "helper_share_minor": 4_00, "note": "一人一半不到"},
    )

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_estate_staff"
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["help_request"]["status"] == "resolved"
    assert (wallet_balance(li), wallet_balance(wang)) == (4_00, 96_00)


def test_another_estates_help_is_not_found(estate, other_estate, wang):
    request = helping.help_request_open(requester=wang, neighbourhood=estate, title="x")
    stranger = client_for(resident(other_estate))

    assert stranger.get(reverse("api-help-requests", args=[estate.pk])).status_code == 404
    assert stranger.get(reverse("api-help-request", args=[request.pk])).status_code == 404
    assert post(stranger, "api-help-offer", [request.pk]).status_code == 404
    assert post(stranger, "api-help-cancel", [request.pk]).status_code == 404
    created = post(stranger, "api-help-requests", [estate.pk], {"title": "x"}, key="k1")
    assert created.status_code == 404


def test_the_help_list_costs_the_same_few_queries_for_many_rows(
    estate, wang, django_assert_max_num_queries
):
    for n in range(8):
        asker = resident(estate)
        helping.help_request_open(requester=asker, neighbourhood=estate, title=f"求助 {n}")
    api = client_for(wang)

    with django_assert_max_num_queries(6):
        rows = api.get(reverse("api-help-requests", args=[estate.pk])).json()
    assert len(rows) == 8


def test_red_packets_through_the_api(estate, wang, li, zhang):
    circle = make_circle(estate, wang, li, zhang)
    sender = client_for(wang)
    key = uuid.uuid4().hex
    body = {"total_minor": 6_66, "shares": 2, "greeting": "恭喜发财", "pin": PIN}

    sent = post(sender, "api-red-packets", [circle.pk], body, key=key)
    assert post(sender, "api-red-packets", [circle.pk], body, key=key).json() == sent.json()
    assert sent.status_code == 201 and RedPacket.objects.count() == 1
    packet_id = sent.json()["id"]

    claim_key = uuid.uuid4().hex
    claimed = post(client_for(li), "api-red-packet-claim", [packet_id], key=claim_key)
    replay = post(client_for(li), "api-red-packet-claim", [packet_id], key=claim_key)
    assert claimed.status_code == 201 and replay.json() == claimed.json()
    assert RedPacketClaim.objects.count() == 1
    again = post(client_for(li), "api-red-packet-claim", [packet_id], key=uuid.uuid4().hex)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "red_packet_already_claimed"
    own = post(sender, "api-red-packet-claim", [packet_id], key=uuid.uuid4().hex)
    assert own.json()["error"]["code"] == "red_packet_own"
    post(client_for(zhang), "api-red-packet-claim", [packet_id], key=uuid.uuid4().hex)

    detail = client_for(zhang).get(reverse("api-red-packet", args=[packet_id])).json()
    assert detail["status"] == "finished"
    assert sum(c["amount_minor"] for c in detail["claims"]) == 6_66
    assert [c["best_luck"] for c in detail["claims"]].count(True) == 1
    listed = client_for(li).get(reverse("api-red-packets", args=[circle.pk])).json()
    assert [(p["id"], p["claimed_by_me"]) for p in listed] == [(packet_id, True)]
    assert wallet_balance(wang) == 100_00 - 6_66


def test_an_unverified_member_is_refused_with_a_clear_code(estate, wang):
    unverified = resident(estate, level=0, funding=10_00)
    circle = make_circle(estate, wang, unverified)
    response = post(
        client_for(unverified),
        "api-red-packets",
        [circle.pk],
        {"total_minor": 1_00, "shares": 1},
        key="k",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "verification_needed"


def test_another_estates_red_packets_are_not_found(estate, other_estate, wang):
    circle = make_circle(estate, wang)
    packet = redpackets.red_packet_send(
        sender=wang, circle=circle, total_minor=1_00, shares=1, pin=PIN
    )
    stranger = client_for(resident(other_estate))

    assert stranger.get(reverse("api-red-packet", args=[packet.pk])).status_code == 404
    assert stranger.get(reverse("api-red-packets", args=[circle.pk])).status_code == 404
    assert post(stranger, "api-red-packet-claim", [packet.pk], key="k").status_code == 404
    assert available(wang) == 99_00


def test_a_packets_claim_list_costs_the_same_few_queries(
    estate, wang, django_assert_max_num_queries
):
    claimants = [resident(estate, level=1) for _ in range(6)]
    circle = make_circle(estate, wang, *claimants)
    packet = redpackets.red_packet_send(
        sender=wang, circle=circle, total_minor=6_00, shares=6, pin=PIN
    )
    for person in claimants:
        redpackets.red_packet_claim(user=person, packet=packet)

    with django_assert_max_num_queries(4):
        detail = client_for(wang).get(reverse("api-red-packet", args=[packet.pk])).json()
    assert len(detail["claims"]) == 6
