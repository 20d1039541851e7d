"""Refunds at the shop: full, partial up to what was paid, by the owner or a cashier, once
per key; another shop's payment is 404; nothing is half-written when a refund is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.errors import NotFound
from core.models import Notification
from merchants.models import ShopRefund
from merchants.services import refunds
from merchants.services.accounts import shop_account
from tests.merchants.conftest import make_cashier, make_member
from tests.merchants.sales.conftest import paid
from wallet.errors import RefundExceedsPayment
from wallet.models import JournalTransaction, Payment
from wallet.services import ledger
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def balance(account) -> int:
    return ledger.account_balance(account).balance_minor


def test_a_full_refund_gives_back_what_was_paid(
    shop, cashier, resident, django_capture_on_commit_callbacks
):
    # Given a ¥25.00 payment
    payment = paid(shop, cashier, resident, 2_500)
    assert balance(wallet_account(resident)) == 97_500

    # When the owner refunds it in full
    with django_capture_on_commit_callbacks(execute=True):
        given = refunds.refund_create(actor=shop.owner, shop=shop, payment=payment, reason="Spoilt")

    # Then the resident has it back, the shop has nothing, and it is on record
    assert given.refund.amount_minor == 2_500
    assert given.payment.status == Payment.Status.REFUNDED
    assert balance(wallet_account(resident)) == 100_000
    assert balance(shop_account(shop)) == 0
    refund = ShopRefund.objects.get()
    assert (refund.refunded_by, refund.reason, refund.shop) == (shop.owner, "Spoilt", shop)
    assert refund.transaction.kind == JournalTransaction.Kind.REFUND
    assert refund.transaction.parent_id == payment.transaction_id
    assert Notification.objects.filter(user=resident, kind="refund_received").count() == 1


def test_partial_refunds_add_up_to_the_payment_and_no_further(shop, cashier, resident):
    payment = paid(shop, cashier, resident, 2_500)
    refunds.refund_create(actor=cashier, shop=shop, payment=payment, amount_minor=1_000)
    second = refunds.refund_create(actor=cashier, shop=shop, payment=payment, amount_minor=1_500)
    assert second.payment.status == Payment.Status.REFUNDED

    with pytest.raises(RefundExceedsPayment):
        refunds.refund_create(actor=cashier, shop=shop, payment=payment, amount_minor=1)

    assert ShopRefund.objects.count() == 2
    assert balance(wallet_account(resident)) == 100_000


def test_a_refund_above_what_is_left_writes_nothing(shop, cashier, resident):
    payment = paid(shop, cashier, resident, 2_500)
    refunds.refund_create(actor=cashier, shop=shop, payment=payment, amount_minor=2_000)
    with pytest.raises(RefundExceedsPayment):
        refunds.refund_create(actor=cashier, shop=shop, payment=payment, amount_minor=600)
    payment.refresh_from_db()
    assert payment.refunded_minor == 2_000
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert ShopRefund.objects.count() == 1


def test_a_cashiers_refund_tells_the_owner(shop, cashier, resident):
    payment = paid(shop, cashier, resident, 2_500)
    refunds.refund_create(actor=cashier, shop=shop, payment=payment, amount_minor=500)
    notice = Notification.objects.get(user=shop.owner, kind="shop_refund")
    assert "¥5.00" in notice.title and shop.name in notice.title
    # The owner's own refunds do not notify the owner
    refunds.refund_create(actor=shop.owner, shop=shop, payment=payment, amount_minor=500)
    assert Notification.objects.filter(user=shop.owner, kind="shop_refund").count() == 1


def test_another_shops_payment_cannot_be_refunded(estate, shop, other_shop, cashier, resident):
    payment = paid(shop, cashier, resident, 2_500)
    other_cashier = make_cashier(other_shop)
    # Not staff of the shop
    with pytest.raises(NotFound):
        refunds.refund_create(actor=other_cashier, shop=shop, payment=payment)
    # Staff of a shop, but the payment went to another one
    with pytest.raises(NotFound):
        refunds.refund_create(actor=other_cashier, shop=other_shop, payment=payment)
    assert ShopRefund.objects.count() == 0


def test_refund_api_once_per_key_and_scoped(shop, other_shop, cashier, resident):
    payment = paid(shop, cashier, resident, 2_500)
    url = reverse("api-shop-refund-create", args=[shop.pk, payment.pk])
    till = api_for(cashier)

    first = till.post(
        url, {"amount_minor": 1_000, "reason": "一个坏了"}, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    again = till.post(
        url, {"amount_minor": 1_000, "reason": "一个坏了"}, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    reused = till.post(url, {"amount_minor": 900}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    too_much = till.post(url, {"amount_minor": 1_600}, format="json", HTTP_IDEMPOTENCY_KEY="r2")
    no_key = till.post(url, {"amount_minor": 100}, format="json")

    assert first.status_code == 201, first.json()
    assert first.json()["payment"] == {
        "id": payment.pk,
        "amount_minor": 2_500,
        "refunded_minor": 1_000,
        "status": "partially_refunded",
    }
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert too_much.status_code == 422
    assert too_much.json()["error"]["code"] == "refund_exceeds_payment"
    assert no_key.status_code == 400
    assert ShopRefund.objects.count() == 1

    # Another shop's cashier, a resident, and another shop's URL: all 404
    other_cashier = make_cashier(other_shop)
    assert (
        api_for(other_cashier).post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code
        == 404
    )
    assert (
        api_for(resident).post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="y").status_code == 404
    )
    wrong_shop = reverse("api-shop-refund-create", args=[other_shop.pk, payment.pk])
    assert (
        api_for(other_cashier)
        .post(wrong_shop, {}, format="json", HTTP_IDEMPOTENCY_KEY="z")
        .status_code
        == 404
    )
    assert ShopRefund.objects.count() == 1


def test_payments_api_lists_only_the_shops_own(estate, shop, other_shop, cashier, resident):
    mine = paid(shop, cashier, resident, 2_500)
    paid(other_shop, make_cashier(other_shop), resident, 900)
    response = api_for(cashier).get(reverse("api-shop-payments", args=[shop.pk]))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["payer_name"] == "*芳"
    assert rows[0]["gross_minor"] == 2_500 and rows[0]["discount_minor"] == 0

    detail = api_for(cashier).get(reverse("api-shop-payment", args=[shop.pk, mine.pk]))
    assert detail.status_code == 200 and detail.json()["refunds"] == []
    outsider = make_member(estate, real_name="李雷")
    assert api_for(outsider).get(reverse("api-shop-payments", args=[shop.pk])).status_code == 404
    assert (
        api_for(outsider).get(reverse("api-shop-payment", args=[shop.pk, mine.pk])).status_code
        == 404
    )


def test_refund_page(client, shop, cashier, resident):
    payment = paid(shop, cashier, resident, 2_500)
    client.force_login(cashier)
    url = reverse("merchant-payment", args=[shop.pk, payment.pk])
    page = client.get(url)
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    body = {"idempotency_key": key, "amount": "10.00", "reason": "少了一个"}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302  # a double submit refunds once
    assert ShopRefund.objects.get().amount_minor == 1_000
    page = client.get(url)
    assert "¥10.00" in page.content.decode() and "少了一个" in page.content.decode()

    wrong = client.post(url, {"idempotency_key": "other", "amount": "20.00"})
    assert wrong.status_code == 200
    assert "more than" in wrong.content.decode() or "exceed" in wrong.content.decode().lower()
    assert ShopRefund.objects.count() == 1


def test_payment_pages_are_404_for_other_shops(client, estate, shop, other_shop, cashier, resident):
    payment = paid(shop, cashier, resident, 2_500)
    client.force_login(make_cashier(other_shop))
    assert client.get(reverse("merchant-payments", args=[shop.pk])).status_code == 404
    assert client.get(reverse("merchant-payment", args=[shop.pk, payment.pk])).status_code == 404
    assert (
        client.get(reverse("merchant-payment", args=[other_shop.pk, payment.pk])).status_code == 404
    )
    assert client.get(reverse("merchant-dashboard", args=[shop.pk])).status_code == 404


def test_lists_do_not_grow_queries_with_rows(
    client, django_assert_max_num_queries, estate, shop, cashier
):
    payers = [make_member(estate, real_name=f"居民{i}") for i in range(6)]
    for payer in payers:
        from tests.merchants.conftest import fund

        fund(payer, 10_000)
    paid(shop, cashier, payers[0], 100)
    client.force_login(cashier)
    api = api_for(cashier)
    url = reverse("merchant-payments", args=[shop.pk])
    api_url = reverse("api-shop-payments", args=[shop.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_page:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as one_api:
        assert api.get(api_url).status_code == 200
    for payer in payers[1:]:
        paid(shop, cashier, payer, 100)
    with django_assert_max_num_queries(len(one_page)):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(len(one_api)):
        assert len(api.get(api_url).json()["results"]) == 6
