from django.urls import include, path

urlpatterns = [
    path("", include("property_mgmt.urls.api_households")),
    path("", include("property_mgmt.urls.api_billing")),
    path("", include("property_mgmt.urls.api_bills")),
    path("", include("property_mgmt.urls.api_paying")),
    path("", include("property_mgmt.urls.api_reports")),
]
