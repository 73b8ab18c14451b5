"""What a report shows of disputes, although reports sit below disputes: the disputes app answers
the question reports declare (reports.outside), registered when the app loads."""

import pytest

from disputes import services as disputes
from disputes.models import Dispute
from reports import outside
from reports.services.reports import close_period
from reports.tests.ledger_factories import freeze, make_report


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


def test_a_closed_report_freezes_the_open_disputes_and_its_page_shows_them_now(client_for, buyer, contract, clock):
    january = make_report(contract, "2026-01")
    dispute = disputes.dispute_open(
        actor=buyer,
        contract=contract,
        subject_type=Dispute.Subject.REPORT_LINE,
        subject_id=f"{january.pk}:availability",
        title="Availability overstated",
        statement="The monitor shows less.",
    )
    february = close_period(contract=contract, period="2026-02")
    assert february.snapshot["open_disputes"] == 1

    page = client_for(buyer).get(f"/reports/{february.pk}/")
    assert "1 open when the period closed; 1 open now" in page.content.decode()
    disputes.dispute_withdraw(actor=buyer, dispute=dispute)
    page = client_for(buyer).get(f"/reports/{february.pk}/")
    assert "1 open when the period closed; 0 open now" in page.content.decode()


def test_the_disputes_app_registers_its_counter_and_without_one_there_are_none(contract, monkeypatch):
    make_report(contract, "2026-01")
    Dispute.objects.create(
        contract=contract,
        subject_type=Dispute.Subject.REPORT_LINE,
        subject_id="1",
        subject_label="x",
        title="x",
        statement="x",
        raised_by_side="buyer",
        raised_at=contract.created_at,
        stage_name="Negotiation",
    )
    assert outside.open_disputes(contract.pk) == 1
    monkeypatch.setattr(outside, "_counters", {})
    assert outside.open_disputes(contract.pk) == 0
