"""The owner's settlement pages, CSV statements and API list: scoped to the shop's owner
(a cashier of the shop, the owner of another shop: 404), with a fixed number of queries."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.merchants.conftest import make_cashier
from tests.merchants.onboarding.conftest import api_for, queries_of
from tests.merchants.settlement.conftest import DAY, at, pay, settle
from wallet.models import Settlement
from wallet.services import payments

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def settled(shop, card, resident):
    """Two settled days of the shop: a sale and a partial refund, then a sale."""
    sale = pay(resident, shop, 12_345, at(DAY, 9))
    with time_machine.travel(at(DAY, 15), tick=False):
        payments.payment_refund(payment=sale, amount_minor=2_345)
    pay(resident, shop, 5_000, at(DAY + timedelta(days=1), 10))
    settle(at(DAY + timedelta(days=2), 1))
    return list(Settlement.objects.order_by("business_date"))


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_owner_sees_each_day_with_its_figures(shop, settled):
    page = client_for(shop.owner).get(reverse("merchant-settlements", args=[shop.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("data-settlement=") == 2
    assert "2026-03-02" in html and "2026-03-03" in html
    assert "¥99.62" in html  # 123.45 − 23.45 − fees 0.47 + 0.09 back
    assert reverse("merchant-settlements-month-csv", args=[shop.pk, 2026, 3]) in html


def test_one_settlement_shows_its_lines(shop, settled):
    first = settled[0]
    page = client_for(shop.owner).get(reverse("merchant-settlement", args=[shop.pk, first.pk]))

    html = page.content.decode()
    assert html.count("data-line=") == 2
    assert "Payment" in html and "Refund" in html
    assert reverse("merchant-settlement-csv", args=[shop.pk, first.pk]) in html


def test_the_statement_of_one_settlement_lists_lines_and_totals_in_yuan(shop, settled):
    first = settled[0]
    response = client_for(shop.owner).get(
        reverse("merchant-settlement-csv", args=[shop.pk, first.pk])
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:7] == ["Business day", "Time", "Type", "Transaction", "Amount", "Fee", "Net"]
    assert rows[1][2:7] == [
        "Payment",
        str(settled[0].lines.first().transaction_id),
        "123.45",
        "0.47",
        "122.98",
    ]
    assert rows[2][4:7] == ["-23.45", "-0.09", "-23.36"]
    totals = {row[2]: row[4] for row in rows[3:]}
    assert totals["Sales"] == "123.45" and totals["Fees"] == "-0.38"
    assert totals["Paid out"] == "99.62" and totals["Status"] == "Paid"


def test_the_monthly_statement_holds_every_settlement_of_the_month_and_their_sum(shop, settled):
    response = client_for(shop.owner).get(
        reverse("merchant-settlements-month-csv", args=[shop.pk, 2026, 3])
    )

    rows = read_csv(response)
    days = {row[0] for row in rows[1:]}
    assert {"2026-03-02", "2026-03-03"} <= days
    month_total = {row[2]: row[4] for row in rows if row[0] == "Total"}
    assert month_total["Paid out"] == "149.43"  # 99.62 + 49.81


def test_a_month_that_does_not_exist_is_404(shop, settled):
    response = client_for(shop.owner).get(
        reverse("merchant-settlements-month-csv", args=[shop.pk, 2026, 13])
    )
    assert response.status_code == 404


def test_a_cashier_of_another_shop_gets_404_for_this_shops_settlements(shop, other_shop, settled):
    client = client_for(make_cashier(other_shop))
    assert client.get(reverse("merchant-settlements", args=[shop.pk])).status_code == 404
    assert (
        client.get(reverse("merchant-settlement", args=[shop.pk, settled[0].pk])).status_code == 404
    )


def test_a_cashier_of_the_shop_gets_404_everywhere(shop, cashier, settled):
    client = client_for(cashier)
    first = settled[0]
    for url in [
        reverse("merchant-settlements", args=[shop.pk]),
        reverse("merchant-settlement", args=[shop.pk, first.pk]),
        reverse("merchant-settlement-csv", args=[shop.pk, first.pk]),
        reverse("merchant-settlements-month-csv", args=[shop.pk, 2026, 3]),
    ]:
        assert client.get(url).status_code == 404, url
    assert (
        api_for(cashier).get(reverse("api-merchant-settlements", args=[shop.pk])).status_code == 404
    )


def test_the_owner_of_another_shop_gets_404_for_this_shops_settlements(shop, other_shop, settled):
    client = client_for(other_shop.owner)
    first = settled[0]
    assert client.get(reverse("merchant-settlements", args=[shop.pk])).status_code == 404
    # nor through their own shop's address
    assert (
        client.get(reverse("merchant-settlement", args=[other_shop.pk, first.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("merchant-settlement-csv", args=[other_shop.pk, first.pk])).status_code
        == 404
    )
    assert (
        api_for(other_shop.owner)
        .get(reverse("api-merchant-settlements", args=[shop.pk]))
        .status_code
        == 404
    )


def test_the_api_lists_the_owners_settlements_newest_first(shop, settled):
    response = api_for(shop.owner).get(reverse("api-merchant-settlements", args=[shop.pk]))

    assert response.status_code == 200
    body = response.json()
    assert [row["business_date"] for row in body["results"]] == ["2026-03-03", "2026-03-02"]
    newest = body["results"][0]
    assert (newest["status"], newest["payout_minor"], newest["fees_minor"]) == ("paid", 4_981, 19)
    assert newest["payout_reference"] == f"settlement:{newest['id']}:1"


def test_the_list_page_and_the_api_take_the_same_queries_for_one_day_or_many(shop, card, resident):
    owner = client_for(shop.owner)
    api = api_for(shop.owner)
    url = reverse("merchant-settlements", args=[shop.pk])
    api_url = reverse("api-merchant-settlements", args=[shop.pk])
    month_url = reverse("merchant-settlements-month-csv", args=[shop.pk, 2026, 3])

    pay(resident, shop, 1_000, at(DAY, 10))
    settle(at(DAY + timedelta(days=1), 1))
    one = (
        queries_of(lambda: owner.get(url)),
        queries_of(lambda: api.get(api_url)),
        queries_of(lambda: read_csv(owner.get(month_url))),
    )
    for offset in range(1, 6):
        pay(resident, shop, 1_000 + offset, at(DAY + timedelta(days=offset), 10))
        pay(resident, shop, 2_000, at(DAY + timedelta(days=offset), 11))
    settle(at(DAY + timedelta(days=7), 1))
    assert Settlement.objects.count() == 6
    many = (
        queries_of(lambda: owner.get(url)),
        queries_of(lambda: api.get(api_url)),
        queries_of(lambda: read_csv(owner.get(month_url))),
    )

    assert many == one
