"""A month of property fees on phone-sized browsers: the manager previews and issues the
month's bills, a resident who lives in two flats pays both bills in one go with the PIN, and
the manager sees them paid and the estate's collection rate go up."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Neighbourhood, User
from core.money import Money
from property_mgmt import fees
from property_mgmt.models import Bill, BillingRun, FeeRate, PropertyCompany, Unit
from property_mgmt.services.collection import collection_account
from property_mgmt.services.fees import fee_rate_set
from property_mgmt.services.households import household_add, household_confirm
from tests.community.conftest import PIN, make_member
from tests.factories import DEFAULT_PASSWORD, fund
from tests.property_mgmt.conftest import make_estate, make_household_member, make_manager, unit_of
from tests.services import celery_worker
from wallet.services import ledger
from wallet.services.accounts import wallet_account
from wallet.services.audit import ledger_check
from wallet.services.profile import limits_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGER_PHONE, RESIDENT_PHONE = "+8613677770001", "+8613677770002"


# --- the estate, made with the services the property app uses ---------------------------------


def property_fee_from(manager: User, estate: Neighbourhood, price: str, since: date) -> None:
    fee_rate_set(
        manager=manager,
        neighbourhood=estate,
        kind=FeeRate.Kind.PROPERTY,
        price=Decimal(price),
        effective_from=since,
    )


def confirm_in(manager: User, resident: User, *units: Unit) -> None:
    """The manager lists ``resident`` in each unit and confirms them, as on the unit page."""
    for unit in units:
        row = household_add(
            manager=manager, unit=unit, phone=resident.phone, name=str(resident), relation="owner"
        )
        household_confirm(manager=manager, household=row)


def wallet_balance(user: User) -> int:
    return ledger.account_balance(wallet_account(user)).balance_minor


def collected(estate: Neighbourhood) -> int:
    company = PropertyCompany.objects.get(neighbourhoods=estate)
    return ledger.account_balance(collection_account(company)).balance_minor


def yuan(amount_minor: int) -> str:
    return Money(amount_minor).format("en")


def rate_from_db(estate: Neighbourhood, month: date) -> str:
    """Paid of billed for ``month``, as the report rounds it (one decimal, half up)."""
    bills = Bill.objects.filter(neighbourhood=estate, period=month)
    billed = sum(bill.total_minor for bill in bills)
    paid = sum(bill.total_minor for bill in bills if bill.status == Bill.Status.PAID)
    return str((Decimal(paid) * 100 / billed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


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


def log_in(page, live_url: str, phone: str, *, lands_on: str = "/") -> None:
    page.goto(live_url + "/accounts/login/")
    page.fill("input[name=login]", phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(live_url + lands_on)


def messages_text(page) -> str:
    return page.locator("ul.messages").inner_text()


def wait_until_issued(page, run: BillingRun) -> None:
    """With a real broker the approval only queues the issue; the worker writes the bills
    in a moment, and the page says to reload until then."""
    for _attempt in range(60):
        if page.locator("[data-status=issued]").count():
            return
        page.wait_for_timeout(250)
        page.reload()
    run.refresh_from_db()
    raise AssertionError(f"the run stayed {run.status!r}")


def estate_rate(page, month: date) -> str:
    """The estate's rate for ``month`` as the collection table shows it (first rate cell)."""
    return page.locator(f"[data-collection] tr[data-month='{month:%Y-%m}'] td").first.inner_text()


@pytest.fixture
def worker(tmp_path) -> Iterator[None]:
    # With REDIS_URL the server queues tasks on Redis instead of running them in the request
    # (config/settings.py), so approving a run needs a worker, as in production.
    if not os.environ.get("REDIS_URL"):
        yield
        return
    with celery_worker("celery", tmp_path / "worker.log"):
        yield


# --- the month ---------------------------------------------------------------------------


def test_issue_the_month_pay_two_bills_at_once_and_see_the_rate_rise(
    live_url, page, browser, worker
):
    # Given an estate of 安居物业 (flats of 89.50 m² and 120.00 m²) at ¥2.50 a m² a month
    estate = make_estate("阳光花园")
    manager = make_manager(estate, phone=MANAGER_PHONE, display_name="赵经理")
    month = fees.month_start(timezone.localdate())
    property_fee_from(manager, estate, "2.50", since=date(month.year - 1, 1, 1))
    flat_101, flat_102 = unit_of(estate, "1号楼", "101"), unit_of(estate, "1号楼", "102")
    flat_2_102 = unit_of(estate, "2号楼", "102")
    # ... 王芳 owns 1号楼-101 and -102, with ¥1,000.00 in her wallet and the PIN asked always
    wang = make_member(None, level=2, real_name="王芳", phone=RESIDENT_PHONE, display_name="王芳")
    confirm_in(manager, wang, flat_101, flat_102)
    fund(wang, 1_000_00)
    limits_update(user=wang, no_pin_limit_minor=0, pin=PIN)
    # ... and 张伟 lives in 2号楼-102 and has not paid yet
    make_household_member(flat_2_102, real_name="张伟")
    # 223.75 + 300.00 for 王芳, 300.00 for 张伟
    wang_total, estate_total = 523_75, 823_75
    wallet_before, collected_before = wallet_balance(wang), collected(estate)
    assert not Bill.objects.exists()

    # When the manager previews this month on the billing page
    log_in(page, live_url, "136 7777 0001", lands_on=reverse("estate-home"))
    page.goto(live_url + reverse("estate-billing", args=[estate.pk]))
    page.fill("input[name=month]", f"{month:%Y-%m}")
    page.get_by_role("button", name="Preview").click()
    page.locator("[data-status]").wait_for()
    run = BillingRun.objects.get(neighbourhood=estate, period=month)
    assert page.url == live_url + reverse("estate-billing-run", args=[estate.pk, run.pk])
    # Then the preview shows a bill for each occupied unit and the total, and issues nothing
    assert page.locator("[data-status]").get_attribute("data-status") == "preview"
    assert page.locator("[data-bill-count]").inner_text() == "3"
    assert page.locator("[data-total]").inner_text() == yuan(estate_total)
    for unit, amount in ((flat_101, 223_75), (flat_102, 300_00), (flat_2_102, 300_00)):
        row = page.locator(f"[data-bills] tr[data-unit='{unit.pk}']")
        assert f"{unit.building.name}-{unit.number}" in row.inner_text()
        assert row.locator("td.amount").inner_text() == yuan(amount)
    assert not Bill.objects.exists()

    # When they approve
    page.get_by_role("button", name="Approve and issue 3 bills").click()
    page.locator("ul.messages").wait_for()
    assert messages_text(page) in (
        f"3 bills issued for {month:%Y-%m}.",  # tasks run in the request
        "Approved. The bills are being issued.",  # or a worker takes them
    )
    wait_until_issued(page, run)
    # Then the occupied units have their bills of this month, as the run says
    bills = Bill.objects.filter(neighbourhood=estate, period=month, run=run)
    assert sorted(bills.values_list("unit_id", "total_minor", "status")) == sorted(
        [
            (flat_101.pk, 223_75, Bill.Status.OPEN),
            (flat_102.pk, 300_00, Bill.Status.OPEN),
            (flat_2_102.pk, 300_00, Bill.Status.OPEN),
        ]
    )
    assert page.locator("[data-bill-count]").inner_text() == "3"
    assert page.locator("[data-total]").inner_text() == yuan(estate_total)
    assert page.locator("[data-bills] tr[data-bill]").count() == 3

    # And the month's collection rate is 0% so far
    collection_url = live_url + reverse("estate-report-collection", args=[estate.pk])
    page.goto(collection_url)
    assert estate_rate(page, month).startswith("0.0%")

    # When 王芳, on her phone, opens her bills, ticks both and reviews the total
    wang_bills = list(bills.filter(unit__in=[flat_101, flat_102]).order_by("pk"))
    with second_phone(browser) as phone:
        log_in(phone, live_url, "136 7777 0002")
        phone.goto(live_url + reverse("my-bills"))
        for bill in wang_bills:
            phone.locator(f"li[data-bill='{bill.pk}'] input[name=bills]").check()
        assert phone.locator("input[name=bills]").count() == 2
        # The running total is the browser's own sum (Intl's currency format, so no exact
        # text); the review step below shows the server's.
        assert phone.locator("[data-running-total]").inner_text().endswith("523.75")
        phone.locator("[data-pay-selected]").click()
        review = phone.locator("[data-review]")
        review.wait_for()
        assert review.locator("tr[data-bill]").count() == 2
        assert review.locator("[data-total]").inner_text() == yuan(wang_total)
        assert not Bill.objects.filter(status=Bill.Status.PAID).exists()
        # ... and pays with her PIN
        phone.fill("[data-pin] input[name=pin]", PIN)
        phone.get_by_role("button", name=f"Pay {yuan(wang_total)}").click()
        phone.locator("ul.messages").wait_for()
        assert phone.url == live_url + reverse("my-bills")
        # Then she is told, and both bills move to the paid list
        assert "Paid 2 bill(s)." in messages_text(phone)
        assert phone.locator("[data-paid-bill]").count() == 2
        assert "Nothing to pay" in phone.locator("[data-bills-form]").inner_text()

    # And both bills are paid by one payment of their sum, from her wallet to the company
    paid = [Bill.objects.select_related("payment").get(pk=bill.pk) for bill in wang_bills]
    assert {bill.status for bill in paid} == {Bill.Status.PAID}
    assert paid[0].payment_id is not None and paid[0].payment_id == paid[1].payment_id
    assert paid[0].payment.amount_minor == wang_total
    assert {bill.paid_by_id for bill in paid} == {wang.pk}
    assert wallet_balance(wang) == wallet_before - wang_total
    assert collected(estate) == collected_before + wang_total

    # When the manager reloads the bills report
    page.goto(live_url + reverse("estate-report-bills", args=[estate.pk]))
    # Then 王芳's bills are paid and 张伟's is still open
    for bill in paid:
        assert page.locator(f"[data-bills] tr[data-bill='{bill.pk}'] .tag").inner_text() == "Paid"
    zhang_bill = bills.get(unit=flat_2_102)
    assert page.locator(f"tr[data-bill='{zhang_bill.pk}'] .tag").inner_text() == "Open"
    assert page.locator("[data-totals] [data-paid]").inner_text() == yuan(wang_total)
    assert page.locator("[data-totals] [data-unpaid]").inner_text() == yuan(300_00)

    # And the collection rate of the month has risen to 523.75 of 823.75
    page.goto(collection_url)
    expected = rate_from_db(estate, month)
    assert expected == "63.6"
    assert estate_rate(page, month).startswith(f"{expected}%")
    assert ledger_check() == []
