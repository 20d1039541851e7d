"""Receipts: a verification code anyone can check, and a PDF whose Chinese renders.

The code is ``<transaction id>-<12 hex of an HMAC>`` over the transaction's fixed facts, so
the public check page needs no login and reveals only what the receipt itself shows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from core.money import Money
from wallet.models import Account, JournalTransaction, Posting

_SALT = "wallet.receipt"


def _facts(journal: JournalTransaction) -> str:
    legs = ",".join(
        f"{p.account_id}:{p.amount_minor}:{p.currency}"
        for p in sorted(journal.postings.all(), key=lambda p: p.pk)
    )
    return f"{journal.pk}|{journal.kind}|{journal.created_at.isoformat()}|{legs}"


def verification_code(journal: JournalTransaction) -> str:
    digest = salted_hmac(_SALT, _facts(journal), algorithm="sha256").hexdigest()[:12].upper()
    return f"{journal.pk}-{digest}"


def verify_code(code: str) -> JournalTransaction | None:
    """The transaction a receipt code belongs to, or None for a forged or mistyped code."""
    raw_id, _sep, _digest = code.strip().upper().partition("-")
    if not raw_id.isdigit():
        return None
    journal = JournalTransaction.objects.prefetch_related("postings").filter(pk=int(raw_id)).first()
    if journal is None:
        return None
    return (
        journal if constant_time_compare(verification_code(journal), code.strip().upper()) else None
    )


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*"


@dataclass(frozen=True)
class ReceiptView:
    journal: JournalTransaction
    amount: Money
    direction: str  # "in" or "out"
    counterparty: str
    code: str


def receipt_for(journal: JournalTransaction, posting: Posting) -> ReceiptView:
    others = [
        leg.account
        for leg in journal.postings.all()
        if leg.account_id != posting.account_id and leg.account.kind != Account.Kind.SYSTEM
    ]
    counterparty = ", ".join(account.name for account in others) or _bank_or_system(journal)
    return ReceiptView(
        journal=journal,
        amount=Money(abs(posting.amount_minor), posting.currency),
        direction="in" if posting.amount_minor > 0 else "out",
        counterparty=counterparty,
        code=verification_code(journal),
    )


def _bank_or_system(journal: JournalTransaction) -> str:
    last4 = journal.metadata.get("card_last4")
    if last4:
        return _("Card ending %(last4)s") % {"last4": last4}
    return str(journal.get_kind_display())


def render_pdf(receipt: ReceiptView, *, verify_url: str, language: str) -> bytes:
    from reportlab.lib.pagesizes import A6
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    buffer = io.BytesIO()
    with translation.override(language):
        pdf = canvas.Canvas(buffer, pagesize=A6)
        _width, height = A6
        pdf.setTitle(_("Linli receipt") + f" {receipt.journal.pk}")
        pdf.setFont(font, 14)
        pdf.drawString(24, height - 40, _("Linli receipt"))
        pdf.setFont(font, 20)
        sign = "+" if receipt.direction == "in" else "-"
        pdf.drawString(24, height - 72, f"{sign}{receipt.amount.format(language)}")
        created = timezone.localtime(receipt.journal.created_at).strftime("%Y-%m-%d %H:%M:%S")
        rows: list[tuple[str, Any]] = [
            (_("Type"), receipt.journal.get_kind_display()),
            (_("Counterparty"), receipt.counterparty),
            (_("Description"), receipt.journal.description),
            (_("Time"), created),
            (_("Transaction no."), receipt.journal.pk),
            (_("Verification code"), receipt.code),
        ]
        pdf.setFont(font, 9)
        y = height - 104
        for label, value in rows:
            pdf.drawString(24, y, f"{label}:")
            pdf.drawString(100, y, str(value)[:40])
            y -= 16
        pdf.setFont(font, 7)
        pdf.drawString(24, 40, _("Check this receipt at %(url)s") % {"url": verify_url})
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
