"""Fee rates, readings, one-off charges and the billing run over the API, for estate staff.

One view per operation, thin: each calls a service in ``property_mgmt.services.fees`` or
``.billing``. Another estate's anything is 404. None of these moves money, and issuing is
idempotent by the run's own state, so no Idempotency-Key is needed: approving twice issues
once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from core.errors import NotFound, ValidationFailed
from property_mgmt import fees
from property_mgmt.models import BillingRun, Building, FeeRate, MeterReading, OneOffCharge
from property_mgmt.models import Unit as UnitModel
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.services import billing
from property_mgmt.services import fees as fee_services

LIST_LIMIT = 200
FEE_KINDS_HELP = "One of: " + ", ".join(FeeRate.Kind.values) + "."
UNIT_KINDS_HELP = "Empty for every kind, or one of: " + ", ".join(UnitModel.Kind.values) + "."
SAMPLE_SIZE = 50


def _month(value: str) -> date:
    """``2026-06`` (or any day of it) as the first of the month."""
    try:
        if len(value) == 7:
            return date.fromisoformat(f"{value}-01")
        return fees.month_start(date.fromisoformat(value))
    except ValueError:
        raise ValidationFailed(fields={"month": [_("Enter a month as YYYY-MM.")]}) from None


class BillingMonthField(serializers.CharField):
    """A month as ``YYYY-MM``, validated into the first day of that month."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "A month, YYYY-MM.")
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        text = super().run_validation(data)
        try:
            return _month(text)
        except ValidationFailed as error:
            raise serializers.ValidationError(str(error.message)) from None


def _unit(estate_id: int, building: str, number: str) -> UnitModel:
    unit = (
        UnitModel.objects.filter(
            building__neighbourhood_id=estate_id, building__name=building, number=number
        )
        .select_related("building")
        .first()
    )
    if unit is None:
        raise NotFound()
    return unit


# --- bodies ----------------------------------------------------------------------------------


def render_rate(rate: FeeRate) -> dict[str, Any]:
    return {
        "id": rate.pk,
        "kind": rate.kind,
        "price": f"{Decimal(rate.price):.4f}",
        "tiers": rate.tiers,
        "building_id": rate.building_id,
        "building": rate.building.name if rate.building_id else None,  # type: ignore[union-attr]
        "unit_kind": rate.unit_kind,
        "effective_from": rate.effective_from.isoformat(),
    }


def render_reading(reading: MeterReading) -> dict[str, Any]:
    return {
        "id": reading.pk,
        "unit_id": reading.unit_id,
        "building": reading.unit.building.name,
        "unit": reading.unit.number,
        "meter": reading.meter,
        "month": f"{reading.period:%Y-%m}",
        "reading": str(reading.reading),
        "usage": str(reading.usage),
    }


def render_charge(charge: OneOffCharge) -> dict[str, Any]:
    return {
        "id": charge.pk,
        "unit_id": charge.unit_id,
        "building": charge.unit.building.name,
        "unit": charge.unit.number,
        "description": charge.description,
        "amount_minor": charge.amount_minor,
        "month": f"{charge.period:%Y-%m}",
    }


def render_run(run: BillingRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "neighbourhood_id": run.neighbourhood_id,
        "month": f"{run.period:%Y-%m}",
        "status": run.status,
        "bill_count": run.bill_count,
        "total_minor": run.total_minor,
        "approved_by_id": run.approved_by_id,
        "created_at": run.created_at.isoformat(),
        "issued_at": run.issued_at.isoformat() if run.issued_at else None,
    }


def render_planned_bill(bill: billing.BillPlan) -> dict[str, Any]:
    return {
        "unit_id": bill.unit_id,
        "building": bill.building,
        "unit": bill.number,
        "total_minor": bill.total_minor,
        "lines": [
            {
                "kind": line.kind,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "amount_minor": line.amount_minor,
            }
            for line in bill.lines
        ],
    }


# --- serializers of the bodies (schema) ------------------------------------------------------


class BillingFeeRateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=FEE_KINDS_HELP)
    price = serializers.DecimalField(max_digits=10, decimal_places=4)
    tiers = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(allow_null=True)),
        help_text='Cumulative tiers: [["10", "3.50"], [null, "5.00"]].',
    )
    building_id = serializers.IntegerField(allow_null=True)
    building = serializers.CharField(allow_null=True)
    unit_kind = serializers.CharField(help_text=UNIT_KINDS_HELP)
    effective_from = serializers.DateField()


class BillingReadingSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    building = serializers.CharField()
    unit = serializers.CharField()
    meter = serializers.ChoiceField(choices=MeterReading.Meter.choices)
    month = serializers.CharField()
    reading = serializers.DecimalField(max_digits=12, decimal_places=2)
    usage = serializers.DecimalField(max_digits=12, decimal_places=2)


class BillingChargeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    building = serializers.CharField()
    unit = serializers.CharField()
    description = serializers.CharField()
    amount_minor = serializers.IntegerField()
    month = serializers.CharField()


class BillingRunSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    neighbourhood_id = serializers.IntegerField()
    month = serializers.CharField()
    status = serializers.ChoiceField(choices=BillingRun.Status.choices)
    bill_count = serializers.IntegerField()
    total_minor = serializers.IntegerField()
    approved_by_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)


class BillingPlannedLineSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4)
    amount_minor = serializers.IntegerField()


class BillingPlannedBillSerializer(serializers.Serializer[Any]):
    unit_id = serializers.IntegerField()
    building = serializers.CharField()
    unit = serializers.CharField()
    total_minor = serializers.IntegerField()
    lines = BillingPlannedLineSerializer(many=True)


# --- rates -----------------------------------------------------------------------------------


class BillingFeeRatesApi(LinliAPIView):
    """The estate's rates by fee and date; setting a rate from a day on."""

    class InputSerializer(serializers.Serializer[Any]):
        # Plain strings checked by the service: enum fields named "kind" collide in the schema.
        kind = serializers.CharField(max_length=12, help_text=FEE_KINDS_HELP)
        price = serializers.DecimalField(
            max_digits=10, decimal_places=4, min_value=Decimal(0), required=False
        )
        tiers = serializers.ListField(
            child=serializers.ListField(
                child=serializers.CharField(allow_null=True), min_length=2, max_length=2
            ),
            required=False,
            help_text='Water and electricity: [["10", "3.50"], [null, "5.00"]].',
        )
        effective_from = serializers.DateField()
        building_id = serializers.IntegerField(required=False, allow_null=True)
        unit_kind = serializers.CharField(
            max_length=10, required=False, allow_blank=True, default="", help_text=UNIT_KINDS_HELP
        )

    @extend_schema(
        operation_id="property_fee_rates_list", responses=BillingFeeRateSerializer(many=True)
    )
    def get(self, request: Request, neighbourhood_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), neighbourhood_id)
        rates = fee_services.fee_rates_of(estate)[:LIST_LIMIT]
        return Response([render_rate(rate) for rate in rates])

    @extend_schema(
        operation_id="property_fee_rate_set",
        request=InputSerializer,
        responses={201: BillingFeeRateSerializer},
    )
    def post(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        building: Building | None = None
        if values.get("building_id"):
            building = Building.objects.filter(
                pk=values["building_id"], neighbourhood=estate
            ).first()
            if building is None:
                raise NotFound()
        rate = fee_services.fee_rate_set(
            manager=user,
            neighbourhood=estate,
            kind=values["kind"],
            price=values.get("price"),
            tiers=values.get("tiers"),
            effective_from=values["effective_from"],
            building=building,
            unit_kind=values["unit_kind"],
        )
        return Response(render_rate(rate), status=status.HTTP_201_CREATED)


# --- readings --------------------------------------------------------------------------------


class BillingReadingsApi(LinliAPIView):
    """A month's readings, and recording one."""

    class InputSerializer(serializers.Serializer[Any]):
        building = serializers.CharField(max_length=50)
        unit = serializers.CharField(max_length=20)
        meter = serializers.ChoiceField(choices=MeterReading.Meter.choices)
        month = BillingMonthField()
        reading = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0))

    @extend_schema(
        operation_id="property_readings_list",
        parameters=[OpenApiParameter("month", str, description="YYYY-MM", required=True)],
        responses=BillingReadingSerializer(many=True),
    )
    def get(self, request: Request, neighbourhood_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), neighbourhood_id)
        period = _month(request.query_params.get("month", ""))
        readings = fee_services.readings_of(estate, period)[:LIST_LIMIT]
        return Response([render_reading(r) for r in readings])

    @extend_schema(
        operation_id="property_reading_record",
        request=InputSerializer,
        responses={201: BillingReadingSerializer},
    )
    def post(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        reading = fee_services.reading_record(
            manager=user,
            unit=_unit(estate.pk, values["building"], values["unit"]),
            meter=values["meter"],
            period=values["month"],
            reading=values["reading"],
        )
        return Response(render_reading(reading), status=status.HTTP_201_CREATED)


class BillingReadingsImportApi(LinliAPIView):
    """A month's readings from a CSV file (building, unit, meter, reading), all or nothing:
    a bad row refuses the file with ``readings_import_invalid`` and every bad row in
    ``error.rows``."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        month = BillingMonthField()
        file = serializers.FileField()

    class OutputSerializer(serializers.Serializer[Any]):
        imported = serializers.IntegerField()

    @extend_schema(
        operation_id="property_readings_import",
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        imported = fee_services.readings_import(
            manager=user,
            neighbourhood=estate,
            period=data.validated_data["month"],
            data=data.validated_data["file"],
        )
        return Response({"imported": imported}, status=status.HTTP_201_CREATED)


# --- one-off charges -------------------------------------------------------------------------


class BillingChargesApi(LinliAPIView):
    """The estate's one-off charges (latest month first), and adding one."""

    class InputSerializer(serializers.Serializer[Any]):
        building = serializers.CharField(max_length=50)
        unit = serializers.CharField(max_length=20)
        description = serializers.CharField(max_length=100)
        amount_minor = serializers.IntegerField(min_value=1, max_value=100_000_000_00)
        month = BillingMonthField()

    @extend_schema(
        operation_id="property_charges_list", responses=BillingChargeSerializer(many=True)
    )
    def get(self, request: Request, neighbourhood_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), neighbourhood_id)
        return Response([render_charge(c) for c in fee_services.charges_of(estate)[:LIST_LIMIT]])

    @extend_schema(
        operation_id="property_charge_add",
        request=InputSerializer,
        responses={201: BillingChargeSerializer},
    )
    def post(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        charge = fee_services.one_off_charge_add(
            manager=user,
            unit=_unit(estate.pk, values["building"], values["unit"]),
            description=values["description"],
            amount_minor=values["amount_minor"],
            period=values["month"],
        )
        return Response(render_charge(charge), status=status.HTTP_201_CREATED)


# --- the billing run -------------------------------------------------------------------------


class BillingRunsApi(LinliAPIView):
    """The estate's runs, latest month first."""

    @extend_schema(
        operation_id="property_billing_runs_list", responses=BillingRunSerializer(many=True)
    )
    def get(self, request: Request, neighbourhood_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), neighbourhood_id)
        runs = billing.billing_runs_of(estate)[:LIST_LIMIT]
        return Response([render_run(run) for run in runs])


class BillingPreviewApi(LinliAPIView):
    """Compute a month's bills without issuing them: the run (in ``preview``) with its count
    and total, totals by fee, and the first bills."""

    class InputSerializer(serializers.Serializer[Any]):
        month = BillingMonthField()

    class OutputSerializer(serializers.Serializer[Any]):
        run = BillingRunSerializer()
        occupied_units = serializers.IntegerField()
        units_with_nothing_to_bill = serializers.IntegerField()
        due_date = serializers.DateField()
        totals_by_kind = serializers.DictField(child=serializers.IntegerField())
        sample = BillingPlannedBillSerializer(many=True)

    @extend_schema(
        operation_id="property_billing_preview", request=InputSerializer, responses=OutputSerializer
    )
    def post(self, request: Request, neighbourhood_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preview = billing.billing_preview(
            manager=user,
            neighbourhood=estate,
            period=data.validated_data["month"],
            language=getattr(request, "LANGUAGE_CODE", None),
        )
        plan = preview.plan
        return Response(
            {
                "run": render_run(preview.run),
                "occupied_units": plan.occupied,
                "units_with_nothing_to_bill": plan.skipped,
                "due_date": plan.due_date.isoformat(),
                "totals_by_kind": plan.totals_by_kind(),
                "sample": [render_planned_bill(b) for b in plan.bills[:SAMPLE_SIZE]],
            }
        )


class BillingIssueApi(LinliAPIView):
    """Approve a previewed run: it is issued by a background task (``202``, status
    ``issuing``; ``issued`` once done). Approving an issued run changes nothing."""

    @extend_schema(
        operation_id="property_billing_issue", request=None, responses={202: BillingRunSerializer}
    )
    def post(self, request: Request, neighbourhood_id: int, run_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, neighbourhood_id)
        run = billing.billing_run_of(estate, run_id)
        run = billing.billing_approve(run=run, approved_by=user)
        return Response(render_run(run), status=status.HTTP_202_ACCEPTED)
