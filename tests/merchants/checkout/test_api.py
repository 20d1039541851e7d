"""The checkout API: create, list, status and pay requests; issue and charge codes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from merchants.models import PaymentRequest
from merchants.services import checkout
from merchants.services.accounts import shop_account
from tests.merchants.checkout.conftest import balance_of
from tests.merchants.conftest import PIN, make_cashier
from wallet.models import Payment
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_request_is_created_once_per_key_and_paid_once(shop, cashier, resident):
    till = api_for(cashier)
    url = reverse("api-checkout-request-create", args=[shop.pk])

    # Given a request made with a key, sent twice
    made = till.post(
        url, {"amount_minor": 2_500, "reference": "A-17"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = till.post(
        url, {"amount_minor": 2_500, "reference": "A-17"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert made.status_code == 201 and again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert made.json() == again.json()
    assert PaymentRequest.objects.count() == 1
    body = made.json()
    assert body["status"] == "open" and body["pay_path"] == f"/pay/r/{body['token']}/"
    assert body["received_minor"] is None

    # When the resident pays it (twice with one key, then with another)
    payer = api_for(resident)
    pay_url = reverse("api-checkout-request-pay", args=[body["token"]])
    paid = payer.post(pay_url, {"pin": PIN}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    replayed = payer.post(pay_url, {"pin": PIN}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    refused = payer.post(pay_url, {"pin": PIN}, format="json", HTTP_IDEMPOTENCY_KEY="p2")

    # Then one payment; the other key is told it is already paid
    assert paid.status_code == 201, paid.json()
    assert paid.json()["request"]["status"] == "paid"
    assert paid.json()["balance"]["available_minor"] == 97_500
    assert replayed.json() == paid.json()
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "request_paid"
    assert Payment.objects.count() == 1
    assert balance_of(shop_account(shop)) == 2_500

    status = till.get(reverse("api-checkout-request", args=[body["id"]]))
    assert status.json()["status"] == "paid"
    assert status.json()["payment_id"] == Payment.objects.get().pk
    assert status.json()["received_minor"] == 2_500


def test_money_moving_calls_need_an_idempotency_key(shop, cashier, resident):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=100)
    response = api_for(resident).post(
        reverse("api-checkout-request-pay", args=[request.token]), {"pin": PIN}, format="json"
    )
    assert response.status_code in (400, 422)
    assert Payment.objects.count() == 0


def test_another_shops_cashier_gets_404_everywhere(shop, other_shop, cashier, resident):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=100)
    stranger = api_for(make_cashier(other_shop))
    code = checkout.code_issue(user=resident, pin=PIN).code

    assert stranger.get(reverse("api-checkout-requests", args=[shop.pk])).status_code == 404
    assert stranger.get(reverse("api-checkout-request", args=[request.pk])).status_code == 404
    created = stranger.post(
        reverse("api-checkout-request-create", args=[shop.pk]),
        {"amount_minor": 100},
        format="json",
        HTTP_IDEMPOTENCY_KEY="s1",
    )
    charged = stranger.post(
        reverse("api-checkout-code-charge", args=[shop.pk]),
        {"code": code, "amount_minor": 100},
        format="json",
        HTTP_IDEMPOTENCY_KEY="s2",
    )
    assert created.status_code == 404 and charged.status_code == 404
    assert PaymentRequest.objects.count() == 1 and Payment.objects.count() == 0


def test_the_recent_list_takes_a_fixed_number_of_queries(shop, cashier, django_assert_num_queries):
    for amount in range(100, 1100, 100):
        checkout.request_create(cashier=cashier, shop=shop, amount_minor=amount)
    till = api_for(cashier)
    url = reverse("api-checkout-requests", args=[shop.pk])

    # the shop (scoped to the caller), then the requests with their people
    with django_assert_num_queries(2):
        response = till.get(url)
    assert [row["amount_minor"] for row in response.json()][:2] == [1_000, 900]


def test_a_code_is_issued_with_the_pin_and_charged_once(shop, cashier, resident):
    issued = api_for(resident).post(reverse("api-checkout-code-issue"), {"pin": PIN}, format="json")
    assert issued.status_code == 201
    code = issued.json()["code"]
    assert issued.json()["max_amount_minor"] == 200_000

    till = api_for(cashier)
    url = reverse("api-checkout-code-charge", args=[shop.pk])
    charged = till.post(
        url, {"code": code, "amount_minor": 1_230}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    twice = till.post(
        url, {"code": code, "amount_minor": 1_230}, format="json", HTTP_IDEMPOTENCY_KEY="c2"
    )

    assert charged.status_code == 201
    assert charged.json()["payment"]["amount_minor"] == 1_230
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "code_used"
    assert balance_of(wallet_account(resident)) == 98_770


def test_a_wrong_pin_issues_no_code(resident):
    response = api_for(resident).post(
        reverse("api-checkout-code-issue"), {"pin": "135791"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "pin_incorrect"
