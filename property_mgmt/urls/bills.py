from django.urls import path

from property_mgmt.views import bills as views

urlpatterns = [
    path("estate/<int:neighbourhood_id>/bills/new/", views.bill_new, name="estate-bill-new"),
    path(
        "estate/<int:neighbourhood_id>/bills/<int:bill_id>/",
        views.bill_detail,
        name="estate-bill-detail",
    ),
    path(
        "estate/<int:neighbourhood_id>/bills/<int:bill_id>/adjust/",
        views.bill_adjust,
        name="estate-bill-adjust",
    ),
    path(
        "estate/<int:neighbourhood_id>/bills/<int:bill_id>/waive/",
        views.bill_waive,
        name="estate-bill-waive",
    ),
    path(
        "estate/<int:neighbourhood_id>/bills/<int:bill_id>/cancel/",
        views.bill_cancel,
        name="estate-bill-cancel",
    ),
]
