"""Help and red packet pages: the flows a resident clicks through, scoping, query counts."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from community.models import HelpRequest, RedPacket
from community.services import helping, redpackets
from tests.community.conftest import make_staff, wallet_balance
from tests.community.helping.conftest import PIN, available, make_circle, resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_asking_for_help_asks_for_the_pin_only_when_the_wallet_needs_it(estate, wang, signed_in):
    client = signed_in(wang)
    url = reverse("help-new", args=[estate.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"data-pin" not in page.content
    key = page.context["form"].initial["idempotency_key"]
    form = {"title": "取快递", "reward": "20", "open_for": "3", "idempotency_key": key}

    # First submit: the reward needs the PIN, so the page shows what will be held and asks
    step = client.post(url, form)
    assert step.status_code == 200 and b"data-pin" in step.content
    assert b"data-preview" in step.content and not HelpRequest.objects.exists()

    # Second submit with the PIN, then a double tap of the same form
    done = client.post(url, {**form, "pin": PIN})
    again = client.post(url, {**form, "pin": PIN})

    request = HelpRequest.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/help/{request.pk}/"
    assert again["Location"] == done["Location"]
    assert available(wang) == 80_00


def test_a_request_without_reward_needs_no_pin(estate, wang, signed_in):
    client = signed_in(wang)
    url = reverse("help-new", args=[estate.pk])
    key = client.get(url).context["form"].initial["idempotency_key"]
    response = client.post(url, {"title": "借梯子", "open_for": "1", "idempotency_key": key})
    assert response.status_code == 302 and HelpRequest.objects.get().reward_minor == 0


def test_the_whole_help_flow_by_clicking(estate, wang, li, signed_in, client):
    request = helping.help_request_open(
        requester=wang, neighbourhood=estate, title="修自行车", reward_minor=10_00, pin=PIN
    )
    url = reverse("help-detail", args=[request.pk])

    signed_in(li)
    assert b"data-offer-form" in client.get(url).content
    client.post(url, {"action": "offer", "message": "我会修"})
    signed_in(wang)
    page = client.get(url)
    offer = page.context["offers"][0]
    client.post(url, {"action": "accept", "offer_id": offer.pk})
    signed_in(li)
    client.post(url, {"action": "done"})
    signed_in(wang)
    key = client.get(url).context["complete_form"].initial["idempotency_key"]
    client.post(url, {"action": "complete", "idempotency_key": key})
    client.post(url, {"action": "complete", "idempotency_key": key})
    client.post(url, {"action": "rate", "stars": "5", "comment": "专业"})

    request.refresh_from_db()
    assert request.status == HelpRequest.Status.COMPLETED
    assert wallet_balance(li) == 10_00 and wallet_balance(wang) == 90_00
    assert helping.rating_summary(li.pk).average == 5.0
    signed_in(li)
    assert "★ 5.0" in client.get(reverse("help-board", args=[estate.pk])).content.decode()


def test_staff_see_and_settle_a_dispute(estate, wang, li, signed_in):
    staff = make_staff(estate)
    request = helping.help_request_open(
        requester=wang, neighbourhood=estate, title="x", reward_minor=10_00, pin=PIN
    )
    helping.help_accept(requester=wang, offer=helping.help_offer(helper=li, request=request))
    helping.help_dispute_open(user=wang, request=request, reason="没来")
    client = signed_in(staff)
    url = reverse("help-detail", args=[request.pk])

    assert b"data-resolve-form" in client.get(url).content
    client.post(url, {"action": "resolve", "outcome": "split", "helper_share": "2.50"})

    assert (wallet_balance(li), wallet_balance(wang)) == (2_50, 97_50)


def test_help_pages_of_another_estate_are_not_found(estate, other_estate, wang, signed_in):
    request = helping.help_request_open(requester=wang, neighbourhood=estate, title="x")
    client = signed_in(resident(other_estate))

    assert client.get(reverse("help-board", args=[estate.pk])).status_code == 404
    assert client.get(reverse("help-new", args=[estate.pk])).status_code == 404
    assert client.get(reverse("help-detail", args=[request.pk])).status_code == 404
    assert (
        client.post(reverse("help-detail", args=[request.pk]), {"action": "offer"}).status_code
        == 404
    )


def test_the_help_board_costs_the_same_few_queries_for_many_rows(
    estate, wang, li, signed_in, django_assert_max_num_queries
):
    for n in range(6):
        asker = resident(estate)
        mine = helping.help_request_open(requester=wang, neighbourhood=estate, title=f"我的 {n}")
        theirs = helping.help_request_open(requester=asker, neighbourhood=estate, title=f"求助 {n}")
        helping.help_offer(helper=wang, request=theirs)
        helping.help_offer(helper=li, request=mine)
    client = signed_in(wang)

    with django_assert_max_num_queries(14):
        page = client.get(reverse("help-board", args=[estate.pk]))
    assert len(page.context["open_requests"]) == 12
    assert len(page.context["my_offers"]) == 6 and len(page.context["my_requests"]) == 6


def test_sending_and_opening_a_red_packet(estate, wang, li, signed_in, client):
    circle = make_circle(estate, wang, li)
    signed_in(wang)
    url = reverse("red-packet-new", args=[circle.pk])
    key = client.get(url).context["form"].initial["idempotency_key"]
    form = {"total": "8.88", "shares": "1", "greeting": "发发发", "idempotency_key": key}
    assert b"data-pin" in client.post(url, form).content
    sent = client.post(url, {**form, "pin": PIN})
    packet = RedPacket.objects.get()
    assert sent["Location"] == f"/red-packets/{packet.pk}/"

    signed_in(li)
    page_url = reverse("red-packet", args=[packet.pk])
    key = client.get(page_url).context["claim_form"].initial["idempotency_key"]
    client.post(page_url, {"idempotency_key": key})
    opened = client.post(page_url, {"idempotency_key": key}, follow=True)

    assert wallet_balance(li) == 8_88
    assert "8.88" in opened.content.decode() and b"data-best-luck" in opened.content
    assert b"data-my-share" in opened.content


def test_the_circle_partial_lists_open_packets_with_a_claim_button(estate, wang, li, rf):
    circle = make_circle(estate, wang, li)
    packet = redpackets.red_packet_send(
        sender=wang, circle=circle, total_minor=2_00, shares=2, pin=PIN
    )
    request = rf.get("/")
    request.user = li

    html = render_to_string(
        "community/helping/_circle_red_packets.html",
        {"circle": circle, "red_packets": redpackets.circle_red_packets(circle, li), "user": li},
        request=request,
    )

    assert f'data-red-packet-row="{packet.pk}"' in html
    assert f'action="/red-packets/{packet.pk}/"' in html


def test_red_packet_pages_of_another_estate_are_not_found(estate, other_estate, wang, signed_in):
    circle = make_circle(estate, wang)
    packet = redpackets.red_packet_send(
        sender=wang, circle=circle, total_minor=1_00, shares=1, pin=PIN
    )
    client = signed_in(resident(other_estate))
    assert client.get(reverse("red-packet", args=[packet.pk])).status_code == 404
    assert client.get(reverse("red-packet-new", args=[circle.pk])).status_code == 404
    assert client.get(reverse("circle-red-packets", args=[circle.pk])).status_code == 404


def test_a_packets_page_costs_the_same_few_queries_for_many_claims(
    estate, wang, signed_in, django_assert_max_num_queries
):
    claimants = [resident(estate, level=1) for _ in range(8)]
    circle = make_circle(estate, wang, *claimants)
    packet = redpackets.red_packet_send(
        sender=wang, circle=circle, total_minor=8_00, shares=8, pin=PIN
    )
    for person in claimants:
        redpackets.red_packet_claim(user=person, packet=packet)
    client = signed_in(wang)

    with django_assert_max_num_queries(10):
        page = client.get(reverse("red-packet", args=[packet.pk]))
    assert len(page.context["claims"]) == 8
