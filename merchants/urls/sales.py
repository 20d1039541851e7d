from django.urls import path

from merchants.views import sales as views

urlpatterns = [
    path("shop/<int:shop_id>/dashboard/", views.dashboard, name="merchant-dashboard"),
    path("shop/<int:shop_id>/payments/", views.payments_list, name="merchant-payments"),
    path(
        "shop/<int:shop_id>/payments/<int:payment_id>/",
        views.payment_detail,
        name="merchant-payment",
    ),
]
