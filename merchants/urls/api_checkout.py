from django.urls import path

from merchants.api import checkout as api

urlpatterns = [
    path(
        "shops/<int:shop_id>/till/requests/",
        api.CheckoutRequestListApi.as_view(),
        name="api-checkout-requests",
    ),
    path(
        "shops/<int:shop_id>/till/requests/create/",
        api.CheckoutRequestCreateApi.as_view(),
        name="api-checkout-request-create",
    ),
    path(
        "till/requests/<int:request_id>/",
        api.CheckoutRequestStatusApi.as_view(),
        name="api-checkout-request",
    ),
    path(
        "pay-requests/<str:token>/",
        api.CheckoutRequestPreviewApi.as_view(),
        name="api-checkout-request-preview",
    ),
    path(
        "pay-requests/<str:token>/pay/",
        api.CheckoutRequestPayApi.as_view(),
        name="api-checkout-request-pay",
    ),
    path("me/payment-codes/", api.CheckoutCodeIssueApi.as_view(), name="api-checkout-code-issue"),
    path(
        "shops/<int:shop_id>/till/codes/charge/",
        api.CheckoutCodeChargeApi.as_view(),
        name="api-checkout-code-charge",
    ),
]
