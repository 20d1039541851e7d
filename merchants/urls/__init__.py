"""Pages of the merchants app, one URL module per subdomain."""

from django.urls import include, path

urlpatterns = [
    path("", include("merchants.urls.home")),
    path("", include("merchants.urls.onboarding")),
    path("", include("merchants.urls.checkout")),
]
