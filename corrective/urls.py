"""Corrective-action plan pages, mounted at ``corrective/`` by config.urls.

``api_urlpatterns``: ``corrective-plans/`` (list, request) and ``corrective-plans/{id}/``
with ``submit/``, ``decide/`` and ``complete/`` (mounted under ``api/`` as ``corrective-api``)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from corrective import api, views

app_name = "corrective"

urlpatterns = [
    path("contracts/<int:pk>/", views.plan_list, name="list"),
    path("contracts/<int:pk>/request/", views.plan_request, name="request"),
    path("contracts/<int:pk>/<int:plan_pk>/", views.plan_detail, name="detail"),
    path("contracts/<int:pk>/<int:plan_pk>/<slug:action>/", views.plan_action, name="action"),
]

router = DefaultRouter()
router.register("corrective-plans", api.CorrectivePlanViewSet, basename="corrective-plan")
api_urlpatterns = router.urls
