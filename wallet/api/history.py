"""Balances, history with filters and cursor pagination, CSV export, receipts, statements."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import authenticated_user
from core.csv_export import BYTE_ORDER_MARK, RowWriter
from core.money import Money
from wallet import receipts, renderers, selectors
from wallet.api.base import CURRENCY_CHOICES, BalanceSerializer, WalletApiView
from wallet.models import JournalTransaction, Posting

CSV_EXPORT_LIMIT = 10_000


class HistoryFilterSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    kind = serializers.ChoiceField(choices=JournalTransaction.Kind.choices, required=False)
    counterparty = serializers.CharField(required=False, max_length=50)
    min_amount_minor = serializers.IntegerField(required=False, min_value=0)
    max_amount_minor = serializers.IntegerField(required=False, min_value=0)
    card_id = serializers.IntegerField(required=False)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, required=False)

    def to_filter(self) -> selectors.HistoryFilter:
        return selectors.HistoryFilter(**self.validated_data)


class EntrySerializer(serializers.Serializer[Any]):
    transaction_id = serializers.IntegerField()
    kind = serializers.CharField()
    description = serializers.CharField()
    amount_minor = serializers.IntegerField(help_text="Positive: money in. Negative: money out.")
    currency = serializers.CharField()
    counterparties = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


def entry(posting: Posting) -> dict[str, Any]:
    return {
        "transaction_id": posting.transaction_id,
        "kind": posting.transaction.kind,
        "description": posting.transaction.description,
        "amount_minor": posting.amount_minor,
        "currency": posting.currency,
        "counterparties": selectors.counterparties(posting),
        "created_at": posting.transaction.created_at,
    }


class HistoryPagination(CursorPagination):
    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = ("-pk",)


class BalancesApi(WalletApiView):
    @extend_schema(operation_id="wallet_balances", responses=BalanceSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(
            [renderers.balance(b) for b in selectors.balances(authenticated_user(request))]
        )


class HistoryApi(WalletApiView):
    pagination_class = HistoryPagination  # so the schema shows the paged envelope

    @extend_schema(
        operation_id="wallet_history",
        parameters=[HistoryFilterSerializer],
        responses=EntrySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = HistoryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = HistoryPagination()
        page = paginator.paginate_queryset(
            selectors.history(authenticated_user(request), filters.to_filter()), request, view=self
        )
        return paginator.get_paginated_response(
            EntrySerializer([entry(p) for p in page or []], many=True).data
        )


class HistoryCsvApi(WalletApiView):
    """The filtered history as CSV (UTF-8 with BOM so spreadsheet programs read Chinese)."""

    @extend_schema(
        operation_id="wallet_history_csv",
        parameters=[HistoryFilterSerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        filters = HistoryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        postings = selectors.history(authenticated_user(request), filters.to_filter())
        writer = RowWriter()
        # Translated now, in the request's language: the rows are written after the view
        # has returned, when no language may be active.
        header = [
            str(label)
            for label in (
                _("Time"),
                _("Transaction"),
                _("Type"),
                _("Description"),
                _("Counterparty"),
                _("Amount"),
                _("Currency"),
            )
        ]
        kinds = {kind: str(label) for kind, label in JournalTransaction.Kind.choices}

        def rows() -> Any:
            yield BYTE_ORDER_MARK
            yield writer.writerow(header)
            for posting in postings[:CSV_EXPORT_LIMIT].iterator(chunk_size=500):
                yield writer.writerow(
                    [
                        timezone.localtime(posting.transaction.created_at).isoformat(),
                        posting.transaction_id,
                        kinds.get(posting.transaction.kind, posting.transaction.kind),
                        posting.transaction.description,
                        "; ".join(selectors.counterparties(posting)),
                        str(Money(posting.amount_minor, posting.currency).to_decimal()),
                        posting.currency,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="linli-history.csv"'
        return response


class TransactionDetailApi(WalletApiView):
    class OutputSerializer(EntrySerializer):
        verification_code = serializers.CharField()
        parent_id = serializers.IntegerField(allow_null=True)
        receipt_pdf = serializers.CharField()

    @extend_schema(operation_id="wallet_transaction_retrieve", responses=OutputSerializer)
    def get(self, request: Request, transaction_id: int) -> Response:
        user = authenticated_user(request)
        journal = selectors.transaction_for(user, transaction_id)
        posting = selectors.my_posting(user, journal)
        posting.transaction.legs = list(journal.postings.all())  # type: ignore[attr-defined]
        return Response(
            {
                **entry(posting),
                "verification_code": receipts.verification_code(journal),
                "parent_id": journal.parent_id,
                "receipt_pdf": reverse("api-wallet-receipt-pdf", args=[journal.pk]),
            }
        )


class ReceiptPdfApi(WalletApiView):
    @extend_schema(
        operation_id="wallet_receipt_pdf",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, transaction_id: int) -> HttpResponse:
        user = authenticated_user(request)
        journal = selectors.transaction_for(user, transaction_id)
        receipt = receipts.receipt_for(journal, selectors.my_posting(user, journal))
        verify_url = request.build_absolute_uri(reverse("receipt-verify")) + f"?code={receipt.code}"
        pdf = receipts.render_pdf(
            receipt, verify_url=verify_url, language=translation.get_language() or "zh-hans"
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="linli-receipt-{journal.pk}.pdf"'
        return response


class StatementApi(WalletApiView):
    class OutputSerializer(serializers.Serializer[Any]):
        year = serializers.IntegerField()
        month = serializers.IntegerField()
        currency = serializers.CharField()
        opening_minor = serializers.IntegerField()
        closing_minor = serializers.IntegerField()
        money_in_minor = serializers.IntegerField()
        money_out_minor = serializers.IntegerField()
        entries = EntrySerializer(many=True)

    @extend_schema(operation_id="wallet_statement", responses=OutputSerializer)
    def get(self, request: Request, year: int, month: int) -> Response:
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            from core.errors import NotFound

            raise NotFound()
        currency = request.query_params.get("currency", "CNY")
        statement = selectors.monthly_statement(authenticated_user(request), year, month, currency)
        return Response(
            {
                "year": statement.year,
                "month": statement.month,
                "currency": statement.currency,
                "opening_minor": statement.opening_minor,
                "closing_minor": statement.closing_minor,
                "money_in_minor": statement.money_in_minor,
                "money_out_minor": statement.money_out_minor,
                "entries": [entry(p) for p in statement.postings],
            }
        )
