from django.urls import path

from community.views import helping as views

urlpatterns = [
    path("estates/<int:neighbourhood_id>/help/", views.help_board, name="help-board"),
    path("estates/<int:neighbourhood_id>/help/new/", views.help_new, name="help-new"),
    path("help/<int:request_id>/", views.help_detail, name="help-detail"),
    path(
        "circles/<int:circle_id>/red-packets/",
        views.circle_red_packets,
        name="circle-red-packets",
    ),
    path("circles/<int:circle_id>/red-packets/new/", views.red_packet_new, name="red-packet-new"),
    path("red-packets/<int:packet_id>/", views.red_packet_detail, name="red-packet"),
]
