"""A feedback item on a contract may cite a report or a dispute as evidence: the
apps above contracts register those kinds, so the register finds them although
contracts cannot import reports or disputes."""

import pytest

from contracts import onboarding
from core.errors import InvalidInput
from disputes.models import Dispute
from reports.tests.ledger_factories import make_report

pytestmark = pytest.mark.django_db


def test_reports_and_disputes_of_the_contract_are_evidence(contract, foreign_contract, buyer_ops):
    report = make_report(contract)
    dispute = Dispute.objects.create(
        contract=contract,
        report=report,
        subject_type=Dispute.Subject.REPORT_LINE,
        subject_id="1",
        subject_label="Availability",
        title="Credit too low",
        statement="x",
        raised_by_side="buyer",
        raised_at=contract.created_at,
        stage_name="Negotiation",
    )
    item = onboarding.feedback_log(
        actor=buyer_ops,
        contract=contract,
        category="process",
        text="The report and the dispute about it.",
        evidence=[{"type": "report", "id": report.pk}, {"type": "dispute", "id": dispute.pk}],
    )
    links = onboarding.evidence_links(item.evidence)
    assert [link["url"] for link in links] == [f"/reports/{report.pk}/", f"/ledger/disputes/{dispute.pk}/"]

    foreign = make_report(foreign_contract)
    with pytest.raises(InvalidInput) as exc:
        onboarding.feedback_log(
            actor=buyer_ops,
            contract=contract,
            category="process",
            text="x",
            evidence=[{"type": "report", "id": foreign.pk}],
        )
    assert set(exc.value.errors) == {"evidence[0].id"}
