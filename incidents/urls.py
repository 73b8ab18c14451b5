"""Pages of incidents (mounted by config.urls).

``api_urlpatterns``: Routes of the incidents API, included under ``api/`` by config.urls.

One router: ``incidents/`` (list, open), ``incidents/{id}/`` and one POST per
lifecycle step, plus ``timeline/``, ``attachments/``, ``claims/`` and
``incidents/import/`` (staff). Every detail route resolves the incident
through the visibility rule first.
(mounted under ``api/`` as the ``incidents-api`` namespace by config.urls)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from incidents import views, worklist
from incidents.api import incidents as api
from incidents.api.playbook import IncidentPlaybookView

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_create, name="create"),
    path("import/", views.incident_import, name="import"),
    path("bulk/", worklist.bulk, name="bulk"),
    path("filters/", worklist.save_filter, name="save_filter"),
    path("filters/<int:pk>/delete/", worklist.delete_filter, name="delete_filter"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/playbook/<int:order>/tick/", views.playbook_tick, name="playbook_tick"),
    path("<int:pk>/<slug:action>/", views.incident_action, name="action"),
]


# The API
router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("incidents", api.IncidentViewSet, basename="incident")

api_urlpatterns = [
    *router.urls,
    path("incidents/<int:pk>/playbook/", IncidentPlaybookView.as_view(), name="incident-playbook"),
]
