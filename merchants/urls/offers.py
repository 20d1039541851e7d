"""Offer pages: a shop's campaigns for its owner, an estate's offers, my coupons."""

from django.urls import path

from merchants.views import offers as views

urlpatterns = [
    path("shop/<int:shop_id>/campaigns/", views.campaigns, name="merchant-campaigns"),
    path(
        "shop/<int:shop_id>/campaigns/<int:campaign_id>/<str:move>/",
        views.campaign_move,
        name="merchant-campaign-move",
    ),
    path("estates/<int:estate_id>/offers/", views.estate_offers, name="estate-offers"),
    path("offers/<int:campaign_id>/claim/", views.offer_claim, name="offer-claim"),
    path("coupons/", views.my_coupons, name="my-coupons"),
]
