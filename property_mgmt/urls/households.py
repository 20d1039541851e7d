"""Estate records pages: units and buildings, households, the import; residents' "My home"."""

from django.urls import path

from property_mgmt.views import households as views

_ESTATE = "estate/<int:estate_id>"

urlpatterns = [
    path(f"{_ESTATE}/units/", views.unit_list, name="estate-units"),
    path(f"{_ESTATE}/units/new/", views.unit_new, name="estate-unit-new"),
    path(f"{_ESTATE}/units/<int:unit_id>/", views.unit_detail, name="estate-unit"),
    path(f"{_ESTATE}/buildings/new/", views.building_new, name="estate-building-new"),
    path(f"{_ESTATE}/households/pending/", views.pending_list, name="estate-households-pending"),
    path(
        f"{_ESTATE}/households/<int:household_id>/confirm/",
        views.household_confirm,
        name="estate-household-confirm",
    ),
    path(
        f"{_ESTATE}/households/<int:household_id>/end/",
        views.household_end,
        name="estate-household-end",
    ),
    path(f"{_ESTATE}/import/", views.import_upload, name="estate-import"),
    path(f"{_ESTATE}/import/confirm/", views.import_confirm, name="estate-import-confirm"),
    path("home/", views.my_home, name="my-home"),
    path("home/estates/<int:estate_id>/request/", views.my_home_request, name="my-home-request"),
]
