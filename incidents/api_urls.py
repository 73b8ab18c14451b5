"""Routes of the incidents API, included under ``api/`` by config.urls.

One router: ``incidents/`` (list, open), ``incidents/{id}/`` and one POST per
lifecycle step, plus ``timeline/``, ``attachments/``, ``claims/`` and
``incidents/import/`` (staff). Every detail route resolves the incident
through the visibility rule first.
"""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from incidents import api

app_name = "incidents-api"

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("incidents", api.IncidentViewSet, basename="incident")

urlpatterns = [*router.urls]
urlpatterns += [path("", include("incidents.api_playbook_urls"))]  # the playbook checklist (issue 9)
