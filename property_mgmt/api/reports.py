"""Managers' reports over the API: bills with filters, arrears, collection rates.

Reads only, so no Idempotency-Key. Every endpoint answers 404 for an estate the caller does
not manage, exactly as for one that does not exist.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from property_mgmt import selectors_reports as reports
from property_mgmt.models import Bill, Household
from property_mgmt.selectors import managed_neighbourhood


class ReportPages(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}(-\d{2})?$", "example": "2026-03"})
class ReportMonthField(serializers.DateField):
    """A month as ``YYYY-MM`` (a full date is accepted and means its month)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m", "%Y-%m-%d"])
        kwargs.setdefault("format", "%Y-%m")
        super().__init__(**kwargs)


class ReportBillSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    building_id = serializers.IntegerField(source="unit.building_id")
    building = serializers.CharField(source="unit.building.name")
    unit_id = serializers.IntegerField()
    unit = serializers.CharField(source="unit.number")
    kind = serializers.ChoiceField(choices=Bill.Kind.choices)
    period = ReportMonthField(allow_null=True)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Bill.Status.choices)
    total_minor = serializers.IntegerField(help_text="In fen.")
    currency = serializers.CharField(default="CNY")
    due_date = serializers.DateField()
    paid_at = serializers.DateTimeField(allow_null=True)


class EstateReportBillsApi(LinliAPIView):
    """The estate's bills by building and unit, filtered as on the bills page."""

    pagination_class = ReportPages  # so the schema shows the paged envelope

    class InputSerializer(serializers.Serializer[Any]):
        building_id = serializers.IntegerField(required=False, min_value=1)
        unit_id = serializers.IntegerField(required=False, min_value=1)
        unit_number = serializers.CharField(required=False, max_length=20)
        status = serializers.ChoiceField(choices=Bill.Status.choices, required=False)
        period = ReportMonthField(required=False, help_text="YYYY-MM")
        due_from = serializers.DateField(required=False)
        due_to = serializers.DateField(required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            start, end = attrs.get("due_from"), attrs.get("due_to")
            if start and end and start > end:
                raise serializers.ValidationError(
                    {"due_to": ["The end of the range is before its start."]}
                )
            return attrs

        def to_filter(self) -> reports.BillFilter:
            return reports.BillFilter(**self.validated_data)

    @extend_schema(
        operation_id="estate_reports_bills",
        parameters=[InputSerializer],
        responses=ReportBillSerializer(many=True),
    )
    def get(self, request: Request, estate_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), estate_id)
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = ReportPages()
        page = paginator.paginate_queryset(
            reports.estate_bills(estate, query.to_filter()), request, view=self
        )
        return paginator.get_paginated_response(ReportBillSerializer(page, many=True).data)


class ReportContactSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    phone = serializers.CharField(help_text="Only the last four digits show.")
    relation = serializers.ChoiceField(choices=Household.Relation.choices)


class ReportBuildingArrearsSerializer(serializers.Serializer[Any]):
    building_id = serializers.IntegerField()
    name = serializers.CharField()
    bills = serializers.IntegerField()
    owed_minor = serializers.IntegerField()


class ReportArrearsRowSerializer(serializers.Serializer[Any]):
    bill = ReportBillSerializer()
    days_overdue = serializers.IntegerField()
    owed_minor = serializers.IntegerField()
    contacts = ReportContactSerializer(many=True)


class EstateReportArrearsApi(LinliAPIView):
    """Unpaid bills past their due date, longest overdue first, with days overdue as of
    today (Asia/Shanghai), the household's confirmed members (mobile masked) and totals by
    building. Only ``results`` is paged; the totals cover every overdue bill."""

    class OutputSerializer(serializers.Serializer[Any]):
        as_of = serializers.DateField()
        bills = serializers.IntegerField(help_text="Overdue bills in the estate.")
        owed_minor = serializers.IntegerField()
        buildings = ReportBuildingArrearsSerializer(many=True)
        count = serializers.IntegerField()
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        results = ReportArrearsRowSerializer(many=True, help_text="Longest overdue first.")

    @extend_schema(
        operation_id="estate_reports_arrears",
        parameters=[
            OpenApiParameter("page", int, description="Page number, from 1."),
            OpenApiParameter("page_size", int, description="Rows a page, at most 200."),
        ],
        responses=OutputSerializer,
    )
    def get(self, request: Request, estate_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), estate_id)
        today = timezone.localdate()
        summary = reports.arrears_by_building(estate, today)
        paginator = ReportPages()
        page = paginator.paginate_queryset(reports.arrears_bills(estate, today), request, view=self)
        data = {
            "as_of": today,
            "bills": summary.bills,
            "owed_minor": summary.owed_minor,
            "buildings": summary.buildings,
            "count": paginator.page.paginator.count if paginator.page else 0,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": reports.arrears_rows(page or [], today),
        }
        return Response(self.OutputSerializer(data).data)


class ReportRateSerializer(serializers.Serializer[Any]):
    billed_minor = serializers.IntegerField()
    paid_minor = serializers.IntegerField()
    rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        rounding=ROUND_HALF_UP,
        allow_null=True,
        help_text="paid / billed, rounded half up to 4 places; null when nothing was billed.",
    )
    percent = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="The rate in percent."
    )


class ReportBuildingRateSerializer(ReportRateSerializer):
    building_id = serializers.IntegerField()


class ReportMonthRateSerializer(ReportRateSerializer):
    month = ReportMonthField()
    buildings = ReportBuildingRateSerializer(many=True)


class ReportBuildingRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _rate(cell: reports.Collection, **extra: Any) -> dict[str, Any]:
    return {
        "billed_minor": cell.billed_minor,
        "paid_minor": cell.paid_minor,
        "rate": cell.rate,
        "percent": cell.percent,
        **extra,
    }


class EstateReportCollectionApi(LinliAPIView):
    """Billed and paid totals and the rate paid / billed for each of the last 12 months and
    each building. A bill counts in the month it was billed for (a one-off bill without one,
    the month it fell due); waived and cancelled bills count on neither side."""

    class OutputSerializer(serializers.Serializer[Any]):
        as_of = serializers.DateField()
        buildings = ReportBuildingRefSerializer(many=True)
        months = ReportMonthRateSerializer(many=True, help_text="The last 12, oldest first.")
        building_totals = ReportBuildingRateSerializer(many=True)
        total = ReportRateSerializer()

    @extend_schema(operation_id="estate_reports_collection", responses=OutputSerializer)
    def get(self, request: Request, estate_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), estate_id)
        today = timezone.localdate()
        report = reports.collection_report(estate, today=today)
        building_ids = [b.pk for b in report.buildings]
        data = {
            "as_of": today,
            "buildings": report.buildings,
            "months": [
                _rate(
                    month.total,
                    month=month.month,
                    buildings=[
                        _rate(cell, building_id=pk)
                        for pk, cell in zip(building_ids, month.by_building, strict=True)
                    ],
                )
                for month in report.months
            ],
            "building_totals": [
                _rate(cell, building_id=pk)
                for pk, cell in zip(building_ids, report.building_totals, strict=True)
            ],
            "total": _rate(report.total),
        }
        return Response(self.OutputSerializer(data).data)
