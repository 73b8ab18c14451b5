"""Disputing a credit on the ledger: the dispute opens on the credit and the ledger marks it
disputed; ending the dispute releases or adjusts it. (The ledger's own transitions are tested in
reports/tests/test_ledger.py.)"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import Notification
from audit.models import AuditEntry
from core.errors import Conflict, NotPermitted
from disputes import services as disputes
from disputes.models import Dispute
from reports.models import Credit
from reports.services import ledger
from reports.tests.ledger_factories import freeze, make_credit, make_report

C = Credit.Status
DEADLINE = datetime(2026, 3, 31, 0, 0, tzinfo=UTC)  # February's end + 30 days (claim_window_days)


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


@pytest.fixture
def credit(contract):
    return make_credit(make_report(contract))


def _reload(credit):
    return Credit.objects.get(pk=credit.pk)


def _approved(buyer, vendor, credit):
    ledger.credit_claim(actor=buyer, credit=credit)
    return ledger.credit_approve(actor=vendor, credit=credit)


def test_a_dispute_on_an_applied_credit_is_refused_as_a_closed_matter(buyer, vendor, credit, clock):
    _approved(buyer, vendor, credit)
    ledger.credit_apply(actor=vendor, credit=credit, invoice_reference="INV-77")
    with pytest.raises(Conflict) as exc:
        disputes.credit_dispute(actor=buyer, credit=credit, statement="The tier is wrong.")
    assert exc.value.message.startswith("Closed matter: the credit was applied on invoice INV-77")
    assert exc.value.state == "applied"
    assert not Dispute.objects.exists()


def test_the_buyers_dispute_on_a_calculated_credit_counts_as_its_claim(buyer, vendor, credit, clock):
    dispute = disputes.credit_dispute(actor=buyer, credit=credit, statement="Availability was 98.9 %, not 99.2 %.")
    credit = _reload(credit)
    assert credit.status == C.DISPUTED
    assert credit.claimed_by == buyer
    assert dispute.subject_type == "credit" and dispute.subject_id == str(credit.pk)
    assert dispute.report_id == credit.report_id
    assert dispute.raised_by_side == "buyer"
    assert dispute.stage_name == "Negotiation"
    assert dispute.stage_deadline == clock.now + timedelta(days=10)
    assert dispute.title.startswith("Credit disputed: Availability")
    assert AuditEntry.objects.get(verb="credit.disputed").changes["status"] == ["calculated", "disputed"]
    assert Notification.objects.filter(user=vendor, event="dispute.opened").count() == 1
    with pytest.raises(Conflict) as exc:
        disputes.credit_dispute(actor=vendor, credit=credit, statement="Again")
    assert "already under dispute" in exc.value.message


def test_the_vendor_disputes_only_a_claimed_credit(buyer, vendor, credit, clock):
    with pytest.raises(Conflict) as exc:
        disputes.credit_dispute(actor=vendor, credit=credit, statement="Not owed")
    assert "has not claimed this credit" in exc.value.message
    ledger.credit_claim(actor=buyer, credit=credit)
    dispute = disputes.credit_dispute(actor=vendor, credit=credit, statement="The outage was third-party.")
    assert dispute.raised_by_side == "vendor"
    assert _reload(credit).status == C.DISPUTED


def test_a_dispute_after_the_claim_window_is_refused(buyer, credit, clock):
    clock.set(DEADLINE + timedelta(seconds=1))
    with pytest.raises(Conflict) as exc:
        disputes.credit_dispute(actor=buyer, credit=credit, statement="Late")
    assert "claim window for this credit closed on 31 Mar 2026 00:00 UTC" in exc.value.message


def test_withdrawing_returns_the_credit_to_claimed(buyer, vendor, credit, clock):
    dispute = disputes.credit_dispute(actor=buyer, credit=credit, statement="Too low")
    with pytest.raises(NotPermitted) as exc:
        disputes.dispute_withdraw(actor=vendor, dispute=dispute)
    assert "whose side raised" in exc.value.message
    disputes.dispute_withdraw(actor=buyer, dispute=dispute, note="We re-checked the monitor.")
    assert _reload(credit).status == C.CLAIMED
    assert Dispute.objects.get().status == Dispute.Status.WITHDRAWN
    assert ledger.credit_approve(actor=vendor, credit=credit).status == C.APPROVED


def test_an_agreed_adjustment_is_recorded_by_the_side_it_goes_against(buyer, vendor, credit, clock):
    ledger.credit_claim(actor=buyer, credit=credit)
    dispute = disputes.credit_dispute(actor=vendor, credit=credit, statement="Half of it was maintenance.")
    with pytest.raises(NotPermitted) as exc:  # the vendor may not lower its own debt
        disputes.dispute_resolve(actor=vendor, dispute=dispute, resolution="Halved", outcome={"credit_amount": "250"})
    assert "lowers a credit, which goes against the buyer" in exc.value.message
    resolved = disputes.dispute_resolve(
        actor=buyer,
        dispute=dispute,
        resolution="Agreed: half was announced maintenance.",
        outcome={"credit_amount": "250"},
    )
    credit = _reload(credit)
    assert credit.amount == Decimal("250.00")
    assert credit.status == C.APPROVED
    assert resolved.status == "resolved"
    assert resolved.reissued_report is None  # the ledger changed, not the facts
    assert AuditEntry.objects.get(verb="credit.adjusted").changes["amount"] == ["500.000", "250.00"]
    assert "adjusted from EUR 500.00 to EUR 250.00 and approved" in resolved.steps.get(action="resolved").note
    assert ledger.credit_apply(actor=vendor, credit=credit, invoice_reference="INV-9").status == C.APPLIED


def test_a_resolution_that_changes_nothing_is_recorded_by_the_side_that_raised_it(buyer, vendor, credit, clock):
    dispute = disputes.credit_dispute(actor=buyer, credit=credit, statement="Should be 10 %")
    with pytest.raises(NotPermitted) as exc:
        disputes.dispute_resolve(actor=vendor, dispute=dispute, resolution="No.")
    assert "only Northwind Bank's contract managers may record that" in exc.value.message
    disputes.dispute_resolve(actor=buyer, dispute=dispute, resolution="We accept the 5 % tier.")
    assert _reload(credit).status == C.CLAIMED
