"""The receipt of a paid bill: a PDF whose Chinese renders, and a printable page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from property_mgmt import receipts
from property_mgmt.services import paying
from tests.property_mgmt.paying.conftest import PIN, make_bill
from wallet.receipts import verification_code

pytestmark = pytest.mark.django_db


def test_the_pdf_receipt_renders_with_the_cjk_font(flat, wang):
    bill = make_bill(flat, 325_50, title="2026年3月物业费")
    paying.bills_pay(user=wang, bills=[bill], pin=PIN)
    loaded = paying.resident_bill(wang, bill.pk)

    receipt = receipts.bill_receipt(loaded)
    pdf = receipts.render_pdf(receipt, verify_url="https://linli.test/r", language="zh-hans")

    assert pdf.startswith(b"%PDF")
    assert b"STSong-Light" in pdf
    assert receipt.estate == "阳光花园" and receipt.unit == "1号楼-101"
    assert [line.amount_minor for line in receipt.lines] == [295_50, 30_00]
    assert receipt.code == verification_code(loaded.payment.transaction)


def test_receipt_pages_and_pdf_for_the_household_only(client, estate, flat, wang, li, neighbour):
    bill = make_bill(flat, 100_00)
    paying.bills_pay(user=wang, bills=[bill], pin=PIN)

    client.force_login(li)
    page = client.get(reverse("my-bill-receipt", args=[bill.pk]))
    pdf = client.get(reverse("my-bill-receipt-pdf", args=[bill.pk]))
    assert page.status_code == 200 and "阳光花园" in page.content.decode()
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    client.force_login(neighbour)
    assert client.get(reverse("my-bill-receipt", args=[bill.pk])).status_code == 404
    assert client.get(reverse("my-bill-receipt-pdf", args=[bill.pk])).status_code == 404


def test_an_unpaid_bill_has_no_receipt(client, flat, wang):
    bill = make_bill(flat, 100_00)
    client.force_login(wang)
    assert client.get(reverse("my-bill-receipt", args=[bill.pk])).status_code == 404
    assert client.get(reverse("my-bill-receipt-pdf", args=[bill.pk])).status_code == 404
