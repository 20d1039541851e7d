from django.urls import path

from merchants.api import sales as api

urlpatterns = [
    path(
        "shops/<int:shop_id>/payments/", api.ShopPaymentListApi.as_view(), name="api-shop-payments"
    ),
    path(
        "shops/<int:shop_id>/payments/<int:payment_id>/",
        api.ShopPaymentDetailApi.as_view(),
        name="api-shop-payment",
    ),
    path(
        "shops/<int:shop_id>/payments/<int:payment_id>/refunds/",
        api.ShopRefundCreateApi.as_view(),
        name="api-shop-refund-create",
    ),
    path(
        "shops/<int:shop_id>/sales/daily/", api.ShopDailySalesApi.as_view(), name="api-shop-daily"
    ),
]
