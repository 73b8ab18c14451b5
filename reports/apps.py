from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Service reports and credits"

    def ready(self) -> None:
        # Feedback items on a contract may cite a report as evidence (contracts cannot import this app).
        from contracts.onboarding.rules import register_evidence_kind
        from reports.models import ServiceReport

        register_evidence_kind("report", model=ServiceReport, url_name="reports:detail")
        # The availability page and API chart closed periods from their reports (availability cannot import this app).
        from availability.report import register_stored_reader

        register_stored_reader(_stored_figures)


def _stored_figures(contract_id: int, labels: Sequence[str]) -> dict[str, dict[str, Any]]:
    from reports.models import ServiceReport

    return ServiceReport.objects.figures(contract_id, labels)
