"""Routes of the availability API, included under ``api/`` by config.urls.

``monitoring/alertmanager/`` and ``monitoring/probes/`` (source tokens);
``contracts/{id}/monitoring-sources/`` (+ ``{id}/revoke/``),
``contracts/{id}/availability/?period=``, ``contracts/{id}/calendar-feed/``;
``outages/``, ``maintenance-windows/``, ``change-notices/`` with their actions.
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from availability import api
from availability import webhooks as api_monitoring

app_name = "availability-api"

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("outages", api.OutageViewSet, basename="outage")
router.register("maintenance-windows", api.MaintenanceWindowViewSet, basename="maintenance-window")
router.register("change-notices", api.ChangeNoticeViewSet, basename="change-notice")
router.register(
    r"contracts/(?P<contract_pk>\d+)/monitoring-sources", api.MonitoringSourceViewSet, basename="monitoring-source"
)

urlpatterns = [
    path("monitoring/alertmanager/", api_monitoring.AlertmanagerIngestView.as_view(), name="monitoring-alertmanager"),
    path("monitoring/probes/", api_monitoring.ProbeIngestView.as_view(), name="monitoring-probes"),
    path("contracts/<int:contract_pk>/availability/", api.AvailabilityView.as_view(), name="contract-availability"),
    path("contracts/<int:contract_pk>/calendar-feed/", api.CalendarFeedView.as_view(), name="contract-calendar-feed"),
    *router.urls,
]
