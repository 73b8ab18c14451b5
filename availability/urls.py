"""Availability pages, mounted at ``availability/`` by config.urls.

``api_urlpatterns``: Routes of the availability API, included under ``api/`` by config.urls.

``monitoring/alertmanager/``, ``monitoring/probes/``, ``monitoring/statuspage/``,
``monitoring/pagerduty/``, ``monitoring/opsgenie/``, ``monitoring/jira/``, ``monitoring/zendesk/``,
``monitoring/servicenow/``, ``monitoring/requests/`` (source tokens); ``sources/{id}/ticket-map/``;
``contracts/{id}/sources/`` (list, register) and ``sources/{id}/accept|reject|revoke/``;
``contracts/{id}/monitoring-sources/`` (+ ``{id}/revoke/``, the older routes),
``contracts/{id}/availability/?period=``, ``contracts/{id}/calendar-feed/``;
``contracts/{id}/discrepancies/`` and ``discrepancies/{id}/resolve|accept|dispute/``;
``outages/``, ``maintenance-windows/``, ``change-notices/`` with their actions.
(mounted under ``api/`` as the ``availability-api`` namespace by config.urls)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from availability import api, api_reconciliation, api_requests, sources_views, views
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
    path("contracts/<int:pk>/sources/", sources_views.sources_page, name="sources"),
    path("contracts/<int:pk>/sources/accept/", sources_views.source_action, {"action": "accept"}, name="source-accept"),
    path("contracts/<int:pk>/sources/reject/", sources_views.source_action, {"action": "reject"}, name="source-reject"),
    path("contracts/<int:pk>/sources/revoke/", sources_views.source_action, {"action": "revoke"}, name="source-revoke"),
    path(
        "contracts/<int:pk>/sources/ticket-map/",
        sources_views.source_action,
        {"action": "ticket-map"},
        name="source-ticket-map",
    ),
    path("contracts/<int:pk>/calendar/<str:token>.ics", views.calendar_ics, name="calendar-feed"),
    path(
        "contracts/<int:pk>/discrepancies/<int:item_pk>/<slug:action>/",
        views.discrepancy_action,
        name="discrepancy-action",
    ),
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
    path("monitoring/jira/", api_monitoring.JiraIngestView.as_view(), name="monitoring-jira"),
    path("monitoring/zendesk/", api_monitoring.ZendeskIngestView.as_view(), name="monitoring-zendesk"),
    path("monitoring/servicenow/", api_monitoring.ServiceNowIngestView.as_view(), name="monitoring-servicenow"),
    path("monitoring/requests/", api_requests.RequestTallyIngestView.as_view(), name="monitoring-requests"),
    path("sources/<int:pk>/ticket-map/", api.TicketMapView.as_view(), name="monitoring-source-ticket-map"),
    path("contracts/<int:contract_pk>/sources/", api.SourceListView.as_view(), name="contract-sources"),
    path("sources/<int:pk>/accept/", api.SourceActionView.as_view(verb="accept"), name="monitoring-source-accept"),
    path("sources/<int:pk>/reject/", api.SourceActionView.as_view(verb="reject"), name="monitoring-source-reject"),
    path(
        "sources/<int:pk>/revoke/", api.SourceActionView.as_view(verb="revoke"), name="monitoring-source-revoke-token"
    ),
    path("contracts/<int:contract_pk>/availability/", api.AvailabilityView.as_view(), name="contract-availability"),
    path(
        "contracts/<int:contract_pk>/discrepancies/",
        api_reconciliation.DiscrepancyListView.as_view(),
        name="contract-discrepancies",
    ),
    *[
        path(
            f"discrepancies/<int:pk>/{verb}/",
            api_reconciliation.DiscrepancyActionView.as_view(verb=verb),
            name=f"discrepancy-{verb}",
        )
        for verb in ("resolve", "accept", "dispute")
    ],
    path("contracts/<int:contract_pk>/calendar-feed/", api.CalendarFeedView.as_view(), name="contract-calendar-feed"),
    *router.urls,
]
