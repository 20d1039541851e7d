from django.urls import path

from merchants.views import checkout as views

urlpatterns = [
    path("shop/<int:shop_id>/till/", views.till, name="merchant-till"),
    path(
        "shop/<int:shop_id>/till/requests/<int:request_id>/",
        views.till_request,
        name="merchant-till-request",
    ),
    path("shop/<int:shop_id>/till/code/", views.till_charge_code, name="merchant-till-code"),
    path("shop/<int:shop_id>/qr/", views.static_qr, name="merchant-static-qr"),
    path("pay/r/<str:token>/", views.request_pay, name="merchant-request-pay"),
    path("pay/code/", views.payment_code, name="merchant-payment-code"),
    path("pay/code/next/", views.payment_code_next, name="merchant-payment-code-next"),
]
