"""The credit ledger's transitions: who, when (the claim window), from which state."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import Notification
from audit.models import AuditEntry
from audit.services import verify_chain
from contracts.access import contract_standing
from core.errors import Conflict, InvalidInput, NotPermitted
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


# -- claim --------------------------------------------------------------------------------


def test_the_buyer_claims_within_the_window(buyer, vendor, credit, clock):
    assert credit.claim_deadline == DEADLINE
    claimed = ledger.credit_claim(actor=buyer, credit=credit)
    assert claimed.status == C.CLAIMED
    assert claimed.claimed_by == buyer
    assert claimed.claimed_at == clock.now
    entry = AuditEntry.objects.get(verb="credit.claimed")
    assert entry.contract_id == credit.contract_id
    assert entry.changes["status"] == ["calculated", "claimed"]
    assert Notification.objects.filter(user=vendor, verb="credit.claimed").count() == 1


def test_a_claim_at_the_last_moment_of_the_window_is_accepted(buyer, credit, clock):
    clock.set(DEADLINE)
    assert ledger.credit_claim(actor=buyer, credit=credit).status == C.CLAIMED


def test_a_claim_after_the_window_is_refused_naming_the_deadline(buyer, credit, clock):
    clock.set(DEADLINE + timedelta(minutes=1))
    with pytest.raises(Conflict) as exc:
        ledger.credit_claim(actor=buyer, credit=credit)
    assert "claim window for this credit closed on 31 Mar 2026 00:00 UTC" in exc.value.message
    assert exc.value.state == "calculated"
    assert exc.value.allowed == []
    assert _reload(credit).status == C.CALCULATED
    assert not AuditEntry.objects.filter(verb="credit.claimed").exists()


@pytest.mark.parametrize("who", ["vendor", "buyer_ops", "staff", "board_member"])
def test_only_the_buyers_contract_managers_claim(who, request, credit, clock):
    with pytest.raises(NotPermitted) as exc:
        ledger.credit_claim(actor=request.getfixturevalue(who), credit=credit)
    assert "Only Northwind Bank's contract managers may claim" in exc.value.message


def test_claiming_twice_names_the_state(buyer, credit, clock):
    ledger.credit_claim(actor=buyer, credit=credit)
    with pytest.raises(Conflict) as exc:
        ledger.credit_claim(actor=buyer, credit=credit)
    assert exc.value.state == "claimed"
    assert "Cannot claim a credit that is claimed" in exc.value.message
    assert exc.value.allowed == ["dispute"]


# -- approve --------------------------------------------------------------------------------


def test_the_buyer_cannot_approve_its_own_claim(buyer, credit, clock):
    ledger.credit_claim(actor=buyer, credit=credit)
    with pytest.raises(NotPermitted) as exc:
        ledger.credit_approve(actor=buyer, credit=credit)
    assert "Northwind Bank cannot approve its own claim" in exc.value.message
    assert "only Acme Cloud's account managers may approve" in exc.value.message
    assert _reload(credit).status == C.CLAIMED


def test_the_vendors_account_manager_approves(buyer, vendor, vendor_engineer, credit, clock):
    ledger.credit_claim(actor=buyer, credit=credit)
    with pytest.raises(NotPermitted):
        ledger.credit_approve(actor=vendor_engineer, credit=credit)
    clock.advance(days=40)  # approval has no window: the claim was in time
    approved = ledger.credit_approve(actor=vendor, credit=credit)
    assert approved.status == C.APPROVED
    assert approved.approved_by == vendor
    assert AuditEntry.objects.get(verb="credit.approved").changes["status"] == ["claimed", "approved"]
    assert Notification.objects.filter(user=buyer, verb="credit.approved").exists()


def test_approving_an_unclaimed_credit_says_why(vendor, credit, clock):
    with pytest.raises(Conflict) as exc:
        ledger.credit_approve(actor=vendor, credit=credit)
    assert exc.value.state == "calculated"
    assert "the buyer has not claimed it yet" in exc.value.message


# -- apply ----------------------------------------------------------------------------------


def _approved(buyer, vendor, credit):
    ledger.credit_claim(actor=buyer, credit=credit)
    return ledger.credit_approve(actor=vendor, credit=credit)


def test_applying_needs_an_invoice_reference(buyer, vendor, credit, clock):
    _approved(buyer, vendor, credit)
    with pytest.raises(InvalidInput) as exc:
        ledger.credit_apply(actor=vendor, credit=credit, invoice_reference="   ")
    assert exc.value.errors == {"invoice_reference": ["This field is required."]}
    applied = ledger.credit_apply(actor=vendor, credit=credit, invoice_reference=" INV-2026-0412 ")
    assert applied.status == C.APPLIED
    assert applied.invoice_reference == "INV-2026-0412"
    assert applied.applied_at == clock.now
    assert AuditEntry.objects.get(verb="credit.applied").changes["invoice_reference"] == ["", "INV-2026-0412"]


def test_staff_may_apply_but_the_buyer_may_not(buyer, vendor, staff, credit, clock):
    _approved(buyer, vendor, credit)
    with pytest.raises(NotPermitted) as exc:
        ledger.credit_apply(actor=buyer, credit=credit, invoice_reference="INV-1")
    assert "account managers or staff" in exc.value.message
    assert ledger.credit_apply(actor=staff, credit=credit, invoice_reference="INV-1").status == C.APPLIED


def test_applying_a_claimed_credit_is_refused(buyer, vendor, credit, clock):
    ledger.credit_claim(actor=buyer, credit=credit)
    with pytest.raises(Conflict) as exc:
        ledger.credit_apply(actor=vendor, credit=credit, invoice_reference="INV-1")
    assert exc.value.state == "claimed"
    assert exc.value.allowed == ["approve", "dispute"]


# -- dispute --------------------------------------------------------------------------------


def test_a_dispute_on_an_applied_credit_is_refused_as_a_closed_matter(buyer, vendor, credit, clock):
    _approved(buyer, vendor, credit)
    ledger.credit_apply(actor=vendor, credit=credit, invoice_reference="INV-77")
    with pytest.raises(Conflict) as exc:
        ledger.credit_dispute(actor=buyer, credit=credit, statement="The tier is wrong.")
    assert exc.value.message.startswith("Closed matter: the credit was applied on invoice INV-77")
    assert exc.value.state == "applied"
    assert not Dispute.objects.exists()


def test_the_buyers_dispute_on_a_calculated_credit_counts_as_its_claim(buyer, vendor, credit, clock):
    dispute = ledger.credit_dispute(actor=buyer, credit=credit, statement="Availability was 98.9 %, not 99.2 %.")
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
    assert Notification.objects.filter(user=vendor, verb="dispute.opened").count() == 1
    with pytest.raises(Conflict) as exc:
        ledger.credit_dispute(actor=vendor, credit=credit, statement="Again")
    assert "already under dispute" in exc.value.message


def test_the_vendor_disputes_only_a_claimed_credit(buyer, vendor, credit, clock):
    with pytest.raises(Conflict) as exc:
        ledger.credit_dispute(actor=vendor, credit=credit, statement="Not owed")
    assert "has not claimed this credit" in exc.value.message
    ledger.credit_claim(actor=buyer, credit=credit)
    dispute = ledger.credit_dispute(actor=vendor, credit=credit, statement="The outage was third-party.")
    assert dispute.raised_by_side == "vendor"
    assert _reload(credit).status == C.DISPUTED


def test_a_dispute_after_the_claim_window_is_refused(buyer, credit, clock):
    clock.set(DEADLINE + timedelta(seconds=1))
    with pytest.raises(Conflict) as exc:
        ledger.credit_dispute(actor=buyer, credit=credit, statement="Late")
    assert "claim window for this credit closed on 31 Mar 2026 00:00 UTC" in exc.value.message


def test_withdrawing_returns_the_credit_to_claimed(buyer, vendor, credit, clock):
    dispute = ledger.credit_dispute(actor=buyer, credit=credit, statement="Too low")
    with pytest.raises(NotPermitted) as exc:
        disputes.dispute_withdraw(actor=vendor, dispute=dispute)
    assert "whose side raised" in exc.value.message
    disputes.dispute_withdraw(actor=buyer, dispute=dispute, note="We re-checked the monitor.")
    assert _reload(credit).status == C.CLAIMED
    assert Dispute.objects.get().status == Dispute.Status.WITHDRAWN
    assert ledger.credit_approve(actor=vendor, credit=credit).status == C.APPROVED


def test_an_agreed_adjustment_is_recorded_by_the_side_it_goes_against(buyer, vendor, credit, clock):
    ledger.credit_claim(actor=buyer, credit=credit)
    dispute = ledger.credit_dispute(actor=vendor, credit=credit, statement="Half of it was maintenance.")
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
    dispute = ledger.credit_dispute(actor=buyer, credit=credit, statement="Should be 10 %")
    with pytest.raises(NotPermitted) as exc:
        disputes.dispute_resolve(actor=vendor, dispute=dispute, resolution="No.")
    assert "only Northwind Bank's contract managers may record that" in exc.value.message
    disputes.dispute_resolve(actor=buyer, dispute=dispute, resolution="We accept the 5 % tier.")
    assert _reload(credit).status == C.CLAIMED


# -- what each person may do -----------------------------------------------------------------


def test_allowed_actions_follow_role_state_and_window(buyer, buyer_ops, vendor, staff, credit, clock):
    def allowed(user):
        return ledger.allowed_actions(_reload(credit), contract_standing(user, credit.contract))

    assert allowed(buyer) == ["claim", "dispute"]
    assert allowed(vendor) == []
    assert allowed(buyer_ops) == []
    ledger.credit_claim(actor=buyer, credit=credit)
    assert allowed(buyer) == ["dispute"]
    assert allowed(vendor) == ["approve", "dispute"]
    ledger.credit_approve(actor=vendor, credit=credit)
    assert allowed(vendor) == ["apply"]
    assert allowed(staff) == ["apply"]
    assert allowed(buyer) == []
    late = make_credit(credit.report, ref="other")
    clock.set(DEADLINE + timedelta(days=1))
    assert ledger.allowed_actions(late, contract_standing(buyer, credit.contract)) == []


def test_the_audit_chain_holds_after_a_full_walk(buyer, vendor, credit, clock):
    _approved(buyer, vendor, credit)
    ledger.credit_apply(actor=vendor, credit=credit, invoice_reference="INV-1")
    assert verify_chain().ok
    verbs = list(AuditEntry.objects.filter(object_type="reports.credit").order_by("seq").values_list("verb", flat=True))
    assert verbs == ["credit.claimed", "credit.approved", "credit.applied"]
