"""A resident logs in on a phone-sized browser, reads the home page in Chinese, gets a live
notification, and switches to English."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from community.models import User
from core.demo import DEMO_PASSWORD
from core.models import Notification
from core.notifications import notify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


def announce_water_cut(resident):
    try:
        notify(resident, kind="demo", title="物业通知：明天停水", body="9:00–12:00")
    finally:
        connection.close()


def test_demo_resident_logs_in_sees_chinese_and_switches_to_english(live_url, page):
    call_command("seed_demo", verbosity=0)
    resident = User.objects.get(phone="+8613800000001")

    page.goto(live_url + "/accounts/login/")
    page.fill("input[name=login]", "138 0000 0001")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(live_url + "/")

    # 王芳 prefers Chinese, although this browser asks for English.
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "你好，王芳"
    assert page.locator("nav.mainnav").inner_text().count("首页") == 1

    if os.environ.get("REDIS_URL"):
        # The page and this test share the Redis channel layer: a notification committed
        # here appears on the open page without a reload.
        page.wait_for_function("window.linliSocket && window.linliSocket.readyState === 1")
        unread_before = Notification.objects.filter(user=resident, read_at__isnull=True).count()
        # From another thread: Playwright's event loop owns this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(announce_water_cut, resident).result()
        toast = page.locator(".toast")
        toast.wait_for()
        assert "明天停水" in toast.inner_text()
        assert page.locator("[data-unread-badge]").inner_text() == str(unread_before + 1)

    page.select_option("#language-select", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").inner_text() == "Hello, 王芳"
    resident.refresh_from_db()
    assert resident.preferred_language == "en"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "foundation-home-en.png"), full_page=True)
