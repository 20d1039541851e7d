from django.urls import path

from community.views import verification as views

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("operator/verification/", views.operator_verification, name="operator-verification"),
    path(
        "estates/<int:neighbourhood_id>/in-person-check/",
        views.in_person_check,
        name="estate-in-person-check",
    ),
]
