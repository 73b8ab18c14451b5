"""The playbook route of the incidents API (included by incidents.api_urls)."""

from django.urls import path

from incidents.playbook_api import IncidentPlaybookView

urlpatterns = [path("incidents/<int:pk>/playbook/", IncidentPlaybookView.as_view(), name="incident-playbook")]
