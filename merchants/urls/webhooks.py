"""The shop owner's webhook pages: endpoints and the delivery log."""

from django.urls import path

from merchants.views import webhooks as views

urlpatterns = [
    path("shop/<int:shop_id>/webhooks/", views.endpoints, name="merchant-webhooks"),
    path(
        "shop/<int:shop_id>/webhooks/<int:endpoint_id>/disable/",
        views.endpoint_disable,
        name="merchant-webhook-disable",
    ),
    path(
        "shop/<int:shop_id>/webhooks/<int:endpoint_id>/enable/",
        views.endpoint_enable,
        name="merchant-webhook-enable",
    ),
    path(
        "shop/<int:shop_id>/webhooks/<int:endpoint_id>/delete/",
        views.endpoint_delete,
        name="merchant-webhook-delete",
    ),
    path(
        "shop/<int:shop_id>/webhooks/<int:endpoint_id>/rotate/",
        views.endpoint_rotate,
        name="merchant-webhook-rotate",
    ),
    path(
        "shop/<int:shop_id>/webhooks/<int:endpoint_id>/ping/",
        views.endpoint_ping,
        name="merchant-webhook-ping",
    ),
    path("shop/<int:shop_id>/webhooks/log/", views.delivery_log, name="merchant-webhook-log"),
    path(
        "shop/<int:shop_id>/webhooks/log/<int:delivery_pk>/retry/",
        views.delivery_retry,
        name="merchant-webhook-retry",
    ),
]
