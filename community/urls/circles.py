from django.urls import path

from community.views import circles as views

urlpatterns = [
    path("estates/<int:neighbourhood_id>/circles/", views.circle_list, name="circle-list"),
    path("circles/<int:circle_id>/", views.circle_detail, name="circle-detail"),
    path("circles/<int:circle_id>/join/", views.circle_join, name="circle-join"),
    path("circles/<int:circle_id>/leave/", views.circle_leave, name="circle-leave"),
    path(
        "circles/<int:circle_id>/members/<int:member_id>/",
        views.circle_member_decide,
        name="circle-member-decide",
    ),
    path("circles/<int:circle_id>/posts/<int:post_id>/", views.post_detail, name="circle-post"),
    path(
        "circles/<int:circle_id>/posts/<int:post_id>/like/",
        views.post_like,
        name="circle-post-like",
    ),
    path(
        "circles/<int:circle_id>/posts/<int:post_id>/report/",
        views.post_report,
        name="circle-post-report",
    ),
    path(
        "circles/<int:circle_id>/posts/<int:post_id>/hide/",
        views.post_hide,
        name="circle-post-hide",
    ),
    path("circles/<int:circle_id>/reports/", views.report_queue, name="circle-reports"),
    path(
        "circles/<int:circle_id>/reports/<int:report_id>/",
        views.report_decide,
        name="circle-report-decide",
    ),
    path("blocks/", views.blocks, name="circle-blocks"),
    path("blocks/<int:user_id>/delete/", views.block_delete, name="circle-block-delete"),
]
