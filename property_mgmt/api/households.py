"""Estate records over the API: units per estate, household members (list, add, confirm,
end), the import, and the caller's own homes. Thin: rules live in the services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from community.auth import signed_in_user
from core.api import LinliAPIView
from core.serializers import ErrorDetailSerializer
from property_mgmt import selectors_households as reads
from property_mgmt.models import Household, Unit
from property_mgmt.selectors import managed_neighbourhood
from property_mgmt.services import households as homes
from property_mgmt.services import imports


class HouseholdPages(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


# --- shared shapes -------------------------------------------------------------------------


class PropertyUnitSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    building_id = serializers.IntegerField()
    building = serializers.CharField(source="building.name")
    number = serializers.CharField()
    floor = serializers.IntegerField()
    area_m2 = serializers.DecimalField(max_digits=8, decimal_places=2)
    kind = serializers.ChoiceField(choices=Unit.Kind.choices)


# Each choice set lives in one component (units nest rather than inherit), so the schema
# names its enums without collisions.
class PropertyUnitListItemSerializer(serializers.Serializer[Any]):
    unit = PropertyUnitSerializer(source="*")
    confirmed_count = serializers.IntegerField(help_text="Confirmed household members.")
    pending_count = serializers.IntegerField(help_text="Members waiting for confirmation.")


class HouseholdMemberSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    unit = serializers.CharField(source="unit.__str__", help_text="Building and unit number.")
    name = serializers.CharField()
    phone = serializers.CharField(help_text="E.164 mobile number.")
    relation = serializers.ChoiceField(choices=Household.Relation.choices)
    status = serializers.ChoiceField(choices=Household.Status.choices)
    has_account = serializers.SerializerMethodField(
        help_text="Whether someone signed up with this number; only then can they be confirmed."
    )
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)

    def get_has_account(self, household: Household) -> bool:
        return household.user_id is not None


# --- units ---------------------------------------------------------------------------------


class PropertyUnitListApi(LinliAPIView):
    """An estate's units with occupancy; staff of the estate only (anyone else: 404)."""

    pagination_class = HouseholdPages

    @extend_schema(
        operation_id="property_units_list",
        parameters=[
            OpenApiParameter("building", int, description="Only this building's units."),
        ],
        responses=PropertyUnitListItemSerializer(many=True),
    )
    def get(self, request: Request, estate_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), estate_id)
        building = request.query_params.get("building", "")
        units = reads.estate_units(
            estate, building_id=int(building) if building.isdigit() else None
        )
        paginator = HouseholdPages()
        page = paginator.paginate_queryset(units, request, view=self)
        return paginator.get_paginated_response(
            PropertyUnitListItemSerializer(page, many=True).data
        )


class PropertyUnitDetailApi(LinliAPIView):
    class OutputSerializer(serializers.Serializer[Any]):
        unit = PropertyUnitSerializer(source="*")
        members = HouseholdMemberSerializer(many=True, help_text="Open rows: pending, confirmed.")

    @extend_schema(operation_id="property_unit_retrieve", responses=OutputSerializer)
    def get(self, request: Request, estate_id: int, unit_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), estate_id)
        unit = reads.estate_unit(estate, unit_id)
        unit.members = list(reads.unit_members(unit))  # type: ignore[attr-defined]
        return Response(self.OutputSerializer(unit).data)


# --- households ------------------------------------------------------------------------------


class HouseholdListAddApi(LinliAPIView):
    pagination_class = HouseholdPages

    class InputSerializer(serializers.Serializer[Any]):
        unit_id = serializers.IntegerField()
        phone = serializers.CharField(max_length=32, help_text="Mainland mobile number.")
        name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
        relation = serializers.ChoiceField(choices=Household.Relation.choices)

    @extend_schema(
        operation_id="property_households_list",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=Household.Status.values,
                description="Only rows in this state (pending: the confirmation queue).",
            ),
        ],
        responses=HouseholdMemberSerializer(many=True),
    )
    def get(self, request: Request, estate_id: int) -> Response:
        estate = managed_neighbourhood(signed_in_user(request), estate_id)
        wanted = request.query_params.get("status", "")
        rows = reads.estate_households(
            estate, status=wanted if wanted in Household.Status.values else None
        )
        paginator = HouseholdPages()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(HouseholdMemberSerializer(page, many=True).data)

    @extend_schema(
        operation_id="property_household_add",
        request=InputSerializer,
        responses={201: HouseholdMemberSerializer},
    )
    def post(self, request: Request, estate_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, estate_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit = reads.estate_unit(estate, values.pop("unit_id"))
        household = homes.household_add(manager=user, unit=unit, **values)
        return Response(HouseholdMemberSerializer(household).data, status=status.HTTP_201_CREATED)


class HouseholdConfirmApi(LinliAPIView):
    @extend_schema(
        operation_id="property_household_confirm",
        request=None,
        responses=HouseholdMemberSerializer,
    )
    def post(self, request: Request, estate_id: int, household_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, estate_id)
        household = reads.estate_household(estate, household_id)
        confirmed = homes.household_confirm(manager=user, household=household)
        return Response(HouseholdMemberSerializer(confirmed).data)


class HouseholdEndApi(LinliAPIView):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=300, help_text="Kept with the level change.")

    @extend_schema(
        operation_id="property_household_end",
        request=InputSerializer,
        responses=HouseholdMemberSerializer,
    )
    def post(self, request: Request, estate_id: int, household_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, estate_id)
        household = reads.estate_household(estate, household_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ended = homes.household_end(
            manager=user, household=household, reason=data.validated_data["reason"]
        )
        return Response(HouseholdMemberSerializer(ended).data)


# --- import ----------------------------------------------------------------------------------


class HouseholdImportRowErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text="Row in the sheet; the header is row 1.")
    column = serializers.CharField(help_text="The column's heading as in the file.")
    message = serializers.CharField()


class HouseholdImportRefusalBodySerializer(ErrorDetailSerializer):
    rows = HouseholdImportRowErrorSerializer(
        many=True, required=False, help_text="With import_rows_invalid: every bad row."
    )


class HouseholdImportRefusalSerializer(serializers.Serializer[Any]):
    error = HouseholdImportRefusalBodySerializer()


class HouseholdImportApi(LinliAPIView):
    """Import buildings, units and households from a CSV or .xlsx file: all or nothing."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField(help_text="CSV (UTF-8 or GB18030) or Excel .xlsx.")
        dry_run = serializers.BooleanField(
            default=False, help_text="Check and say what would change; write nothing."
        )

    class OutputSerializer(serializers.Serializer[Any]):
        class HouseholdImportUnitChangeSerializer(serializers.Serializer[Any]):
            building = serializers.CharField()
            number = serializers.CharField()
            before = serializers.CharField()
            after = serializers.CharField()

        class HouseholdImportCountsSerializer(serializers.Serializer[Any]):
            rows = serializers.IntegerField()
            buildings_created = serializers.IntegerField()
            units_created = serializers.IntegerField()
            units_updated = serializers.IntegerField()
            units_unchanged = serializers.IntegerField()
            households_added = serializers.IntegerField()
            households_linked = serializers.IntegerField(
                help_text="Of those added, how many have a Linli account already."
            )
            households_already_listed = serializers.IntegerField()

        applied = serializers.BooleanField(help_text="False for a dry run.")
        counts = HouseholdImportCountsSerializer()
        buildings_created = serializers.ListField(child=serializers.CharField())
        units_updated = HouseholdImportUnitChangeSerializer(many=True)

    @extend_schema(
        operation_id="property_import",
        request={"multipart/form-data": InputSerializer},
        responses={
            200: OutputSerializer,
            422: OpenApiResponse(
                HouseholdImportRefusalSerializer,
                description="import_rows_invalid (with rows) or import_file_unreadable; "
                "nothing was imported.",
            ),
        },
    )
    def post(self, request: Request, estate_id: int) -> Response:
        user = signed_in_user(request)
        estate = managed_neighbourhood(user, estate_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        plan = imports.import_check(
            manager=user,
            neighbourhood=estate,
            filename=upload.name or "",
            content=upload.read(imports.MAX_FILE_BYTES + 1),
        )
        applied = not data.validated_data["dry_run"]
        if applied:
            plan = imports.import_apply(manager=user, neighbourhood=estate, rows=plan.rows)
        return Response(
            self.OutputSerializer(
                {
                    "applied": applied,
                    "counts": plan.counts(),
                    "buildings_created": plan.buildings_created,
                    "units_updated": plan.units_updated,
                }
            ).data
        )


# --- residents -------------------------------------------------------------------------------


class MyHomesApi(LinliAPIView):
    """The caller's homes, and "I live here" (a request the estate's manager confirms)."""

    class InputSerializer(serializers.Serializer[Any]):
        estate_id = serializers.IntegerField()
        building_id = serializers.IntegerField()
        number = serializers.CharField(max_length=20, help_text="The unit number.")
        relation = serializers.ChoiceField(choices=Household.Relation.choices)

    class OutputSerializer(serializers.Serializer[Any]):
        class HouseholdHomeMemberSerializer(serializers.Serializer[Any]):
            id = serializers.IntegerField()
            name = serializers.CharField()
            relation = serializers.ChoiceField(choices=Household.Relation.choices)

        id = serializers.IntegerField()
        estate_id = serializers.IntegerField(source="unit.building.neighbourhood_id")
        estate = serializers.CharField(source="unit.building.neighbourhood.name")
        unit = PropertyUnitSerializer()
        relation = serializers.ChoiceField(choices=Household.Relation.choices)
        confirmed = serializers.SerializerMethodField(
            help_text="False while the estate's manager has not confirmed you yet."
        )
        members = HouseholdHomeMemberSerializer(
            many=True, help_text="Confirmed members; only once you are confirmed yourself."
        )

        def get_confirmed(self, household: Household) -> bool:
            return household.status == Household.Status.CONFIRMED

    @extend_schema(operation_id="property_my_homes", responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        homes.household_link_pending(user=user)
        return Response(self.OutputSerializer(reads.my_homes(user), many=True).data)

    @extend_schema(
        operation_id="property_my_home_request",
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        unit = reads.unit_for_request(
            user, values["estate_id"], values["building_id"], values["number"]
        )
        household = homes.household_request(user=user, unit=unit, relation=values["relation"])
        household.members = [household]  # type: ignore[attr-defined]
        return Response(self.OutputSerializer(household).data, status=status.HTTP_201_CREATED)
