"""Receipts of paid property bills: the facts of one bill and its payment, as a printable
page and a PDF whose Chinese renders (reportlab's built-in ``STSong-Light`` CID font, as
``wallet/receipts.py`` uses: no font file to ship).

The payment reference is the wallet transaction's number and its receipt verification
code, which anyone can check on the wallet's public receipt page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.money import Money
from property_mgmt.models import Bill, BillLine
from wallet.receipts import verification_code

FONT = "STSong-Light"


@dataclass(frozen=True)
class BillReceipt:
    bill: Bill
    estate: str
    unit: str
    period: date | None
    lines: list[BillLine]
    total: Money
    paid_at: datetime | None
    paid_by: str
    transaction_id: int | None
    code: str


def bill_receipt(bill: Bill) -> BillReceipt:
    """The receipt of a paid bill loaded by ``paying.resident_bill`` (lines prefetched,
    payment and its transaction joined)."""
    payment = bill.payment
    journal = payment.transaction if payment is not None else None
    return BillReceipt(
        bill=bill,
        estate=bill.neighbourhood.name,
        unit=str(bill.unit),
        period=bill.period,
        lines=list(bill.lines.all()),
        total=Money(bill.total_minor, "CNY"),
        paid_at=bill.paid_at,
        paid_by=str(bill.paid_by) if bill.paid_by_id else "",
        transaction_id=journal.pk if journal is not None else None,
        code=verification_code(journal) if journal is not None else "",
    )


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def render_pdf(receipt: BillReceipt, *, verify_url: str, language: str) -> bytes:
    """An A5 page: estate, unit, period, each line, the total, when it was paid and the
    payment reference. Text is drawn in ``language``."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    font = _font()
    buffer = io.BytesIO()
    with translation.override(language):
        pdf = canvas.Canvas(buffer, pagesize=A5)
        width, height = A5
        left, right = 36, width - 36
        pdf.setTitle(_("Property fee receipt") + f" {receipt.bill.pk}")
        pdf.setFont(font, 16)
        pdf.drawString(left, height - 48, _("Property fee receipt"))
        pdf.setFont(font, 10)
        period = receipt.period.strftime("%Y-%m") if receipt.period else "—"
        paid_at = (
            timezone.localtime(receipt.paid_at).strftime("%Y-%m-%d %H:%M:%S")
            if receipt.paid_at
            else "—"
        )
        facts = [
            (_("Estate"), receipt.estate),
            (_("Unit"), receipt.unit),
            (_("Bill"), receipt.bill.title),
            (_("Period"), period),
        ]
        y = height - 76
        for label, value in facts:
            pdf.drawString(left, y, f"{label}:")
            pdf.drawString(left + 90, y, str(value)[:50])
            y -= 16
        y -= 6
        pdf.line(left, y + 10, right, y + 10)
        pdf.setFont(font, 9)
        for line in receipt.lines:
            pdf.drawString(left, y - 4, line.description[:48])
            pdf.drawRightString(right, y - 4, Money(line.amount_minor, "CNY").format(language))
            y -= 15
            if y < 140:
                pdf.showPage()
                pdf.setFont(font, 9)
                y = height - 48
        pdf.line(left, y + 4, right, y + 4)
        pdf.setFont(font, 12)
        pdf.drawString(left, y - 12, _("Total"))
        pdf.drawRightString(right, y - 12, receipt.total.format(language))
        pdf.setFont(font, 9)
        y -= 40
        rows: list[tuple[str, str]] = [
            (_("Paid at"), paid_at),
            (_("Paid by"), receipt.paid_by or "—"),
            (_("Transaction no."), str(receipt.transaction_id or "—")),
            (_("Verification code"), receipt.code or "—"),
        ]
        for label, value in rows:
            pdf.drawString(left, y, f"{label}:")
            pdf.drawString(left + 90, y, str(value)[:50])
            y -= 15
        if receipt.code:
            pdf.setFont(font, 7)
            pdf.drawString(left, 36, _("Check this receipt at %(url)s") % {"url": verify_url})
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
