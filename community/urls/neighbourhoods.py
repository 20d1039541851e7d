from django.urls import path

from community.views import neighbourhoods as views

urlpatterns = [
    path("estates/", views.estate_list, name="estates"),
    path("estates/<int:estate_id>/", views.estate_detail, name="estate-detail"),
    path("estates/<int:estate_id>/follow/", views.estate_follow, name="estate-follow"),
    path("estates/<int:estate_id>/unfollow/", views.estate_unfollow, name="estate-unfollow"),
    path("estates/<int:estate_id>/members/", views.estate_members, name="estate-members"),
    path(
        "estates/<int:estate_id>/announcements/",
        views.announcement_list,
        name="estate-announcements",
    ),
    path(
        "estates/<int:estate_id>/announcements/new/",
        views.announcement_new,
        name="estate-announcement-new",
    ),
    path(
        "estates/<int:estate_id>/announcements/<int:announcement_id>/",
        views.announcement_detail,
        name="estate-announcement",
    ),
    path(
        "estates/<int:estate_id>/announcements/<int:announcement_id>/edit/",
        views.announcement_edit,
        name="estate-announcement-edit",
    ),
    path(
        "estates/<int:estate_id>/announcements/<int:announcement_id>/action/",
        views.announcement_action,
        name="estate-announcement-action",
    ),
]
