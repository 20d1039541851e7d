"""API of offers: a shop's campaigns, an estate's offers, claiming, my coupons."""

from django.urls import path

from merchants.api import offers as api

urlpatterns = [
    path(
        "shops/<int:shop_id>/campaigns/",
        api.CampaignListCreateApi.as_view(),
        name="api-merchant-campaigns",
    ),
    path(
        "shops/<int:shop_id>/campaigns/<int:campaign_id>/status/",
        api.CampaignStatusApi.as_view(),
        name="api-merchant-campaign-status",
    ),
    path(
        "estates/<int:estate_id>/offers/", api.EstateOffersApi.as_view(), name="api-estate-offers"
    ),
    path("offers/<int:campaign_id>/claim/", api.OfferClaimApi.as_view(), name="api-offer-claim"),
    path("me/coupons/", api.MyCouponsApi.as_view(), name="api-my-coupons"),
]
