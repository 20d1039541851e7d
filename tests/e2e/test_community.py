"""Two neighbours on phone-sized browsers: one verifies their identity, posts in the
running circle and sends a red packet to it; the other opens the packet from the circle."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import transaction
from PIL import Image

from community.models import (
    Circle,
    IdentityRecord,
    Neighbourhood,
    Post,
    PostImage,
    RedPacket,
    RedPacketClaim,
    User,
)
from community.services.circles import circle_create, circle_join
from community.services.membership import membership_confirm
from community.services.verification import identity_submit
from community.verification.sandbox import seed_identity
from core.money import Money
from tests.factories import DEFAULT_PASSWORD, NeighbourhoodFactory, UserFactory
from wallet.models import Account, JournalTransaction
from wallet.services import ledger
from wallet.services.accounts import system_account, wallet_account
from wallet.services.audit import ledger_check
from wallet.services.profile import limits_update, pin_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PIN = "246810"
# Valid numbers (GB 11643 check characters included); the sandbox registry knows them.
A_NAME, A_NUMBER = "张伟", "44030519921108017X"
B_NAME, B_NUMBER = "李雷", "310104198506152619"


# --- the neighbourhood, made with the services the property app and residents use -----------


def confirmed_resident(estate: Neighbourhood, *, phone: str, name: str) -> User:
    # English pages, so that the assertions below read like the screen.
    user = UserFactory(phone=phone, display_name=name, preferred_language="en")
    membership_confirm(neighbourhood=estate, user=user, confirmed_by=None)
    return user


def fund(user: User, amount_minor: int) -> None:
    """Credit the wallet as a completed top-up would."""
    with transaction.atomic():
        ledger.post(
            kind=JournalTransaction.Kind.TOPUP,
            legs=[
                ledger.Leg(system_account(Account.SystemCode.BANK_CLEARING), -amount_minor),
                ledger.Leg(wallet_account(user), amount_minor),
            ],
            description="test funding",
        )


def available(user: User) -> int:
    return ledger.account_balance(wallet_account(user)).available_minor


def balance(user: User) -> int:
    return ledger.account_balance(wallet_account(user)).balance_minor


# --- the browser -------------------------------------------------------------------------


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
    page.wait_for_url(live_url + "/")


def messages_text(page) -> str:
    return page.locator("ul.messages").inner_text()


@pytest.fixture
def _uploads_removed() -> Iterator[None]:
    # The server stores pictures under the project's MEDIA_ROOT: take ours away again.
    yield
    for picture in PostImage.objects.all():
        picture.image.delete(save=False)


def test_verify_post_and_share_a_red_packet(live_url, page, browser, tmp_path, _uploads_removed):
    estate = NeighbourhoodFactory(name="阳光花园")
    zhang = confirmed_resident(estate, phone="+8613655550001", name=A_NAME)
    li = confirmed_resident(estate, phone="+8613655550002", name=B_NAME)
    seed_identity(name=A_NAME, id_number=A_NUMBER)
    seed_identity(name=B_NAME, id_number=B_NUMBER)
    identity_submit(user=li, real_name=B_NAME, id_number=B_NUMBER)
    circle = circle_create(user=li, neighbourhood=estate, name="跑步群")
    circle_join(user=zhang, circle=circle)
    pin_set(user=zhang, new_pin=PIN)
    # 张伟 confirms every payment with the PIN, so the red packet takes the PIN step.
    limits_update(user=zhang, no_pin_limit_minor=0, pin=PIN)
    fund(zhang, 100_00)
    zhang.refresh_from_db()
    li.refresh_from_db()
    assert (zhang.verification_level, li.verification_level) == (0, 1)
    assert not IdentityRecord.objects.filter(user=zhang).exists()
    li_balance_before = balance(li)

    # 张伟 verifies their identity from the app, in under a minute.
    log_in(page, live_url, "136 5555 0001")
    page.goto(live_url + "/verify/")
    page.fill("input[name=real_name]", A_NAME)
    page.fill("input[name=id_number]", A_NUMBER)
    page.click("main form button[type=submit]")
    page.wait_for_selector(".verification-status")
    assert "Your identity is confirmed." in messages_text(page)
    status = page.locator(".verification-status")
    assert status.get_attribute("data-level") == "1"
    assert "Level I: identity confirmed" in status.inner_text()
    assert page.locator("[data-masked-number]").inner_text() == "440***********017X"
    zhang.refresh_from_db()
    assert zhang.verification_level == 1
    assert IdentityRecord.objects.get(user=zhang).real_name == A_NAME

    # ... posts in the running circle, with a picture ...
    picture = tmp_path / "track.png"
    Image.new("RGB", (40, 30), (30, 120, 200)).save(picture)
    page.goto(live_url + f"/circles/{circle.pk}/")
    page.fill("[data-composer] textarea[name=body]", "周六早上七点，操场见！")
    page.set_input_files("[data-composer] input[name=images]", str(picture))
    page.click("[data-composer] button[type=submit]")
    page.wait_for_url(live_url + f"/circles/{circle.pk}/")
    post = Post.objects.get(circle=circle, author=zhang)
    shown = page.locator(f"article[data-post='{post.pk}']")
    assert "周六早上七点，操场见！" in shown.locator(".post-body").inner_text()
    image = shown.locator(".post-images img")
    assert image.count() == 1
    # The stored picture is served, not only listed.
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") == 40

    # ... and sends a red packet of ¥10.00 in 3 shares to the circle.
    page.locator("[data-circle-red-packets]").get_by_role("link", name="Send one").click()
    page.fill("input[name=total]", "10.00")
    page.fill("input[name=shares]", "3")
    page.fill("input[name=greeting]", "跑步加油")
    page.click("main form button[type=submit]")
    # The wallet asks for the PIN, showing what will be held.
    assert page.locator("[data-preview] [data-amount]").inner_text() == Money(10_00).format("en")
    assert not RedPacket.objects.exists()
    page.fill("[data-pin] input[name=pin]", PIN)
    page.click("main form button[type=submit]")
    packet = RedPacket.objects.get(circle=circle, sender=zhang)
    page.wait_for_url(live_url + f"/red-packets/{packet.pk}/")
    assert "Your red packet is in the circle." in messages_text(page)
    assert (packet.total_minor, packet.shares, packet.greeting) == (10_00, 3, "跑步加油")
    assert available(zhang) == 90_00

    # 李雷, on another phone, sees it in the circle and opens it.
    with second_phone(browser) as li_page:
        log_in(li_page, live_url, "136 5555 0002")
        li_page.goto(live_url + f"/circles/{circle.pk}/")
        row = li_page.locator(f"[data-red-packet-row='{packet.pk}']")
        assert "跑步加油" in row.inner_text()
        assert "0 of 3 opened" in row.inner_text()
        row.get_by_role("button", name="Open").click()
        li_page.wait_for_url(live_url + f"/red-packets/{packet.pk}/")
        claim = RedPacketClaim.objects.get(packet=packet, user=li)
        got = Money(claim.amount_minor).format("en")
        assert f"You got {got}" in messages_text(li_page)
        assert li_page.locator("[data-my-share]").inner_text() == got

    assert 1 <= claim.amount_minor <= 10_00 - 2  # two shares are left, a fen each at least
    assert balance(li) == li_balance_before + claim.amount_minor
    # The sender's ¥10.00 stays out of reach: the share taken plus the hold of the rest.
    assert available(zhang) == 90_00
    assert balance(zhang) == 100_00 - claim.amount_minor
    packet.refresh_from_db()
    assert (packet.claimed_count, packet.claimed_minor) == (1, claim.amount_minor)
    assert Circle.objects.get(pk=circle.pk).member_count == 2
    assert ledger_check() == []
