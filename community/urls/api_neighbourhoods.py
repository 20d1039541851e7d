from django.urls import path

from community.api import neighbourhoods as api

urlpatterns = [
    path("estates/", api.EstateListApi.as_view(), name="api-estates"),
    path("estates/search/", api.EstateSearchApi.as_view(), name="api-estates-search"),
    path(
        "estates/<int:estate_id>/follow/", api.EstateFollowApi.as_view(), name="api-estate-follow"
    ),
    path(
        "estates/<int:estate_id>/members/",
        api.EstateMembersApi.as_view(),
        name="api-estate-members",
    ),
    path(
        "estates/<int:estate_id>/announcements/",
        api.EstateAnnouncementsApi.as_view(),
        name="api-estate-announcements",
    ),
    path(
        "announcements/<int:announcement_id>/",
        api.AnnouncementApi.as_view(),
        name="api-announcement",
    ),
    path(
        "announcements/<int:announcement_id>/pin/",
        api.AnnouncementPinApi.as_view(),
        name="api-announcement-pin",
    ),
    path(
        "announcements/<int:announcement_id>/read/",
        api.AnnouncementReadApi.as_view(),
        name="api-announcement-read",
    ),
    path(
        "announcements/<int:announcement_id>/receipts/",
        api.AnnouncementReceiptsApi.as_view(),
        name="api-announcement-receipts",
    ),
]
