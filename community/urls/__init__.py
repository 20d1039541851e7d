"""Pages of the community app, one URL module per subdomain."""

from django.urls import include, path

urlpatterns = [
    path("", include("community.urls.accounts")),
    path("", include("community.urls.neighbourhoods")),
    path("", include("community.urls.verification")),
    path("", include("community.urls.circles")),
    path("", include("community.urls.helping")),
]
