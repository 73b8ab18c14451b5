from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Service reports and credits"

    def ready(self) -> None:
        # Feedback items on a contract may cite a report as evidence (contracts cannot import this app).
        from contracts.onboarding.rules import register_evidence_kind
        from reports.models import ServiceReport

        register_evidence_kind("report", model=ServiceReport, url_name="reports:detail")
