from django.urls import path

from community.api import verification as api

urlpatterns = [
    path("verification/", api.VerificationApi.as_view(), name="api-verification"),
    path(
        "operator/verification/level/",
        api.OperatorLevelApi.as_view(),
        name="api-operator-verification-level",
    ),
]
