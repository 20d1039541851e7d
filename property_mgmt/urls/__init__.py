"""Pages of the property app, one URL module per subdomain."""

from django.urls import include, path

urlpatterns = [
    path("", include("property_mgmt.urls.home")),
    path("", include("property_mgmt.urls.households")),
    path("", include("property_mgmt.urls.billing")),
    path("", include("property_mgmt.urls.bills")),
    path("", include("property_mgmt.urls.paying")),
    path("", include("property_mgmt.urls.reports")),
    path("", include("property_mgmt.urls.settlement")),
]
