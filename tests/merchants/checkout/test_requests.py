"""Dynamic QR: a cashier asks for an amount, a resident pays it once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import NotFound
from merchants.errors import RequestExpired, RequestPaid, ShopNotTrading
from merchants.models import PaymentRequest, Shop
from merchants.services import checkout
from merchants.services.accounts import shop_account
from tests.merchants.checkout.conftest import balance_of, listen, received
from tests.merchants.conftest import PIN, make_cashier
from wallet.errors import PinIncorrect, PinRequired
from wallet.models import Payment, WalletProfile
from wallet.services.accounts import wallet_account

pytestmark = pytest.mark.django_db


def test_a_resident_pays_a_request_and_the_shop_is_credited(shop, cashier, resident):
    # Given a cashier's request for ¥25.00
    request = checkout.request_create(
        cashier=cashier, shop=shop, amount_minor=2_500, reference=" A-17 "
    )
    assert request.status == PaymentRequest.Status.OPEN
    assert request.reference == "A-17"
    assert len(request.token) >= 20
    assert request.expires_at - timezone.now() == pytest.approx(
        timedelta(minutes=10), abs=timedelta(seconds=5)
    )

    # When the resident pays it with the PIN
    result = checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    # Then ¥25.00 moved from the wallet to the shop, and the request is paid by that payment
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.PAID
    assert request.payment == result.payment
    assert request.paid_by == resident
    assert request.paid_at is not None
    assert result.payment.amount_minor == 2_500
    assert result.payment.payee == shop_account(shop)
    assert balance_of(wallet_account(resident)) == 97_500
    assert result.balance.available_minor == 97_500
    assert balance_of(shop_account(shop)) == 2_500
    assert result.payment.transaction.metadata["payment_request_id"] == request.pk


def test_a_paid_request_is_refused_the_second_time(shop, cashier, resident):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    with pytest.raises(RequestPaid) as refused:
        checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    assert refused.value.code == "request_paid"
    assert "already been paid" in str(refused.value.message)
    assert Payment.objects.count() == 1
    assert balance_of(wallet_account(resident)) == 97_500


def test_a_stale_copy_of_a_paid_request_is_refused_under_the_lock(shop, cashier, resident):
    # Given a request read before someone else paid it
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    stale = PaymentRequest.objects.get(pk=request.pk)
    checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    # When the stale copy is paid, the locked re-read refuses it
    stale.status = PaymentRequest.Status.OPEN
    with pytest.raises(RequestPaid):
        checkout.request_pay(payer=resident, payment_request=stale, pin=PIN)
    assert Payment.objects.count() == 1


def test_a_request_expires_after_ten_minutes(shop, cashier, resident):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    with time_machine.travel(start + timedelta(minutes=10, seconds=1), tick=False):
        assert checkout.effective_status(request) == PaymentRequest.Status.EXPIRED
        with pytest.raises(RequestExpired):
            checkout.request_pay(payer=resident, payment_request=request, pin=PIN)
    assert Payment.objects.count() == 0
    assert balance_of(wallet_account(resident)) == 100_000


def test_paying_needs_the_pin_and_a_wrong_one_counts(shop, cashier, resident):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)

    with pytest.raises(PinRequired):
        checkout.request_pay(payer=resident, payment_request=request, pin=None)
    with pytest.raises(PinIncorrect):
        checkout.request_pay(payer=resident, payment_request=request, pin="135791")

    assert WalletProfile.objects.get(user=resident).failed_pin_attempts == 1
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.OPEN
    assert Payment.objects.count() == 0


def test_only_the_shops_staff_may_ask_for_money(shop, other_shop, resident):
    other_cashier = make_cashier(other_shop)

    with pytest.raises(NotFound):
        checkout.request_create(cashier=other_cashier, shop=shop, amount_minor=100)
    with pytest.raises(NotFound):
        checkout.request_create(cashier=resident, shop=shop, amount_minor=100)
    assert PaymentRequest.objects.count() == 0


def test_a_shop_not_approved_cannot_ask_for_money(shop, cashier):
    Shop.objects.filter(pk=shop.pk).update(status=Shop.Status.SUSPENDED)
    shop.refresh_from_db()

    with pytest.raises(ShopNotTrading):
        checkout.request_create(cashier=cashier, shop=shop, amount_minor=100)


def test_every_staff_member_hears_the_payment_after_commit(
    shop, cashier, resident, other_shop, in_memory_layer, django_capture_on_commit_callbacks
):
    # Given the owner's and the cashier's websockets, and another shop's owner's
    owner_channel = listen(in_memory_layer, shop.owner_id)
    cashier_channel = listen(in_memory_layer, cashier.pk)
    stranger_channel = listen(in_memory_layer, other_shop.owner_id)
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)

    # When the resident pays
    with django_capture_on_commit_callbacks(execute=True):
        checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    # Then both of the shop's staff get "merchant.payment_received", and nobody else
    expected = {
        "type": "merchant.payment_received",
        "shop_id": shop.pk,
        "request_id": request.pk,
        "code_id": None,
        "amount_minor": 2_500,
        "currency": "CNY",
    }
    assert received(in_memory_layer, owner_channel) == [expected]
    assert received(in_memory_layer, cashier_channel) == [expected]
    assert received(in_memory_layer, stranger_channel) == []


def test_a_refused_payment_announces_nothing(
    shop, cashier, resident, in_memory_layer, django_capture_on_commit_callbacks
):
    channel = listen(in_memory_layer, cashier.pk)
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PinIncorrect):
        checkout.request_pay(payer=resident, payment_request=request, pin="135791")
    assert received(in_memory_layer, channel) == []


def test_a_request_of_a_shop_suspended_meanwhile_cannot_be_paid(shop, cashier, resident):
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    Shop.objects.filter(pk=shop.pk).update(status=Shop.Status.SUSPENDED)
    request.refresh_from_db()

    with pytest.raises(ShopNotTrading):
        checkout.request_pay(payer=resident, payment_request=request, pin=PIN)
    assert Payment.objects.count() == 0
