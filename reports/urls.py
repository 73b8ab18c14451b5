"""Pages of reports (mounted by config.urls).

``api_urlpatterns``: Routes of the service reports API, included under ``api/`` by config.urls:
``reports/``, ``reports/{id}/`` and ``reports/{id}/pdf/``; ``remedies/`` (besides credits) with
``offer/``, ``accept/``, ``deliver/`` and ``dispute/``. (Credits and
disputes have their own URL module.)
(mounted under ``api/`` as the ``reports-api`` namespace by config.urls)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from reports import api as api_reports
from reports import remedy_api, remedy_views
from reports import views as views_reports

app_name = "reports"

urlpatterns = [
    path("", views_reports.report_index, name="index"),
    path("contract/<int:contract_pk>/", views_reports.contract_reports, name="contract_reports"),
    path("<int:pk>/", views_reports.report_detail, name="detail"),
    path("<int:pk>/pdf/", views_reports.report_pdf, name="pdf"),
    path("<int:pk>/revisions/", views_reports.report_revisions, name="revisions"),
    path("contract/<int:pk>/remedies/", remedy_views.contract_remedies, name="remedies"),
    path("contract/<int:pk>/remedies/<int:remedy_pk>/<slug:action>/", remedy_views.remedy_action, name="remedy-action"),
]


# The API
router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("reports", api_reports.ReportViewSet, basename="report")
router.register("remedies", remedy_api.RemedyViewSet, basename="remedy")

api_urlpatterns = [*router.urls]
