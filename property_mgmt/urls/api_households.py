"""API of the estate records: units, household members, the import, my homes."""

from django.urls import path

from property_mgmt.api import households as api

_ESTATE = "estates/<int:estate_id>"

urlpatterns = [
    path(f"{_ESTATE}/units/", api.PropertyUnitListApi.as_view(), name="api-estate-units"),
    path(
        f"{_ESTATE}/units/<int:unit_id>/",
        api.PropertyUnitDetailApi.as_view(),
        name="api-estate-unit",
    ),
    path(
        f"{_ESTATE}/households/",
        api.HouseholdListAddApi.as_view(),
        name="api-estate-households",
    ),
    path(
        f"{_ESTATE}/households/<int:household_id>/confirm/",
        api.HouseholdConfirmApi.as_view(),
        name="api-estate-household-confirm",
    ),
    path(
        f"{_ESTATE}/households/<int:household_id>/end/",
        api.HouseholdEndApi.as_view(),
        name="api-estate-household-end",
    ),
    path(f"{_ESTATE}/import/", api.HouseholdImportApi.as_view(), name="api-estate-import"),
    path("homes/", api.MyHomesApi.as_view(), name="api-my-homes"),
]
