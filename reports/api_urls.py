"""Routes of the service reports API, included under ``api/`` by config.urls:
``reports/``, ``reports/{id}/`` and ``reports/{id}/pdf/``. (Credits and
disputes have their own URL module.)"""

from rest_framework.routers import DefaultRouter

from reports import api as api_reports

app_name = "reports-api"

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("reports", api_reports.ReportViewSet, basename="report")

urlpatterns = [*router.urls]
