from django.apps import AppConfig


def open_dispute_count(contract_id: int) -> int:
    """Disputes open on the contract now: what a report shows of them (``reports.outside``)."""
    from disputes.models import Dispute

    return Dispute.objects.open().filter(contract_id=contract_id).count()


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "Disputes"

    def ready(self) -> None:
        # Reports sit below disputes and cannot import them: they declare the question, we answer it.
        from reports.outside import provide_open_dispute_counter

        provide_open_dispute_counter(open_dispute_count)

        # Feedback items on a contract may cite a dispute as evidence (contracts cannot import this app).
        from contracts.onboarding.rules import register_evidence_kind
        from disputes.models import Dispute

        register_evidence_kind("dispute", model=Dispute, url_name="disputes:dispute")
