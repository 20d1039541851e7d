"""Estate staff's billing pages: runs, fee rates, readings and one-off charges."""

from django.urls import path

from property_mgmt.views import billing as views

urlpatterns = [
    path("estate/<int:estate_id>/billing/", views.estate_billing, name="estate-billing"),
    path(
        "estate/<int:estate_id>/billing/<int:run_id>/",
        views.estate_billing_run,
        name="estate-billing-run",
    ),
    path(
        "estate/<int:estate_id>/billing/<int:run_id>/approve/",
        views.estate_billing_approve,
        name="estate-billing-approve",
    ),
    path("estate/<int:estate_id>/fees/", views.estate_fees, name="estate-fees"),
    path("estate/<int:estate_id>/readings/", views.estate_readings, name="estate-readings"),
    path(
        "estate/<int:estate_id>/readings/import/",
        views.estate_readings_import,
        name="estate-readings-import",
    ),
    path("estate/<int:estate_id>/charges/", views.estate_charges, name="estate-charges"),
]
