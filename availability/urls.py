"""Availability pages, mounted at ``availability/`` by config.urls.

``api_urlpatterns``: Routes of the availability API, included under ``api/`` by config.urls.

``monitoring/alertmanager/``, ``monitoring/probes/``, ``monitoring/statuspage/``,
``monitoring/pagerduty/``, ``monitoring/opsgenie/`` (source tokens);
``contracts/{id}/sources/`` (list, register) and ``sources/{id}/accept|reject|revoke/``;
``contracts/{id}/monitoring-sources/`` (+ ``{id}/revoke/``, the older routes),
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
    path("contracts/<int:pk>/sources/", views.sources_page, name="sources"),
    path("contracts/<int:pk>/sources/accept/", views.source_action, {"action": "accept"}, name="source-accept"),
    path("contracts/<int:pk>/sources/reject/", views.source_action, {"action": "reject"}, name="source-reject"),
    path("contracts/<int:pk>/sources/revoke/", views.source_action, {"action": "revoke"}, name="source-revoke"),
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
    path("monitoring/statuspage/", api_monitoring.StatuspageIngestView.as_view(), name="monitoring-statuspage"),
    path("monitoring/pagerduty/", api_monitoring.PagerDutyIngestView.as_view(), name="monitoring-pagerduty"),
    path("monitoring/opsgenie/", api_monitoring.OpsgenieIngestView.as_view(), name="monitoring-opsgenie"),
    path("contracts/<int:contract_pk>/sources/", api.SourceListView.as_view(), name="contract-sources"),
    path("sources/<int:pk>/accept/", api.SourceActionView.as_view(verb="accept"), name="monitoring-source-accept"),
    path("sources/<int:pk>/reject/", api.SourceActionView.as_view(verb="reject"), name="monitoring-source-reject"),
    path(
        "sources/<int:pk>/revoke/", api.SourceActionView.as_view(verb="revoke"), name="monitoring-source-revoke-token"
    ),
    path("contracts/<int:contract_pk>/availability/", api.AvailabilityView.as_view(), name="contract-availability"),
    path("contracts/<int:contract_pk>/calendar-feed/", api.CalendarFeedView.as_view(), name="contract-calendar-feed"),
    *router.urls,
]
