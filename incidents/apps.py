from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        # Feedback items on a contract may cite a incident as evidence (contracts cannot import this app).
        from contracts.onboarding.rules import register_evidence_kind
        from incidents.models import Incident

        register_evidence_kind("incident", model=Incident, url_name="incidents:detail")
