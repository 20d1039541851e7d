"""A payment through the shop's static QR (the wallet's pay link) reaches the till live."""

import pytest

from merchants.services.accounts import shop_account
from tests.merchants.checkout.conftest import listen, received
from tests.merchants.conftest import PIN
from wallet.services import payments

pytestmark = pytest.mark.django_db


def test_a_static_qr_payment_is_announced_once_to_the_shops_staff_only(
    shop, cashier, resident, other_shop, in_memory_layer, django_capture_on_commit_callbacks
):
    # Given the cashier's websocket and another shop's owner's
    cashier_channel = listen(in_memory_layer, cashier.pk)
    stranger_channel = listen(in_memory_layer, other_shop.owner_id)

    # When the resident pays the shop's account from its pay link
    with django_capture_on_commit_callbacks(execute=True):
        payments.payment_create(
            payer=resident,
            payee=shop_account(shop),
            amount_minor=1_230,
            description=shop.name,
            pin=PIN,
        )

    # Then the till hears of it once, without a request or a code, and nobody else does
    assert received(in_memory_layer, cashier_channel) == [
        {
            "type": "merchant.payment_received",
            "shop_id": shop.pk,
            "request_id": None,
            "code_id": None,
            "amount_minor": 1_230,
            "currency": "CNY",
        }
    ]
    assert received(in_memory_layer, stranger_channel) == []
