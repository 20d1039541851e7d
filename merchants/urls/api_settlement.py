from django.urls import path

from merchants.api import settlement as api

urlpatterns = [
    path(
        "shops/<int:shop_id>/settlements/",
        api.MerchantSettlementListApi.as_view(),
        name="api-merchant-settlements",
    ),
    path(
        "shops/<int:shop_id>/settlement-card/",
        api.MerchantSettlementCardApi.as_view(),
        name="api-merchant-settlement-card",
    ),
]
