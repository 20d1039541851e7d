from django.urls import path

from community.api import helping as api

urlpatterns = [
    path(
        "estates/<int:neighbourhood_id>/help/",
        api.HelpRequestListCreateApi.as_view(),
        name="api-help-requests",
    ),
    path("help/<int:request_id>/", api.HelpRequestDetailApi.as_view(), name="api-help-request"),
    path("help/<int:request_id>/offers/", api.HelpOfferApi.as_view(), name="api-help-offer"),
    path(
        "help/offers/<int:offer_id>/withdraw/",
        api.HelpOfferWithdrawApi.as_view(),
        name="api-help-offer-withdraw",
    ),
    path(
        "help/offers/<int:offer_id>/accept/",
        api.HelpAcceptApi.as_view(),
        name="api-help-offer-accept",
    ),
    path("help/<int:request_id>/mark-done/", api.HelpMarkDoneApi.as_view(), name="api-help-done"),
    path(
        "help/<int:request_id>/complete/",
        api.HelpCompleteApi.as_view(),
        name="api-help-complete",
    ),
    path("help/<int:request_id>/cancel/", api.HelpCancelApi.as_view(), name="api-help-cancel"),
    path("help/<int:request_id>/dispute/", api.HelpDisputeApi.as_view(), name="api-help-dispute"),
    path("help/<int:request_id>/resolve/", api.HelpResolveApi.as_view(), name="api-help-resolve"),
    path("help/<int:request_id>/rate/", api.HelpRateApi.as_view(), name="api-help-rate"),
    path(
        "circles/<int:circle_id>/red-packets/",
        api.RedPacketListSendApi.as_view(),
        name="api-red-packets",
    ),
    path("red-packets/<int:packet_id>/", api.RedPacketDetailApi.as_view(), name="api-red-packet"),
    path(
        "red-packets/<int:packet_id>/claim/",
        api.RedPacketClaimApi.as_view(),
        name="api-red-packet-claim",
    ),
]
