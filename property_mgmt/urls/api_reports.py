from django.urls import path

from property_mgmt.api import reports as api

urlpatterns = [
    path(
        "estates/<int:estate_id>/reports/bills/",
        api.EstateReportBillsApi.as_view(),
        name="api-estate-report-bills",
    ),
    path(
        "estates/<int:estate_id>/reports/arrears/",
        api.EstateReportArrearsApi.as_view(),
        name="api-estate-report-arrears",
    ),
    path(
        "estates/<int:estate_id>/reports/collection/",
        api.EstateReportCollectionApi.as_view(),
        name="api-estate-report-collection",
    ),
]
