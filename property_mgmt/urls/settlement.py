from django.urls import path

from property_mgmt.views import settlement as views

urlpatterns = [
    path(
        "estate/company/<int:company_id>/settlements/",
        views.company_settlements,
        name="company-settlements",
    ),
    path(
        "estate/company/<int:company_id>/settlements/<int:settlement_id>/",
        views.company_settlement,
        name="company-settlement",
    ),
    path(
        "estate/company/<int:company_id>/settlements/<int:settlement_id>.csv",
        views.company_settlement_csv,
        name="company-settlement-csv",
    ),
    path(
        "estate/company/<int:company_id>/settlements/<int:year>-<int:month>.csv",
        views.company_settlements_month_csv,
        name="company-settlements-month-csv",
    ),
]
