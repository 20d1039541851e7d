"""API of fee rates, readings, one-off charges and the billing run (estate staff)."""

from django.urls import path

from property_mgmt.api import billing as api

urlpatterns = [
    path(
        "estates/<int:neighbourhood_id>/fee-rates/",
        api.BillingFeeRatesApi.as_view(),
        name="api-estate-fee-rates",
    ),
    path(
        "estates/<int:neighbourhood_id>/readings/",
        api.BillingReadingsApi.as_view(),
        name="api-estate-readings",
    ),
    path(
        "estates/<int:neighbourhood_id>/readings/import/",
        api.BillingReadingsImportApi.as_view(),
        name="api-estate-readings-import",
    ),
    path(
        "estates/<int:neighbourhood_id>/charges/",
        api.BillingChargesApi.as_view(),
        name="api-estate-charges",
    ),
    path(
        "estates/<int:neighbourhood_id>/billing/runs/",
        api.BillingRunsApi.as_view(),
        name="api-estate-billing-runs",
    ),
    path(
        "estates/<int:neighbourhood_id>/billing/preview/",
        api.BillingPreviewApi.as_view(),
        name="api-estate-billing-preview",
    ),
    path(
        "estates/<int:neighbourhood_id>/billing/runs/<int:run_id>/issue/",
        api.BillingIssueApi.as_view(),
        name="api-estate-billing-issue",
    ),
]
