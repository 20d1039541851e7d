"""Onboarding pages: applying, a shop's staff, my invitations, the operators' queue and an
estate's shop directory."""

from django.urls import path

from merchants.views import onboarding as views

urlpatterns = [
    path("shop/apply/", views.shop_apply, name="merchant-apply"),
    path("shop/invites/", views.my_invites, name="merchant-invites"),
    path(
        "shop/invites/<int:invite_id>/accept/",
        views.invite_accept,
        name="merchant-invite-accept",
    ),
    path("shop/<int:shop_id>/staff/", views.staff_page, name="merchant-staff"),
    path(
        "shop/<int:shop_id>/staff/invites/<int:invite_id>/revoke/",
        views.invite_revoke,
        name="merchant-invite-revoke",
    ),
    path(
        "shop/<int:shop_id>/staff/<int:staff_id>/remove/",
        views.staff_remove,
        name="merchant-staff-remove",
    ),
    path("operator/shops/", views.operator_queue, name="operator-shops"),
    path(
        "operator/shops/<int:shop_id>/review/",
        views.operator_review,
        name="operator-shop-review",
    ),
    path("estates/<int:estate_id>/shops/", views.directory, name="estate-shops"),
]
