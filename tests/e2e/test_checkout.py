"""At the till, on two phones: the cashier asks for ¥25.00 and shows the QR code; the
resident opens its pay link and pays with the PIN; the cashier's page says "Received
¥25.00" by itself, without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from community.models import User
from merchants.models import PaymentRequest, Shop, ShopStaff
from merchants.services.accounts import shop_account
from tests.factories import DEFAULT_PASSWORD, NeighbourhoodFactory, UserFactory, fund
from wallet.services import ledger
from wallet.services.profile import pin_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PIN = "246810"


@contextmanager
def second_phone(browser) -> Iterator:
    """A page in its own browser context: its own cookies, so its own session."""
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
    finally:
        context.close()


def log_in(page, live_url: str, phone: str) -> None:
    page.goto(live_url + "/accounts/login/")
    page.fill("input[name=login]", phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_the_till_turns_received_live_when_the_resident_pays(live_url, page, browser):
    estate = NeighbourhoodFactory(name="阳光花园")
    cashier = UserFactory(
        phone="+8613655550001", role=User.Role.MERCHANT_STAFF, preferred_language="en"
    )
    shop = Shop.objects.create(
        neighbourhood=estate,
        name="鲜果超市",
        category=Shop.Category.GROCERY,
        address="阳光路 86 号",
        status=Shop.Status.APPROVED,
        owner=cashier,
    )
    ShopStaff.objects.create(shop=shop, user=cashier, role=ShopStaff.Role.OWNER)
    resident = UserFactory(
        phone="+8613655550002", real_name="王芳", verification_level=2, preferred_language="en"
    )
    pin_set(user=resident, new_pin=PIN)
    fund(resident, 10_000)

    # The cashier opens the till from the shop home and asks for ¥25.00
    log_in(page, live_url, "136 5555 0001")
    page.goto(live_url + "/shop/")
    page.click("[data-till-link]")
    page.fill("[data-request-form] input[name=amount]", "25")
    page.fill("[data-request-form] input[name=reference]", "A-17")
    page.click("[data-request-form] button[type=submit]")
    page.wait_for_selector("[data-qr] svg")
    assert "¥25.00" in page.locator("[data-amount]").inner_text()
    page.wait_for_function("window.linliSocket && window.linliSocket.readyState === 1")
    till_url = page.url
    request = PaymentRequest.objects.get()

    # The resident scans it: the pay page shows the shop and the amount, and takes the PIN
    with second_phone(browser) as phone:
        log_in(phone, live_url, "136 5555 0002")
        phone.goto(live_url + f"/pay/r/{request.token}/")
        assert "鲜果超市" in phone.locator("h1").inner_text()
        assert "¥25.00" in phone.locator("[data-preview] [data-amount]").inner_text()
        phone.fill("input[name=pin]", PIN)
        phone.click("main form button[type=submit]")
        phone.wait_for_selector("[data-receipt]")

    # The till says "Received ¥25.00" without a reload, and the QR code is gone
    page.wait_for_function(
        "(document.querySelector('[data-received]').textContent || '').includes('Received ¥25.00')"
    )
    assert page.url == till_url
    assert page.locator("[data-qr]").is_hidden()
    assert ledger.account_balance(shop_account(shop)).balance_minor == 2_500
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.PAID
