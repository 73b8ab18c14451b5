"""Availability pages, mounted at ``availability/`` by config.urls.

``api_urlpatterns``: Routes of the availability API, included under ``api/`` by config.urls.

``monitoring/alertmanager/`` and ``monitoring/probes/`` (source tokens);
``contracts/{id}/monitoring-sources/`` (+ ``{id}/revoke/``),
``contracts/{id}/availability/?period=``, ``contracts/{id}/calendar-feed/``;
``outages/``, ``maintenance-windows/``, ``change-notices/`` with their actions.
(mounted under ``api/`` as the ``availability-api`` namespace by config.urls)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from availability import api, views
from availability import webhooks as api_monitoring

app_name = "availability"

urlpatterns = [
    path("contracts/<int:pk>/", views.contract_availability, name="contract"),
    path("contracts/<int:pk>/maintenance/new/", views.maintenance_create, name="maintenance-create"),
    path("contracts/<int:pk>/maintenance/<int:window_pk>/accept/", views.maintenance_accept, name="maintenance-accept"),
    path("contracts/<int:pk>/changes/new/", views.change_create, name="change-create"),
    path("contracts/<int:pk>/changes/<int:notice_pk>/<slug:action>/", views.change_action, name="change-action"),
    path("contracts/<int:pk>/outages/<int:outage_pk>/<slug:action>/", views.outage_action, name="outage-action"),
    path("contracts/<int:pk>/calendar/", views.calendar_feed, name="calendar"),
    path("contracts/<int:pk>/calendar/<str:token>.ics", views.calendar_ics, name="calendar-feed"),
]


# The API
router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("outages", api.OutageViewSet, basename="outage")
router.register("maintenance-windows", api.MaintenanceWindowViewSet, basename="maintenance-window")
router.register("change-notices", api.ChangeNoticeViewSet, basename="change-notice")
router.register(
    r"contracts/(?P<contract_pk>\d+)/monitoring-sources", api.MonitoringSourceViewSet, basename="monitoring-source"
)

api_urlpatterns = [
    path("monitoring/alertmanager/", api_monitoring.AlertmanagerIngestView.as_view(), name="monitoring-alertmanager"),
    path("monitoring/probes/", api_monitoring.ProbeIngestView.as_view(), name="monitoring-probes"),
    path("contracts/<int:contract_pk>/availability/", api.AvailabilityView.as_view(), name="contract-availability"),
    path("contracts/<int:contract_pk>/calendar-feed/", api.CalendarFeedView.as_view(), name="contract-calendar-feed"),
    *router.urls,
]
