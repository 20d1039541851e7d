"""The managers' report pages: bills with filters and totals, arrears, collection with its
chart; scoping and query counts."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from property_mgmt.models import Building
from tests.property_mgmt.conftest import make_household_member, make_manager, unit_of
from tests.property_mgmt.reports.conftest import APRIL, MARCH, make_bill

pytestmark = pytest.mark.django_db

PAGES = [
    "estate-report-bills",
    "estate-report-arrears",
    "estate-report-collection",
    "estate-report-bills-csv",
    "estate-report-payments-csv",
]


def busy_estate(estate, *, months: int = 3) -> None:
    """Every unit billed for ``months`` months ending in April: the oldest paid, the rest
    overdue; each unit with two confirmed household members."""
    for unit in [unit_of(estate, b, n) for b in ("1号楼", "2号楼") for n in ("101", "102", "201")]:
        payer = make_household_member(unit)
        make_household_member(unit, relation="family")
        for back in range(months):
            period = datetime.date(2026, 4 - back, 1)
            make_bill(
                unit,
                period=period,
                status="paid" if back == months - 1 else "overdue",
                payer=payer,
            )


def test_the_bill_page_lists_filters_and_totals(client, estate, manager, today):
    # Given March and April bills in two buildings
    make_bill(unit_of(estate, "1号楼", "101"), total_minor=12_000, status="paid")
    make_bill(unit_of(estate, "1号楼", "102"), total_minor=8_000, period=APRIL)
    make_bill(unit_of(estate, "2号楼", "101"), total_minor=5_000, title="停车费")
    building = Building.objects.get(neighbourhood=estate, name="1号楼")
    client.force_login(manager)

    # When the manager filters to building 1
    response = client.get(
        reverse("estate-report-bills", args=[estate.pk]), {"building": building.pk}
    )

    # Then two bills show with their totals, and the exports keep the filter
    html = response.content.decode()
    assert response.status_code == 200
    assert len(re.findall(r"data-bill=", html)) == 2
    assert "停车费" not in html
    assert re.search(r"data-count>2<", html)
    assert "¥200.00" in html and "¥120.00" in html and "¥80.00" in html
    assert f"bills.csv?building={building.pk}" in html

    # And a month filter narrows it further
    april = client.get(
        reverse("estate-report-bills", args=[estate.pk]),
        {"building": building.pk, "period": "2026-04"},
    ).content.decode()
    assert len(re.findall(r"data-bill=", april)) == 1


def test_a_reversed_due_range_is_refused_on_the_form(client, estate, manager):
    client.force_login(manager)
    response = client.get(
        reverse("estate-report-bills", args=[estate.pk]),
        {"due_from": "2026-04-30", "due_to": "2026-04-01"},
    )
    assert response.status_code == 200
    assert "The end of the range is before its start." in response.content.decode()


def test_the_arrears_page_shows_days_overdue_owed_and_masked_contacts(
    client, estate, manager, today
):
    # Given an overdue bill of a unit whose owner is 张伟
    unit = unit_of(estate, "2号楼", "201")
    make_household_member(unit, display_name="张伟", phone="+8613912345678")
    make_bill(unit, total_minor=23_456, status="overdue")
    client.force_login(manager)

    # When the manager opens the arrears
    html = client.get(reverse("estate-report-arrears", args=[estate.pk])).content.decode()

    # Then the bill shows 36 days overdue, ¥234.56, and the owner without their full number
    assert re.search(r"data-days>36<", html)
    assert "¥234.56" in html
    assert "张伟" in html and "*******5678" in html
    assert "13912345678" not in html and "139 1234 5678" not in html


def test_the_collection_page_has_an_accessible_chart_and_the_numbers(
    client, estate, manager, today
):
    # Given March: ¥100 paid of ¥150 billed in building 1
    make_bill(unit_of(estate, "1号楼", "101"), total_minor=10_000, status="paid")
    make_bill(unit_of(estate, "1号楼", "102"), total_minor=5_000)
    client.force_login(manager)

    # When the manager opens the collection page
    html = client.get(reverse("estate-report-collection", args=[estate.pk])).content.decode()

    # Then an SVG chart with a title has a bar for March and none for a month without bills
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and '<title id="rate-chart-title">' in svg
    march_bar = svg[svg.index('data-bar="2026-03"') :]
    assert march_bar.index("<rect") < march_bar.index("</g>")
    assert "2026-03: 66.7%" in svg
    february_bar = svg[svg.index('data-bar="2026-02"') :]
    assert february_bar.index("</g>") < february_bar.find("<rect")
    # And the table gives the same numbers by month and building
    assert re.search(r'data-month="2026-03">.*?data-rate="66.7"', html, re.S)
    assert re.search(r"¥100\.00 / (CN)?¥150\.00", html)


def test_a_manager_of_another_estate_and_a_resident_get_404(client, estate, other_estate, today):
    # Given a bill in the estate, its resident, and the manager of another estate
    unit = unit_of(estate)
    resident = make_household_member(unit)
    make_bill(unit, status="overdue")
    outsider = make_manager(other_estate)

    # Then every report page and export is 404 to both
    for user in (outsider, resident):
        client.force_login(user)
        for name in PAGES:
            assert client.get(reverse(name, args=[estate.pk])).status_code == 404, name


def test_reports_need_a_login(client, estate):
    for name in PAGES:
        response = client.get(reverse(name, args=[estate.pk]))
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    ("name", "ceiling"),
    [
        ("estate-report-bills", 11),
        ("estate-report-arrears", 9),
        ("estate-report-collection", 7),
    ],
)
def test_pages_do_not_grow_with_bills(
    client, estate, manager, today, name, ceiling, django_assert_max_num_queries
):
    # Given six units with three months of bills each and two household members
    busy_estate(estate)
    client.force_login(manager)

    # Then the page takes a fixed number of queries
    with django_assert_max_num_queries(ceiling):
        response = client.get(reverse(name, args=[estate.pk]))
    assert response.status_code == 200
    assert MARCH.strftime("%Y-%m") in response.content.decode()


def test_bill_rows_link_to_the_bill(client, estate, manager, today):
    bill = make_bill(unit_of(estate), status="overdue")
    client.force_login(manager)
    detail = reverse("estate-bill-detail", args=[estate.pk, bill.pk])
    for name in ("estate-report-bills", "estate-report-arrears"):
        assert f'href="{detail}"' in client.get(reverse(name, args=[estate.pk])).content.decode()


def test_the_bill_pages_keep_the_filter(client, estate, manager, monkeypatch):
    # Given three bills of building 1 and pages of two
    monkeypatch.setattr("property_mgmt.views.reports.BILLS_PAGE_SIZE", 2)
    for number in ("101", "102", "201"):
        make_bill(unit_of(estate, "1号楼", number))
    make_bill(unit_of(estate, "2号楼", "101"))
    building = Building.objects.get(neighbourhood=estate, name="1号楼")
    client.force_login(manager)
    url = reverse("estate-report-bills", args=[estate.pk])

    # When the manager filters and turns to page 2
    first = client.get(url, {"building": building.pk}).content.decode()
    second = client.get(url, {"building": building.pk, "page": 2}).content.decode()

    # Then the next-page link keeps the filter and page 2 holds the third bill of building 1
    assert f"?building={building.pk}&amp;page=2" in first
    assert len(re.findall(r"data-bill=", second)) == 1
    assert re.search(r"data-count>3<", second)
