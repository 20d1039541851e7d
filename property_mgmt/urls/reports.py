from django.urls import path

from property_mgmt.views import reports as views

urlpatterns = [
    path("estate/<int:estate_id>/bills/", views.estate_bills, name="estate-report-bills"),
    path(
        "estate/<int:estate_id>/bills.csv", views.estate_bills_csv, name="estate-report-bills-csv"
    ),
    path(
        "estate/<int:estate_id>/payments.csv",
        views.estate_payments_csv,
        name="estate-report-payments-csv",
    ),
    path("estate/<int:estate_id>/arrears/", views.estate_arrears, name="estate-report-arrears"),
    path(
        "estate/<int:estate_id>/collection/",
        views.estate_collection,
        name="estate-report-collection",
    ),
]
