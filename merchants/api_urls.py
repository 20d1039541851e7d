from django.urls import include, path

urlpatterns = [
    path("", include("merchants.urls.api_onboarding")),
    path("", include("merchants.urls.api_checkout")),
    path("", include("merchants.urls.api_settlement")),
    path("", include("merchants.urls.api_offers")),
    path("", include("merchants.urls.api_sales")),
    path("", include("merchants.urls.api_webhooks")),
]
