from django.urls import include, path

from community.api import accounts as api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("auth/token/", api.TokenLoginApi.as_view(), name="api-token-login"),
    path("auth/token/revoke/", api.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("", include("community.urls.api_neighbourhoods")),
    path("", include("community.urls.api_verification")),
    path("", include("community.urls.api_circles")),
    path("", include("community.urls.api_helping")),
]
