from django.urls import include, path

urlpatterns = [
    path("", include("merchants.urls.api_onboarding")),
    path("", include("merchants.urls.api_checkout")),
]
