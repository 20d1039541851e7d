"""Checkout under real concurrency on PostgreSQL: a request and a code each pay once."""

from __future__ import annotations

import pytest

from merchants.errors import CodeUsed, RequestPaid
from merchants.models import PaymentCode, PaymentRequest
from merchants.services import checkout
from merchants.services.accounts import shop_account
from tests.concurrency.conftest import run_together
from tests.factories import NeighbourhoodFactory
from tests.merchants.checkout.conftest import balance_of
from tests.merchants.conftest import PIN, fund, make_cashier, make_member, make_shop
from wallet.models import Payment
from wallet.services.accounts import wallet_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_request_paid_twice_at_the_same_moment_pays_once():
    # Given a ¥25.00 request, and two residents who both scanned it
    estate = NeighbourhoodFactory(name="阳光花园")
    shop = make_shop(estate)
    cashier = make_cashier(shop)
    payers = [make_member(estate, phone=f"+8613900000{n:03d}") for n in range(2)]
    for payer in payers:
        fund(payer, 10_000)
    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)

    # When both pay at once
    outcomes = run_together(
        [
            lambda payer=payer: checkout.request_pay(
                payer=payer,
                payment_request=PaymentRequest.objects.select_related("shop").get(pk=request.pk),
                pin=PIN,
            )
            for payer in payers
        ]
    )

    # Then exactly one paid; the other was refused with request_paid and kept its money
    paid = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if o.error is not None]
    assert len(paid) == 1 and len(refused) == 1
    assert isinstance(refused[0].error, RequestPaid)
    assert Payment.objects.count() == 1
    assert balance_of(shop_account(shop)) == 2_500
    assert sorted(balance_of(wallet_account(p)) for p in payers) == [7_500, 10_000]
    assert PaymentRequest.objects.get().status == PaymentRequest.Status.PAID


def test_a_code_charged_by_two_tills_at_once_charges_once():
    estate = NeighbourhoodFactory(name="阳光花园")
    shops = [make_shop(estate), make_shop(estate, "老王面馆")]
    cashiers = [make_cashier(shop) for shop in shops]
    resident = make_member(estate)
    fund(resident, 10_000)
    code = checkout.code_issue(user=resident, pin=PIN).code

    outcomes = run_together(
        [
            lambda shop=shop, cashier=cashier: checkout.code_charge(
                cashier=cashier, shop=shop, code=code, amount_minor=1_000
            )
            for shop, cashier in zip(shops, cashiers, strict=True)
        ]
    )

    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], CodeUsed)
    assert Payment.objects.count() == 1
    assert balance_of(wallet_account(resident)) == 9_000
    assert PaymentCode.objects.get().payment_id == Payment.objects.get().pk
