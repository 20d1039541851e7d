from django.urls import path

from merchants.api import webhooks as api

PREFIX = "shops/<int:shop_id>/webhooks/"

urlpatterns = [
    path(PREFIX, api.MerchantWebhookEndpointsApi.as_view(), name="api-merchant-webhooks"),
    path(
        PREFIX + "deliveries/",
        api.MerchantWebhookDeliveriesApi.as_view(),
        name="api-merchant-webhook-deliveries",
    ),
    path(
        PREFIX + "deliveries/<int:delivery_pk>/retry/",
        api.MerchantWebhookDeliveryRetryApi.as_view(),
        name="api-merchant-webhook-retry",
    ),
    path(
        PREFIX + "<int:endpoint_id>/",
        api.MerchantWebhookEndpointApi.as_view(),
        name="api-merchant-webhook",
    ),
    path(
        PREFIX + "<int:endpoint_id>/disable/",
        api.MerchantWebhookDisableApi.as_view(),
        name="api-merchant-webhook-disable",
    ),
    path(
        PREFIX + "<int:endpoint_id>/enable/",
        api.MerchantWebhookEnableApi.as_view(),
        name="api-merchant-webhook-enable",
    ),
    path(
        PREFIX + "<int:endpoint_id>/rotate/",
        api.MerchantWebhookRotateApi.as_view(),
        name="api-merchant-webhook-rotate",
    ),
    path(
        PREFIX + "<int:endpoint_id>/ping/",
        api.MerchantWebhookPingApi.as_view(),
        name="api-merchant-webhook-ping",
    ),
]
