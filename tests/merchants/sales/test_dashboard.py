"""The shop's dashboard: today's takings, the last 30 local days of sales and refunds."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from merchants import selectors_sales
from merchants.services import refunds
from tests.merchants.conftest import make_cashier
from tests.merchants.sales.conftest import paid

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_days_are_local_days_and_refunds_count_on_their_own_day(shop, cashier, resident):
    # 23:30 on the 24th in Shanghai is still the 24th (15:30 UTC)
    with time_machine.travel(datetime(2026, 11, 24, 23, 30, tzinfo=SHANGHAI), tick=False):
        late = paid(shop, cashier, resident, 1_200)
    with time_machine.travel(datetime(2026, 11, 25, 0, 30, tzinfo=SHANGHAI), tick=False):
        paid(shop, cashier, resident, 800)
        paid(shop, cashier, resident, 700)
        refunds.refund_create(actor=cashier, shop=shop, payment=late, amount_minor=200)

    figures = selectors_sales.daily_figures(shop, today=date(2026, 11, 25))

    assert len(figures) == 30
    assert figures[0].day == date(2026, 10, 27)
    yesterday, today = figures[-2], figures[-1]
    assert (yesterday.day, yesterday.payment_count, yesterday.sales_minor) == (
        date(2026, 11, 24),
        1,
        1_200,
    )
    assert (today.payment_count, today.sales_minor, today.refunds_minor) == (2, 1_500, 200)
    assert today.net_minor == 1_300
    assert sum(f.sales_minor for f in figures[:-2]) == 0


def test_dashboard_page_shows_today_and_the_chart(client, shop, cashier, resident):
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI), tick=False):
        paid(shop, cashier, resident, 2_500)
        paid(shop, cashier, resident, 1_000)
        client.force_login(cashier)
        response = client.get(reverse("merchant-dashboard", args=[shop.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-takings-minor="3500"' in html
    assert "¥35.00" in html
    assert html.count("<rect ") == 30
    # The tallest bar is today's, drawn at full height
    assert response.context["chart"]["bars"][-1]["height"] == 120


def test_daily_api_and_scoping(shop, other_shop, cashier, resident):
    paid(shop, cashier, resident, 2_500)
    client = APIClient()
    client.force_authenticate(cashier)
    rows = client.get(reverse("api-shop-daily", args=[shop.pk])).json()
    assert len(rows) == 30 and rows[-1]["sales_minor"] == 2_500 and rows[-1]["net_minor"] == 2_500
    client.force_authenticate(make_cashier(other_shop))
    assert client.get(reverse("api-shop-daily", args=[shop.pk])).status_code == 404


def test_campaign_results_for_staff_and_settlements_for_the_owner_only(
    client, shop, cashier, resident
):
    from datetime import timedelta

    from merchants.services import offers
    from tests.merchants.conftest import PIN
    from tests.merchants.offers.conftest import start_campaign
    from tests.merchants.settlement.conftest import DAY, at, give_settlement_card, pay, settle

    give_settlement_card(shop)
    pay(resident, shop, 10_000, at(DAY, 10))
    settle(at(DAY + timedelta(days=1), 3))
    campaign = start_campaign(shop, name="满25减5", amount_minor=500)
    offers.coupon_claim(user=resident, campaign=campaign)
    from merchants.services import checkout

    request = checkout.request_create(cashier=cashier, shop=shop, amount_minor=2_500)
    checkout.request_pay(payer=resident, payment_request=request, pin=PIN)

    client.force_login(cashier)
    html = client.get(reverse("merchant-dashboard", args=[shop.pk])).content.decode()
    assert "满25减5" in html and "¥5.00" in html and "¥25.00" in html
    assert "data-dashboard-settlements" not in html

    client.force_login(shop.owner)
    html = client.get(reverse("merchant-dashboard", args=[shop.pk])).content.decode()
    assert "data-dashboard-settlements" in html and "¥99.62" in html


def test_the_dashboard_costs_the_same_queries_however_many_payments(
    client, django_assert_max_num_queries, shop, cashier, resident
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    paid(shop, cashier, resident, 100)
    client.force_login(shop.owner)
    url = reverse("merchant-dashboard", args=[shop.pk])
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    for amount in range(200, 1_000, 100):
        paid(shop, cashier, resident, amount)
    with django_assert_max_num_queries(len(first)):
        assert client.get(url).status_code == 200
