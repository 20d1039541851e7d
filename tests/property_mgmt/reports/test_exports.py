"""CSV exports of bills and payments: header, rows, BOM, Chinese round-trip, streaming."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from property_mgmt.models import Building
from tests.property_mgmt.conftest import make_household_member, unit_of
from tests.property_mgmt.reports.conftest import APRIL, make_bill, pay
from tests.property_mgmt.reports.test_pages import busy_estate

pytestmark = pytest.mark.django_db


def download(client, name: str, estate, **query: object) -> tuple[bytes, list[list[str]]]:
    response = client.get(reverse(name, args=[estate.pk]), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_bills_export_has_a_bom_a_header_and_line_totals(client, estate, manager, today):
    # Given a March bill with property, water and a late fee in 1号楼, and one in 2号楼
    bill = make_bill(
        unit_of(estate, "1号楼", "101"),
        total_minor=12_150,
        title="三月物业费",
        status="overdue",
        lines=[("property", 8_950), ("water", 2_600), ("late_fee", 600)],
    )
    make_bill(unit_of(estate, "2号楼", "101"))
    building = Building.objects.get(neighbourhood=estate, name="1号楼")
    client.force_login(manager)

    # When the manager exports building 1's bills
    raw, rows = download(client, "estate-report-bills-csv", estate, building=building.pk)

    # Then the file starts with a BOM, names its columns and carries the Chinese unchanged
    assert raw.startswith("\ufeff".encode())
    header, *body = rows
    assert header == [
        "bill",
        "building",
        "unit",
        "period",
        "title",
        "kind",
        "status",
        "due_date",
        "property_total",
        "parking_total",
        "water_total",
        "electricity_total",
        "one_off_total",
        "late_fee_total",
        "adjustment_total",
        "total",
        "currency",
        "paid_at",
    ]
    assert body == [
        [
            str(bill.pk),
            "1号楼",
            "101",
            "2026-03",
            "三月物业费",
            "monthly",
            "overdue",
            "2026-03-15",
            "89.50",
            "0.00",
            "26.00",
            "0.00",
            "0.00",
            "6.00",
            "0.00",
            "121.50",
            "CNY",
            "",
        ]
    ]


def test_the_payments_export_names_payment_reference_time_and_payer(client, estate, manager, today):
    # Given 张伟 paid two bills with one payment, and an open bill
    unit = unit_of(estate, "2号楼", "102")
    payer = make_household_member(unit, display_name="张伟", phone="+8613912345678")
    march = make_bill(unit, total_minor=10_000, title="三月物业费")
    april = make_bill(unit, total_minor=11_000, period=APRIL, title="四月物业费")
    pay([march, april], payer)
    make_bill(unit_of(estate), total_minor=9_000)
    march.refresh_from_db()
    payment = march.payment
    assert payment is not None
    client.force_login(manager)

    # When the manager exports payments
    raw, rows = download(client, "estate-report-payments-csv", estate)

    # Then each paid bill shows the one payment, when, and who paid (mobile masked)
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *body = rows
    assert header == [
        "bill",
        "building",
        "unit",
        "period",
        "title",
        "amount",
        "currency",
        "paid_at",
        "payment",
        "payment_reference",
        "payment_amount",
        "payer",
        "payer_mobile",
    ]
    assert [row[0] for row in body] == [str(march.pk), str(april.pk)]
    assert body[0] == [
        str(march.pk),
        "2号楼",
        "102",
        "2026-03",
        "三月物业费",
        "100.00",
        "CNY",
        "2026-04-20T01:00:00+08:00",
        str(payment.pk),
        str(payment.transaction_id),
        "210.00",
        "张伟",
        "*******5678",
    ]
    assert body[1][4:6] == ["四月物业费", "110.00"]
    assert "13912345678" not in raw.decode("utf-8-sig")


def test_an_export_with_a_filter_that_does_not_parse_is_refused(client, estate, manager):
    # An export must not quietly widen to every bill
    client.force_login(manager)
    for name in ("estate-report-bills-csv", "estate-report-payments-csv"):
        response = client.get(reverse(name, args=[estate.pk]), {"period": "March"})
        assert response.status_code == 400
        assert "period" in response.content.decode()


@pytest.mark.parametrize("name", ["estate-report-bills-csv", "estate-report-payments-csv"])
def test_exports_do_not_grow_with_bills(
    client, estate, manager, today, name, django_assert_max_num_queries
):
    # Given six units with three months of bills each, the oldest month paid
    busy_estate(estate)
    client.force_login(manager)

    # Then the whole export, streamed, takes a fixed number of queries
    with django_assert_max_num_queries(5):
        _raw, rows = download(client, name, estate)
    assert len(rows) == 1 + (18 if name == "estate-report-bills-csv" else 6)
