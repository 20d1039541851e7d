from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import views as core_views

api_v1 = [
    path("", include("core.api_urls")),
    path("", include("community.api_urls")),
    path("", include("wallet.api_urls")),
    path("", include("property_mgmt.api_urls")),
    path("", include("merchants.api_urls")),
]

# The admin logs in through allauth, so rate limits and two-factor apply there too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

# The API first: the pages are included at the root, so a request for an API path would
# otherwise be matched against every page pattern before its own (and Django records each
# miss), about a millisecond of CPU per API request.
urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", include("community.urls")),
    path("", include("core.urls")),
    path("", include("wallet.urls")),
    path("", include("merchants.urls")),
    path("", include("property_mgmt.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "core.views.not_found"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
