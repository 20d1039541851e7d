"""The till, a request's QR, the static QR, the pay page and the payment code page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.models import PaymentCode, PaymentRequest
from merchants.services import checkout
from merchants.services.accounts import shop_account
from tests.merchants.checkout.conftest import balance_of
from tests.merchants.conftest import PIN, make_cashier, make_member
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_cashier_asks_for_an_amount_and_sees_its_qr_code(shop, cashier):
    client = client_for(cashier)
    till = client.get(reverse("merchant-till", args=[shop.pk]))
    assert till.status_code == 200
    key = till.context["form"].initial["idempotency_key"]

    response = client.post(
        reverse("merchant-till", args=[shop.pk]),
        {"amount": "25", "reference": "A-17", "idempotency_key": key},
    )
    # A double tap (same key) shows the same request, not a second one
    again = client.post(
        reverse("merchant-till", args=[shop.pk]),
        {"amount": "25", "reference": "A-17", "idempotency_key": key},
    )

    made = PaymentRequest.objects.get()
    assert made.amount_minor == 2_500
    target = reverse("merchant-till-request", args=[shop.pk, made.pk])
    assert response.url == target
    assert again.url == target
    page = client.get(target).content.decode()
    assert "<svg" in page and "¥25.00" in page
    assert f'data-request-id="{made.pk}"' in page


def test_a_resident_pays_a_request_on_its_pay_page(shop, cashier, resident):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    client = client_for(resident)
    url = reverse("merchant-request-pay", args=[request.token])
    assert url == f"/pay/r/{request.token}/"

    page = client.get(url)
    assert page.status_code == 200
    assert shop.name in page.content.decode() and "¥25.00" in page.content.decode()
    key = page.context["form"].initial["idempotency_key"]
    paid = client.post(url, {"pin": PIN, "idempotency_key": key})

    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.PAID
    assert paid.url == reverse("wallet-transaction", args=[request.payment.transaction_id])
    assert balance_of(shop_account(shop)) == 2_500
    closed = client.get(url).content.decode()
    assert "already been paid" in closed


def test_a_wrong_pin_on_the_pay_page_pays_nothing(shop, cashier, resident):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    client = client_for(resident)
    url = reverse("merchant-request-pay", args=[request.token])
    key = client.get(url).context["form"].initial["idempotency_key"]

    response = client.post(url, {"pin": "135791", "idempotency_key": key})

    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert balance_of(wallet_account(resident)) == 100_000


def test_a_cashier_of_another_shop_gets_404(shop, other_shop, cashier):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    stranger = client_for(make_cashier(other_shop))

    for url in [
        reverse("merchant-till", args=[shop.pk]),
        reverse("merchant-till-request", args=[shop.pk, request.pk]),
        reverse("merchant-till-request", args=[other_shop.pk, request.pk]),
        reverse("merchant-static-qr", args=[shop.pk]),
    ]:
        assert stranger.get(url).status_code == 404, url
    response = stranger.post(
        reverse("merchant-till", args=[shop.pk]), {"amount": "1", "idempotency_key": "k"}
    )
    assert response.status_code == 404
    assert PaymentRequest.objects.count() == 1


def test_the_static_qr_encodes_the_shops_open_amount_pay_link(shop, cashier):
    page = client_for(cashier).get(reverse("merchant-static-qr", args=[shop.pk]))
    assert page.status_code == 200
    assert page.context["pay_url"].startswith("http://testserver/wallet/pay/")
    assert "<svg" in page.content.decode()


def test_the_till_lists_recent_requests_in_a_fixed_number_of_queries(
    shop, cashier, resident, django_assert_max_num_queries
):
    client = client_for(cashier)
    for amount in (100, 200):
        checkout.request_create(cashier=cashier, shop=shop, amount_minor=amount)
    url = reverse("merchant-till", args=[shop.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    paid = checkout.request_create(cashier=make_cashier(shop), shop=shop, amount_minor=300)
    checkout.request_pay(payer=resident, payment_request=paid, pin=PIN)
    for amount in range(400, 1000, 100):
        checkout.request_create(cashier=cashier, shop=shop, amount_minor=amount)

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert len(page.context["recent"]) == 9


def test_the_cashier_charges_a_payment_code_on_the_till(shop, cashier, resident):
    code = checkout.code_issue(user=resident, pin=PIN).code
    client = client_for(cashier)
    response = client.post(
        reverse("merchant-till-code", args=[shop.pk]),
        {"code": code, "amount": "12.30", "idempotency_key": "till-code-1"},
        follow=True,
    )
    assert re.search(r"Received [A-Z]*¥12\.30", response.content.decode())
    assert balance_of(shop_account(shop)) == 1_230

    used = client.post(
        reverse("merchant-till-code", args=[shop.pk]),
        {"code": code, "amount": "1", "idempotency_key": "till-code-2"},
    )
    assert "already been used" in used.content.decode()


def test_the_resident_shows_a_code_after_the_pin_and_renews_it(resident):
    client = client_for(resident)
    page = client.post(reverse("merchant-payment-code"), {"pin": PIN})
    shown = re.search(r"data-code>([0-9 ]+)<", page.content.decode())
    assert shown and shown.group(1).replace(" ", "").startswith("28")

    renewed = client.post(reverse("merchant-payment-code-next"))
    assert renewed.status_code == 200
    assert renewed.json()["code"] != shown.group(1).replace(" ", "")
    assert PaymentCode.objects.filter(user=resident).count() == 2

    # A page that never had the PIN typed gets no code
    newcomer = client_for(make_member(None))
    assert newcomer.post(reverse("merchant-payment-code-next")).status_code == 403


def test_the_shop_home_links_to_the_till(shop, cashier):
    page = client_for(cashier).get(reverse("merchant-home")).content.decode()
    assert reverse("merchant-till", args=[shop.pk]) in page
