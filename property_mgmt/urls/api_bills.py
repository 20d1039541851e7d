from django.urls import path

from property_mgmt.api import bills as api

urlpatterns = [
    path(
        "estates/<int:neighbourhood_id>/bills/adhoc/",
        api.EstateBillAdhocCreateApi.as_view(),
        name="api-estate-bill-adhoc",
    ),
    path(
        "estates/<int:neighbourhood_id>/bills/<int:bill_id>/",
        api.EstateBillDetailApi.as_view(),
        name="api-estate-bill",
    ),
    path(
        "estates/<int:neighbourhood_id>/bills/<int:bill_id>/adjust/",
        api.EstateBillAdjustApi.as_view(),
        name="api-estate-bill-adjust",
    ),
    path(
        "estates/<int:neighbourhood_id>/bills/<int:bill_id>/waive/",
        api.EstateBillWaiveApi.as_view(),
        name="api-estate-bill-waive",
    ),
    path(
        "estates/<int:neighbourhood_id>/bills/<int:bill_id>/cancel/",
        api.EstateBillCancelApi.as_view(),
        name="api-estate-bill-cancel",
    ),
]
