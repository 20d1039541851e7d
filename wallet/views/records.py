"""History, receipts (and their public check) and monthly statements."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from core.money import Money
from wallet import forms, receipts, selectors
from wallet.models import Payment

HISTORY_PAGE_SIZE = 20


@login_required
def history(request: HttpRequest) -> HttpResponse:
    user_cards = selectors.cards(request.user, include_removed=True)
    form = forms.HistoryFilterForm(request.GET or None, cards=user_cards)
    filters = selectors.HistoryFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.HistoryFilter(
            start=data["start"],
            end=data["end"],
            kind=data["kind"] or "",
            counterparty=data["counterparty"] or "",
            min_amount_minor=data["min_amount"],
            max_amount_minor=data["max_amount"],
            card_id=data["card"].pk if data["card"] else None,
        )
    page = Paginator(selectors.history(request.user, filters), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(posting, selectors.counterparties(posting)) for posting in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    today = timezone.localdate()
    return render(
        request,
        "wallet/history.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "csv_url": reverse("api-wallet-history-csv")
            + ("?" + query.urlencode() if query else ""),
            "statement_url": reverse("wallet-statement", args=[today.year, today.month]),
        },
    )


@login_required
def transaction_detail(request: HttpRequest, transaction_id: int) -> HttpResponse:
    journal = selectors.transaction_for(request.user, transaction_id)
    posting = selectors.my_posting(request.user, journal)
    receipt = receipts.receipt_for(journal, posting)
    refundable = Payment.objects.filter(
        transaction=journal, payee__owner_id=request.user.pk, refunded_minor__lt=F("amount_minor")
    ).first()
    return render(
        request,
        "wallet/receipt.html",
        {"receipt": receipt, "journal": journal, "refundable_payment": refundable},
    )


def receipt_verify(request: HttpRequest) -> HttpResponse:
    """Public: anyone holding a receipt can check it is genuine."""
    code = request.GET.get("code", "").strip()
    journal = receipts.verify_code(code) if code else None
    facts = None
    if journal is not None:
        # What moved in each currency (a conversion moves two), in the order it was posted.
        moved: dict[str, int] = {}
        for posting in sorted(journal.postings.all(), key=lambda p: p.pk):
            moved.setdefault(posting.currency, 0)
            if posting.amount_minor > 0:
                moved[posting.currency] += posting.amount_minor
        amounts = [Money(total, currency) for currency, total in moved.items()]
        facts = {"journal": journal, "amounts": amounts}
    return render(request, "wallet/receipt_verify.html", {"code": code, "facts": facts})


@login_required
def statement(request: HttpRequest, year: int, month: int) -> HttpResponse:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        from django.http import Http404

        raise Http404
    currency = request.GET.get("currency", "CNY")
    monthly = selectors.monthly_statement(request.user, year, month, currency)
    rows = [(posting, selectors.counterparties(posting)) for posting in monthly.postings]
    previous = (year, month - 1) if month > 1 else (year - 1, 12)
    following = (year, month + 1) if month < 12 else (year + 1, 1)
    return render(
        request,
        "wallet/statement.html",
        {"statement": monthly, "rows": rows, "previous": previous, "following": following},
    )
