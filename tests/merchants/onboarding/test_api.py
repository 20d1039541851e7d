"""Onboarding API: shapes, error codes, operators only, scoping and query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from merchants.models import Shop, ShopStaff, StaffInvite
from merchants.services import onboarding as services
from tests.merchants.conftest import make_cashier, make_shop
from tests.merchants.onboarding.conftest import (
    BAD_CHECK_CODE,
    GOOD_CODE,
    api_for,
    make_applicant,
    make_card,
    queries_of,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=args)


def body(estate, card, **overrides):
    data = {
        "name": "老李修鞋",
        "business_name": "福州老李修鞋店",
        "credit_code": BAD_CHECK_CODE,
        "category": "services",
        "neighbourhood_id": estate.pk,
        "address": "阳光路 8 号",
        "settlement_card_id": card.pk,
    }
    data.update(overrides)
    return data


def test_anonymous_callers_are_refused(estate):
    assert APIClient().post(url("api-merchant-apply"), {}).status_code == 401
    assert APIClient().get(url("api-estate-shops", estate.pk)).status_code == 401


def test_apply_then_an_operator_approves(estate, applicant, card, operator):
    created = api_for(applicant).post(url("api-merchant-apply"), body(estate, card), format="json")

    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "pending"
    assert created.json()["credit_code_checks"] is False
    shop_id = created.json()["id"]
    queue = api_for(operator).get(url("api-merchant-applications")).json()
    assert [row["id"] for row in queue["results"]] == [shop_id]
    reviewed = api_for(operator).post(
        url("api-merchant-application-review", shop_id), {"approve": True}, format="json"
    )
    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "approved"
    # reviewed applications leave the queue: a second review is 404
    again = api_for(operator).post(
        url("api-merchant-application-review", shop_id), {"approve": True}, format="json"
    )
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"credit_code": "12345"}, 422, "credit_code_malformed"),
        ({"settlement_card_id": 999999}, 422, "settlement_card_invalid"),
    ],
)
def test_apply_refusals(estate, applicant, card, overrides, status, code):
    response = api_for(applicant).post(
        url("api-merchant-apply"), body(estate, card, **overrides), format="json"
    )

    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_apply_with_someone_elses_card_or_unverified(estate, applicant):
    stranger_card = make_card(make_applicant(estate))
    unverified = make_applicant(estate, level=0)

    stolen = api_for(applicant).post(
        url("api-merchant-apply"), body(estate, stranger_card), format="json"
    )
    refused = api_for(unverified).post(
        url("api-merchant-apply"), body(estate, make_card(unverified)), format="json"
    )

    assert stolen.json()["error"]["code"] == "settlement_card_invalid"
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "owner_not_verified"
    assert not Shop.objects.exists()


def test_only_operators_list_and_review(estate, applicant, card):
    shop = services.shop_apply(
        owner=applicant,
        name="店",
        business_name="公司",
        credit_code=GOOD_CODE,
        category="food",
        neighbourhood=estate,
        address="路",
        settlement_card=card,
    )
    client = api_for(applicant)

    listed = client.get(url("api-merchant-applications"))
    review = client.post(
        url("api-merchant-application-review", shop.pk), {"approve": True}, format="json"
    )

    assert listed.status_code == 403
    assert listed.json()["error"]["code"] == "operator_only"
    assert review.status_code == 403
    shop.refresh_from_db()
    assert shop.status == Shop.Status.PENDING


def test_reject_without_a_reason_is_refused(estate, applicant, card, operator):
    created = api_for(applicant).post(url("api-merchant-apply"), body(estate, card), format="json")

    response = api_for(operator).post(
        url("api-merchant-application-review", created.json()["id"]),
        {"approve": False},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "review_reason_required"


def test_invite_list_accept_and_revoke(shop, estate):
    resident = make_applicant(estate)
    owner = api_for(shop.owner)

    created = owner.post(url("api-merchant-invites", shop.pk), {"phone": resident.phone[3:]})
    assert created.status_code == 201, created.json()
    assert created.json()["staff_role"] == "cashier"
    duplicate = owner.post(url("api-merchant-invites", shop.pk), {"phone": resident.phone})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "invite_already_pending"
    assert [i["id"] for i in owner.get(url("api-merchant-invites", shop.pk)).json()["results"]] == [
        created.json()["id"]
    ]

    mine = api_for(resident).get(url("api-my-shop-invites")).json()
    assert [i["shop_id"] for i in mine] == [shop.pk]
    accepted = api_for(resident).post(url("api-my-shop-invite-accept", created.json()["id"]))
    assert accepted.status_code == 200
    assert accepted.json()["staff_role"] == "cashier"
    assert ShopStaff.objects.filter(shop=shop, user=resident).exists()

    second = owner.post(url("api-merchant-invites", shop.pk), {"phone": "13912345678"})
    revoked = owner.post(url("api-merchant-invite-revoke", shop.pk, second.json()["id"]))
    assert revoked.json()["status"] == "revoked"


def test_a_cashier_of_shop_x_gets_404_for_shop_y(shop, other_shop):
    cashier = make_cashier(other_shop)
    invite = services.staff_invite(owner=shop.owner, shop=shop, phone="13912345678")
    client = api_for(cashier)

    assert client.get(url("api-merchant-invites", shop.pk)).status_code == 404
    assert (
        client.post(url("api-merchant-invites", shop.pk), {"phone": "13712345678"}).status_code
        == 404
    )
    assert client.post(url("api-merchant-invite-revoke", shop.pk, invite.pk)).status_code == 404
    assert (
        client.post(url("api-merchant-invite-revoke", other_shop.pk, invite.pk)).status_code == 404
    )
    assert client.post(url("api-my-shop-invite-accept", invite.pk)).status_code == 404
    assert StaffInvite.objects.get(pk=invite.pk).status == StaffInvite.Status.PENDING


def test_a_cashier_cannot_invite_to_their_own_shop(shop):
    response = api_for(make_cashier(shop)).post(
        url("api-merchant-invites", shop.pk), {"phone": "13912345678"}
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "shop_owner_only"


def test_the_directory_api_filters_and_scopes(estate, other_estate, shop, other_shop):
    resident = make_applicant(estate)

    food = api_for(resident).get(url("api-estate-shops", estate.pk), {"category": "food"})
    everything = api_for(resident).get(url("api-estate-shops", estate.pk))

    assert [row["id"] for row in food.json()] == [other_shop.pk]
    assert {row["id"] for row in everything.json()} == {shop.pk, other_shop.pk}
    assert all(row["pay_url"].startswith("/wallet/pay/") for row in everything.json())
    outsider = api_for(make_applicant(other_estate))
    assert outsider.get(url("api-estate-shops", estate.pk)).status_code == 404


def test_the_directory_api_takes_the_same_queries_for_few_or_many(estate, shop):
    client = api_for(make_applicant(estate))
    few = queries_of(lambda: client.get(url("api-estate-shops", estate.pk)))
    for i in range(5):
        make_shop(estate, f"小店{i}")

    many = queries_of(lambda: client.get(url("api-estate-shops", estate.pk)))

    assert many == few
