"""A manager's bill over the API: read it with its lines and history, adjust, waive, cancel,
and issue a one-off bill. One view per operation, thin; the rules are in
``property_mgmt.services.bills``.

Adjusting and issuing change what a resident owes, so they take an Idempotency-Key
(``WalletApiView``): the same key and body replays the first answer instead of adjusting or
billing twice. Waiving and cancelling are refused the second time by the bill's status.
Everything is scoped to the caller's estates: another estate's bill or unit is 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from property_mgmt.models import Bill
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.services import bills
from wallet.api.base import IDEMPOTENCY_HEADER, WalletApiView

MAX_AMOUNT_MINOR = bills.MAX_LINE_MINOR

# --- bodies (pure functions of service results: idempotency records store them) -----------


def render_estate_bill(bill: Bill) -> dict[str, Any]:
    """The bill with its lines and audit trail (prefetched by ``bills.estate_bill``)."""
    unit = bill.unit
    return {
        "id": bill.pk,
        "neighbourhood_id": bill.neighbourhood_id,
        "unit": {"id": unit.pk, "building": unit.building.name, "number": unit.number},
        "kind": bill.kind,
        "period": bill.period.isoformat() if bill.period else None,
        "title": bill.title,
        "status": bill.status,
        "total_minor": bill.total_minor,
        "currency": "CNY",
        "due_date": bill.due_date.isoformat(),
        "issued_at": bill.issued_at.isoformat(),
        "paid_at": bill.paid_at.isoformat() if bill.paid_at else None,
        "lines": [
            {
                "id": line.pk,
                "kind": line.kind,
                "description": line.description,
                "amount_minor": line.amount_minor,
                "accrued_on": line.accrued_on.isoformat() if line.accrued_on else None,
            }
            for line in bill.lines.all()
        ],
        "events": [
            {
                "id": event.pk,
                "kind": event.kind,
                "amount_minor": event.amount_minor,
                "reason": event.reason,
                "actor": {"id": event.actor.pk, "name": str(event.actor)} if event.actor else None,
                "created_at": event.created_at.isoformat(),
            }
            for event in bill.events.all()
        ],
    }


def _fresh(bill: Bill) -> dict[str, Any]:
    """Render a bill a service returned, with its lines and events read in a fixed number
    of queries (it runs inside the idempotent transaction)."""
    return render_estate_bill(
        bills.estate_bill(neighbourhood_id=bill.neighbourhood_id, bill_id=bill.pk)
    )


# --- serializers (schema of the body above) ------------------------------------------------


class EstateBillUnitSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    building = serializers.CharField()
    number = serializers.CharField()


class EstateBillLineSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    description = serializers.CharField()
    amount_minor = serializers.IntegerField()
    accrued_on = serializers.DateField(allow_null=True)


class EstateBillActorSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EstateBillEventSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount_minor = serializers.IntegerField()
    reason = serializers.CharField()
    actor = EstateBillActorSerializer(allow_null=True)
    created_at = serializers.DateTimeField()


class EstateBillSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    neighbourhood_id = serializers.IntegerField()
    unit = EstateBillUnitSerializer()
    kind = serializers.CharField()
    period = serializers.DateField(allow_null=True)
    title = serializers.CharField()
    status = serializers.CharField()
    total_minor = serializers.IntegerField()
    currency = serializers.CharField()
    due_date = serializers.DateField()
    issued_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    lines = EstateBillLineSerializer(many=True)
    events = EstateBillEventSerializer(many=True)


# --- views ---------------------------------------------------------------------------------


class EstateBillDetailApi(LinliAPIView):
    """One bill of an estate the caller manages, with its lines and audit trail."""

    @extend_schema(operation_id="estate_bill_retrieve", responses=EstateBillSerializer)
    def get(self, request: Request, neighbourhood_id: int, bill_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), neighbourhood_id)
        return Response(
            render_estate_bill(bills.estate_bill(neighbourhood_id=estate.pk, bill_id=bill_id))
        )


class EstateBillAdjustApi(WalletApiView):
    """Add to or take off a bill (an adjustment line), with a reason kept in its history."""

    class InputSerializer(serializers.Serializer[Any]):
        amount_minor = serializers.IntegerField(
            min_value=-MAX_AMOUNT_MINOR,
            max_value=MAX_AMOUNT_MINOR,
            help_text="Fen to add (positive) or take off (negative); not zero.",
        )
        reason = serializers.CharField(max_length=bills.MAX_REASON)

    @extend_schema(
        operation_id="estate_bill_adjust",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: EstateBillSerializer},
    )
    def post(self, request: Request, neighbourhood_id: int, bill_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        bill = bills.estate_bill(neighbourhood_id=estate.pk, bill_id=bill_id)
        idempotency = self.idempotency(request, _fresh)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        adjusted = bills.bill_adjust(
            manager=user,
            bill=bill,
            amount_minor=data.validated_data["amount_minor"],
            reason=data.validated_data["reason"],
            idempotency=idempotency,
        )
        return Response(_fresh(adjusted), status=201)


class EstateBillReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=bills.MAX_REASON)


class EstateBillWaiveApi(LinliAPIView):
    """Forgive the bill; a second waiver (or one of a paid bill) is refused with 409."""

    @extend_schema(
        operation_id="estate_bill_waive",
        request=EstateBillReasonSerializer,
        responses=EstateBillSerializer,
    )
    def post(self, request: Request, neighbourhood_id: int, bill_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        bill = bills.estate_bill(neighbourhood_id=estate.pk, bill_id=bill_id)
        data = EstateBillReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        waived = bills.bill_waive(manager=user, bill=bill, reason=data.validated_data["reason"])
        return Response(_fresh(waived))


class EstateBillCancelApi(LinliAPIView):
    """Withdraw a bill issued in error; refused with 409 once paid, waived or cancelled."""

    @extend_schema(
        operation_id="estate_bill_cancel",
        request=EstateBillReasonSerializer,
        responses=EstateBillSerializer,
    )
    def post(self, request: Request, neighbourhood_id: int, bill_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        bill = bills.estate_bill(neighbourhood_id=estate.pk, bill_id=bill_id)
        data = EstateBillReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cancelled = bills.bill_cancel(manager=user, bill=bill, reason=data.validated_data["reason"])
        return Response(_fresh(cancelled))


class EstateBillAdhocLineSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=200)
    amount_minor = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT_MINOR)


class EstateBillAdhocCreateApi(WalletApiView):
    """Issue a one-off bill for one unit of the estate."""

    class InputSerializer(serializers.Serializer[Any]):
        unit_id = serializers.IntegerField()
        title = serializers.CharField(max_length=100)
        due_date = serializers.DateField()
        lines = serializers.ListField(
            child=EstateBillAdhocLineSerializer(), min_length=1, max_length=bills.MAX_ADHOC_LINES
        )

    @extend_schema(
        operation_id="estate_bill_create_adhoc",
        parameters=[IDEMPOTENCY_HEADER],
        request=InputSerializer,
        responses={201: EstateBillSerializer},
    )
    def post(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        idempotency = self.idempotency(request, _fresh)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = bills.bill_create_adhoc(
            manager=user,
            unit=bills.estate_unit(estate, values["unit_id"]),
            title=values["title"],
            lines=[
                bills.AdhocLine(line["description"], line["amount_minor"])
                for line in values["lines"]
            ],
            due_date=values["due_date"],
            idempotency=idempotency,
        )
        return Response(_fresh(created), status=201)
