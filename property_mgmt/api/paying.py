"""Residents' bills over the API: list, detail, pay several at once, receipt PDF, auto-pay.

Thin: the rules are in ``property_mgmt.services.paying`` and ``.autopay``. Everything is
the caller's own household: another household's bill, unit or consent is 404. Paying takes
an Idempotency-Key (``WalletApiView``): the same key and body replays the first answer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from core.errors import NotFound
from property_mgmt import receipts
from property_mgmt.models import AutoPayConsent, Bill, BillLine
from property_mgmt.services import autopay, paying
from wallet import renderers
from wallet.api.base import IDEMPOTENCY_HEADER, BalanceSerializer, PinField, WalletApiView

LIST_LIMIT = 200

# --- bodies (pure functions: the idempotency record stores the payment's) -----------------


def render_bill(bill: Bill) -> dict[str, Any]:
    return {
        "id": bill.pk,
        "title": bill.title,
        "kind": bill.kind,
        "status": bill.status,
        "estate": {"id": bill.neighbourhood_id, "name": bill.neighbourhood.name},
        "unit": {"id": bill.unit_id, "name": str(bill.unit)},
        "period": bill.period.isoformat() if bill.period else None,
        "total_minor": bill.total_minor,
        "currency": paying.CURRENCY,
        "due_date": bill.due_date.isoformat(),
        "payment_id": bill.payment_id,
        "paid_at": bill.paid_at.isoformat() if bill.paid_at else None,
    }


def render_line(line: BillLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "amount_minor": line.amount_minor,
    }


def render_bills_paid(result: paying.BillsPaid) -> dict[str, Any]:
    return {
        "payment": {
            "id": result.payment.pk,
            "transaction_id": result.payment.transaction_id,
            "amount_minor": result.payment.amount_minor,
            "currency": result.payment.currency,
        },
        "bills": [render_bill(bill) for bill in result.bills],
        "balance": renderers.balance(result.balance),
    }


def render_consent(consent: AutoPayConsent) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "unit": {"id": consent.unit_id, "name": str(consent.unit)},
        "monthly_cap_minor": consent.monthly_cap_minor,
        "active": consent.active,
        "created_at": consent.created_at.isoformat(),
        "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
    }


# --- serializers (schema of the bodies above) ----------------------------------------------


class ResidentBillRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ResidentBillSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField(help_text="open, paid, overdue, waived or cancelled")
    estate = ResidentBillRefSerializer()
    unit = ResidentBillRefSerializer()
    period = serializers.DateField(allow_null=True)
    total_minor = serializers.IntegerField()
    currency = serializers.CharField()
    due_date = serializers.DateField()
    payment_id = serializers.IntegerField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)


class ResidentBillLineSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4)
    amount_minor = serializers.IntegerField()


class ResidentBillPaymentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    transaction_id = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()


class ResidentConsentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    unit = ResidentBillRefSerializer()
    monthly_cap_minor = serializers.IntegerField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)


# --- views ---------------------------------------------------------------------------------


class ResidentBillListApi(LinliAPIView):
    """The bills of the caller's household units, newest due first."""

    @extend_schema(
        operation_id="property_resident_bills_list",
        parameters=[
            OpenApiParameter("status", str, enum=[choice for choice, _label in Bill.Status.choices])
        ],
        responses=ResidentBillSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        status = request.query_params.get("status") or None
        if status is not None and status not in Bill.Status.values:
            status = "-"  # an unknown status matches nothing, as a filter should
        rows = paying.resident_bills(signed_in_user(request), status=status)[:LIST_LIMIT]
        return Response([render_bill(bill) for bill in rows])


class ResidentBillDetailApi(LinliAPIView):
    class OutputSerializer(ResidentBillSerializer):
        lines = ResidentBillLineSerializer(many=True)
        receipt_pdf = serializers.CharField(allow_null=True)

    @extend_schema(operation_id="property_resident_bill_retrieve", responses=OutputSerializer)
    def get(self, request: Request, bill_id: int) -> Response:
        bill = paying.resident_bill(signed_in_user(request), bill_id)
        receipt = (
            reverse("api-resident-bill-receipt-pdf", args=[bill.pk])
            if bill.status == Bill.Status.PAID
            else None
        )
        return Response(
            {
                **render_bill(bill),
                "lines": [render_line(line) for line in bill.lines.all()],
                "receipt_pdf": receipt,
            }
        )


class ResidentBillsPayApi(WalletApiView):
    """Pay one or several bills of one estate in one wallet payment."""

    class InputSerializer(serializers.Serializer[Any]):
        bill_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            min_length=1,
            max_length=paying.MAX_BILLS_AT_ONCE,
        )
        expected_total_minor = serializers.IntegerField(
            required=False,
            min_value=0,
            help_text=(
                "The total the payer was shown, in fen. If the bills no longer add up to it "
                "(a late fee landed), nothing is charged: 409 bills_changed."
            ),
        )
        pin = PinField()

    class OutputSerializer(serializers.Serializer[Any]):
        payment = ResidentBillPaymentSerializer()
        bills = ResidentBillSerializer(many=True)
        balance = BalanceSerializer()

    @extend_schema(
        operation_id="property_resident_bills_pay",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        idempotency = self.idempotency(request, render_bills_paid)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = paying.bills_pay(
            user=user,
            bills=data.validated_data["bill_ids"],
            pin=data.validated_data.get("pin") or None,
            expected_total_minor=data.validated_data.get("expected_total_minor"),
            idempotency=idempotency,
        )
        return Response(render_bills_paid(result), status=201)


class ResidentBillReceiptPdfApi(LinliAPIView):
    @extend_schema(
        operation_id="property_resident_bill_receipt_pdf",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request, bill_id: int) -> HttpResponse:
        return receipt_pdf_response(request, paying.resident_bill(signed_in_user(request), bill_id))


def receipt_pdf_response(request: Any, bill: Bill) -> HttpResponse:
    """The PDF receipt of a paid bill (404 for one not paid); shared with the pages."""
    if bill.status != Bill.Status.PAID:
        raise NotFound()
    receipt = receipts.bill_receipt(bill)
    verify_url = request.build_absolute_uri(reverse("receipt-verify")) + f"?code={receipt.code}"
    pdf = receipts.render_pdf(
        receipt, verify_url=verify_url, language=translation.get_language() or "zh-hans"
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="linli-bill-{bill.pk}.pdf"'
    return response


class ResidentAutoPayApi(LinliAPIView):
    """The caller's active auto-pay consents, and giving one for a unit (it replaces an
    earlier one for the same unit)."""

    class InputSerializer(serializers.Serializer[Any]):
        unit_id = serializers.IntegerField(min_value=1)
        monthly_cap_minor = serializers.IntegerField(
            min_value=1, max_value=autopay.MAX_CAP_MINOR, help_text="Minor units (fen)."
        )

    @extend_schema(
        operation_id="property_resident_autopay_list",
        responses=ResidentConsentSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        consents = autopay.resident_consents(signed_in_user(request))
        return Response([render_consent(consent) for consent in consents])

    @extend_schema(
        operation_id="property_resident_autopay_create",
        request=InputSerializer,
        responses={201: ResidentConsentSerializer},
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = autopay.autopay_consent(
            user=user,
            unit=autopay.resident_unit(user, data.validated_data["unit_id"]),
            monthly_cap_minor=data.validated_data["monthly_cap_minor"],
        )
        return Response(render_consent(consent), status=201)


class ResidentAutoPayWithdrawApi(LinliAPIView):
    @extend_schema(
        operation_id="property_resident_autopay_withdraw",
        request=None,
        responses=ResidentConsentSerializer,
    )
    def post(self, request: Request, consent_id: int) -> Response:
        user = signed_in_user(request)
        consent = autopay.autopay_withdraw(
            user=user, consent=autopay.resident_consent(user, consent_id)
        )
        return Response(render_consent(consent))
