"""API of onboarding: applying, the operators' review, staff invites, the shop directory."""

from django.urls import path

from merchants.api import onboarding as api

urlpatterns = [
    path("shops/apply/", api.MerchantShopApplyApi.as_view(), name="api-merchant-apply"),
    path(
        "operator/shop-applications/",
        api.MerchantApplicationListApi.as_view(),
        name="api-merchant-applications",
    ),
    path(
        "operator/shop-applications/<int:shop_id>/review/",
        api.MerchantApplicationReviewApi.as_view(),
        name="api-merchant-application-review",
    ),
    path(
        "shops/<int:shop_id>/invites/",
        api.MerchantShopInvitesApi.as_view(),
        name="api-merchant-invites",
    ),
    path(
        "shops/<int:shop_id>/invites/<int:invite_id>/revoke/",
        api.MerchantShopInviteRevokeApi.as_view(),
        name="api-merchant-invite-revoke",
    ),
    path("shop-invites/", api.MerchantMyInvitesApi.as_view(), name="api-my-shop-invites"),
    path(
        "shop-invites/<int:invite_id>/accept/",
        api.MerchantInviteAcceptApi.as_view(),
        name="api-my-shop-invite-accept",
    ),
    path(
        "estates/<int:estate_id>/shops/",
        api.MerchantDirectoryApi.as_view(),
        name="api-estate-shops",
    ),
]
