"""Webhook pages, mounted at ``settings/webhooks/`` by config.urls.

``api_urlpatterns``: ``webhooks/endpoints/`` (+ ``{id}/deactivate/``,
``{id}/test/``) and ``webhooks/deliveries/`` (+ ``{id}/redeliver/``),
mounted under ``api/`` as the ``webhooks-api`` namespace by config.urls."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from webhooks import api, views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_create, name="create"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/deactivate/", views.endpoint_deactivate, name="deactivate"),
    path("<int:pk>/test/", views.endpoint_test, name="test"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/redeliver/", views.delivery_redeliver, name="redeliver"),
]

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("webhooks/endpoints", api.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhooks/deliveries", api.WebhookDeliveryViewSet, basename="webhook-delivery")

api_urlpatterns = router.urls
