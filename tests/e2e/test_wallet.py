"""In a phone-sized browser: bind a card, top up, pay a shop from its pay link, open the
receipt, and check it on the public verification page."""

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connection, transaction

from tests.factories import UserFactory
from wallet import paylinks
from wallet.models import Account, SandboxCard
from wallet.services import ledger, payments
from wallet.services.accounts import payee_account, system_account, wallet_account
from wallet.services.profile import pin_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PIN = "246810"


def neighbour_sends(resident, amount_minor):
    """From another thread: Playwright's event loop owns the test's."""
    try:
        neighbour = UserFactory(phone="+8613633334444", real_name="李雷", verification_level=2)
        pin_set(user=neighbour, new_pin=PIN)
        with transaction.atomic():
            ledger.post(
                kind="topup",
                legs=[
                    ledger.Leg(system_account("bank_clearing"), -amount_minor),
                    ledger.Leg(wallet_account(neighbour), amount_minor),
                ],
                description="test funding",
            )
        payments.transfer_create(
            sender=neighbour, recipient=resident, amount_minor=amount_minor, pin=PIN
        )
    finally:
        connection.close()


def test_top_up_pay_and_open_the_receipt(live_url, page):
    resident = UserFactory(
        phone="+8613611112222",
        display_name="王芳",
        real_name="王芳",
        verification_level=2,
        preferred_language="zh-hans",
    )
    pin_set(user=resident, new_pin=PIN)
    SandboxCard.objects.create(
        bank_name="中国工商银行",
        number="6222020200000000006",
        holder_name="王芳",
        expiry_month=12,
        expiry_year=date.today().year + 3,
        balance_minor=500_000,
    )
    shop = payee_account(kind=Account.Kind.MERCHANT, owner_ref="shop:e2e", name="鲜果超市")
    pay_url = paylinks.make_url(shop, description="水果")

    page.goto(live_url + "/accounts/login/")
    page.fill("input[name=login]", "136 1111 2222")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("main form button[type=submit]")
    page.wait_for_url(live_url + "/")

    # Bind the card
    page.goto(live_url + "/wallet/cards/")
    page.fill("input[name=number]", "6222 0202 0000 0000 006")
    page.fill("input[name=holder_name]", "王芳")
    page.fill("input[name=expiry_month]", "12")
    page.fill("input[name=expiry_year]", str(date.today().year + 3))
    page.click("main form.form button[type=submit]")
    assert "0006" in page.locator("[data-card]").first.inner_text()

    # Top up ¥100.00
    page.goto(live_url + "/wallet/top-up/")
    page.fill("input[name=amount]", "100")
    page.click("main form button[type=submit]")
    page.wait_for_url(live_url + "/wallet/")
    assert page.locator("[data-available]").first.inner_text() == "¥100.00"

    # Pay the shop ¥25.50 from its pay link: the dry run shows what will be charged
    page.goto(live_url + pay_url)
    page.fill("input[name=amount]", "25.50")
    page.click("main form button[type=submit]")
    assert page.locator("[data-preview] [data-amount]").inner_text() == "¥25.50"
    page.fill("input[name=pin]", PIN)
    page.click("main form button[type=submit]")
    page.wait_for_selector("[data-receipt]")
    assert "-¥25.50" in page.locator("[data-receipt]").inner_text()
    code = page.locator("[data-code]").inner_text()

    # The PDF downloads with the session; the public page vouches for the code
    pdf = page.request.get(live_url + page.locator("a[href$='receipt.pdf']").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.goto(live_url + f"/receipts/verify/?code={code}")
    assert page.locator("[data-verified=yes]").is_visible()
    page.goto(live_url + "/wallet/")
    assert page.locator("[data-available]").first.inner_text() == "¥74.50"

    if os.environ.get("REDIS_URL"):
        # A neighbour sends ¥10.00: the open wallet page shows the new balance by itself.
        page.wait_for_function("window.linliSocket && window.linliSocket.readyState === 1")
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(neighbour_sends, resident, 1_000).result()
        page.wait_for_function(
            "document.querySelector('[data-available]').textContent.trim() === '¥84.50'"
        )
