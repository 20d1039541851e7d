"""Pages of the merchants app, one URL module per subdomain."""

from django.urls import include, path

urlpatterns = [
    path("", include("merchants.urls.home")),
    path("", include("merchants.urls.onboarding")),
    path("", include("merchants.urls.checkout")),
    path("", include("merchants.urls.settlement")),
    path("", include("merchants.urls.offers")),
    path("", include("merchants.urls.webhooks")),
    path("", include("merchants.urls.sales")),
]
