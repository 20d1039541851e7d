"""At the till, on two phones: the cashier asks for ¥25.00 and shows the QR code; the
resident opens its pay link and pays with the PIN; the cashier's page says "Received
¥25.00" by itself, without a reload. With a ¥5.00 coupon the pay page shows it applied and
¥20.00 to pay, and the till says "Received ¥20.00"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Membership, User
from merchants.models import Campaign, CouponRedemption, PaymentRequest, Shop, ShopStaff
from merchants.services import checkout, offers
from merchants.services.accounts import shop_account
from tests.factories import DEFAULT_PASSWORD, NeighbourhoodFactory, UserFactory, fund
from wallet.services import ledger
from wallet.services.accounts import wallet_account
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


def shop_and_paying_resident(owner_phone: str, resident_phone: str) -> tuple[Shop, User]:
    """An approved shop whose owner works its till, and a verified resident with a PIN and
    ¥100.00 in the wallet."""
    estate = NeighbourhoodFactory(name="阳光花园")
    owner = UserFactory(phone=owner_phone, role=User.Role.MERCHANT_STAFF, preferred_language="en")
    shop = Shop.objects.create(
        neighbourhood=estate,
        name="鲜果超市",
        category=Shop.Category.GROCERY,
        address="阳光路 86 号",
        status=Shop.Status.APPROVED,
        owner=owner,
    )
    ShopStaff.objects.create(shop=shop, user=owner, role=ShopStaff.Role.OWNER)
    resident = UserFactory(
        phone=resident_phone, real_name="王芳", verification_level=2, preferred_language="en"
    )
    pin_set(user=resident, new_pin=PIN)
    fund(resident, 10_000)
    return shop, resident


def test_the_till_turns_received_live_when_the_resident_pays(live_url, page, browser):
    shop, _resident = shop_and_paying_resident("+8613655550001", "+8613655550002")

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


def test_the_resident_pays_with_a_coupon_and_the_till_shows_the_net_live(live_url, page, browser):
    shop, resident = shop_and_paying_resident("+8613655550011", "+8613655550012")
    owner = shop.owner
    Membership.objects.create(user=resident, neighbourhood=shop.neighbourhood)
    # The resident holds a ¥5.00-off coupon of the shop's offer
    campaign = offers.campaign_create(
        owner=owner,
        shop=shop,
        name="开业五元券",
        kind=Campaign.Kind.AMOUNT_OFF,
        amount_minor=500,
        budget_count=10,
        budget_minor=5_000,
        ends_at=timezone.now() + timedelta(days=7),
    )
    coupon = offers.coupon_claim(user=resident, campaign=campaign)

    # The cashier asks for ¥25.00 and shows the QR code
    log_in(page, live_url, "136 5555 0011")
    page.goto(live_url + f"/shop/{shop.pk}/till/")
    page.fill("[data-request-form] input[name=amount]", "25")
    page.click("[data-request-form] button[type=submit]")
    page.wait_for_selector("[data-qr] svg")
    page.wait_for_function("window.linliSocket && window.linliSocket.readyState === 1")
    till_url = page.url
    request = PaymentRequest.objects.get()

    # The resident's pay page shows the coupon applied and the lower amount
    with second_phone(browser) as phone:
        log_in(phone, live_url, "136 5555 0012")
        phone.goto(live_url + f"/pay/r/{request.token}/")
        assert "¥25.00" in phone.locator("[data-preview] [data-amount]").inner_text()
        assert "开业五元券" in phone.locator("[data-coupon]").inner_text()
        assert "¥20.00" in phone.locator("[data-total]").inner_text()
        # Picking no coupon shows the full price; picking it again the lower one
        phone.check("input[name=coupon][value=none]")
        assert "¥25.00" in phone.locator("[data-total]").inner_text()
        phone.check(f"input[name=coupon][value='{coupon.pk}']")
        assert "¥20.00" in phone.locator("[data-total]").inner_text()
        phone.fill("input[name=pin]", PIN)
        phone.click("[data-pay-button]")
        phone.wait_for_selector("[data-receipt]")

    # The till says "Received ¥20.00" (what the shop received) without a reload
    page.wait_for_function(
        "(document.querySelector('[data-received]').textContent || '').includes('Received ¥20.00')"
    )
    assert page.url == till_url
    assert ledger.account_balance(shop_account(shop)).balance_minor == 2_000
    assert ledger.account_balance(wallet_account(resident)).balance_minor == 8_000
    assert CouponRedemption.objects.get().coupon_id == coupon.pk


def test_a_till_without_a_websocket_still_sees_its_payment(live_url, page):
    """Where websockets do not get through (a proxy, a phone between networks), the
    request's page asks for its status every few seconds."""
    shop, resident = shop_and_paying_resident("+8613655550021", "+8613655550022")
    page.add_init_script("window.WebSocket = function () { throw new Error('blocked'); };")

    log_in(page, live_url, "136 5555 0021")
    page.goto(live_url + f"/shop/{shop.pk}/till/")
    page.fill("[data-request-form] input[name=amount]", "25")
    page.click("[data-request-form] button[type=submit]")
    page.wait_for_selector("[data-qr] svg")
    assert page.evaluate("window.linliSocket === undefined")
    request = PaymentRequest.objects.get()

    # The resident pays (on their own phone; the till hears nothing live)
    checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    page.wait_for_function(
        "(document.querySelector('[data-received]').textContent || '').includes('Received ¥25.00')"
    )
    assert page.locator("[data-qr]").is_hidden()
