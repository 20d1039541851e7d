from django.urls import path

from merchants.views import settlement as views

urlpatterns = [
    path("shop/<int:shop_id>/settlements/", views.settlement_list, name="merchant-settlements"),
    path(
        "shop/<int:shop_id>/settlement-card/",
        views.settlement_card,
        name="merchant-settlement-card",
    ),
    path(
        "shop/<int:shop_id>/settlements/<int:settlement_id>/",
        views.settlement_detail,
        name="merchant-settlement",
    ),
    path(
        "shop/<int:shop_id>/settlements/<int:settlement_id>.csv",
        views.settlement_csv,
        name="merchant-settlement-csv",
    ),
    path(
        "shop/<int:shop_id>/settlements/<int:year>-<int:month>.csv",
        views.settlement_month_csv,
        name="merchant-settlements-month-csv",
    ),
]
