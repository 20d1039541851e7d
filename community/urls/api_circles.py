from django.urls import path

from community.api import circles as api

_POST = "circles/<int:circle_id>/posts/<int:post_id>"

urlpatterns = [
    path(
        "estates/<int:neighbourhood_id>/circles/",
        api.CircleListCreateApi.as_view(),
        name="api-circles",
    ),
    path("circles/<int:circle_id>/join/", api.CircleJoinApi.as_view(), name="api-circle-join"),
    path("circles/<int:circle_id>/leave/", api.CircleLeaveApi.as_view(), name="api-circle-leave"),
    path(
        "circles/<int:circle_id>/members/pending/",
        api.CirclePendingMembersApi.as_view(),
        name="api-circle-pending",
    ),
    path(
        "circles/<int:circle_id>/members/<int:member_id>/approve/",
        api.CircleMemberApproveApi.as_view(),
        name="api-circle-member-approve",
    ),
    path(
        "circles/<int:circle_id>/members/<int:member_id>/reject/",
        api.CircleMemberRejectApi.as_view(),
        name="api-circle-member-reject",
    ),
    path(
        "circles/<int:circle_id>/posts/",
        api.CirclePostListCreateApi.as_view(),
        name="api-circle-posts",
    ),
    path(f"{_POST}/", api.CirclePostDetailApi.as_view(), name="api-circle-post"),
    path(f"{_POST}/comments/", api.CircleCommentCreateApi.as_view(), name="api-circle-comments"),
    path(f"{_POST}/like/", api.CirclePostLikeApi.as_view(), name="api-circle-like"),
    path(f"{_POST}/reports/", api.CircleReportCreateApi.as_view(), name="api-circle-report"),
    path(f"{_POST}/hide/", api.CircleContentHideApi.as_view(), name="api-circle-hide"),
    path(
        "circles/<int:circle_id>/reports/",
        api.CircleReportListApi.as_view(),
        name="api-circle-reports",
    ),
    path(
        "circles/<int:circle_id>/reports/<int:report_id>/resolve/",
        api.CircleReportResolveApi.as_view(),
        name="api-circle-report-resolve",
    ),
    path("blocks/", api.BlockListCreateApi.as_view(), name="api-blocks"),
    path("blocks/<int:user_id>/", api.BlockDeleteApi.as_view(), name="api-block-delete"),
]
