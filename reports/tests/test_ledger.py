"""The credit ledger's transitions: who, when (the claim window), from which state."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import Notification
from audit.models import AuditEntry
from audit.services import verify_chain
from contracts.access import contract_standing
from core.errors import Conflict, InvalidInput, NotPermitted
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
    assert Notification.objects.filter(user=vendor, event="credit.changed").count() == 1


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
    assert Notification.objects.filter(user=buyer, event="credit.changed").exists()


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


# -- the ledger side of a dispute (the disputes app opens and ends it) -------------------------


def test_marking_a_calculated_credit_disputed_counts_as_the_buyers_claim(buyer, credit, clock):
    disputed = ledger.credit_mark_disputed(actor=buyer, credit=credit, dispute_ref="D-7")
    assert (disputed.status, disputed.claimed_by, disputed.claimed_at) == (C.DISPUTED, buyer, clock.now)
    entry = AuditEntry.objects.get(verb="credit.disputed")
    assert entry.changes["status"] == ["calculated", "disputed"]
    assert entry.changes["dispute"] == [None, "D-7"]
    with pytest.raises(Conflict) as exc:
        ledger.credit_mark_disputed(actor=buyer, credit=credit, dispute_ref="D-8")
    assert exc.value.state == "disputed"
    assert "it is under dispute" in exc.value.message


def test_the_vendor_marks_only_a_claimed_credit_disputed_and_only_managers_may(
    buyer, vendor, vendor_engineer, staff, credit, clock
):
    with pytest.raises(Conflict) as exc:
        ledger.credit_mark_disputed(actor=vendor, credit=credit, dispute_ref="D-1")
    assert "The buyer has not claimed this credit" in exc.value.message
    for outsider_to_the_ladder in (vendor_engineer, staff):
        with pytest.raises(NotPermitted):
            ledger.credit_mark_disputed(actor=outsider_to_the_ladder, credit=credit, dispute_ref="D-1")
    ledger.credit_claim(actor=buyer, credit=credit)
    disputed = ledger.credit_mark_disputed(actor=vendor, credit=credit, dispute_ref="D-1")
    assert (disputed.status, disputed.claimed_by) == (C.DISPUTED, buyer)  # the buyer's claim stays


def test_marking_disputed_after_the_claim_window_is_refused(buyer, credit, clock):
    clock.set(DEADLINE + timedelta(seconds=1))
    with pytest.raises(Conflict) as exc:
        ledger.credit_mark_disputed(actor=buyer, credit=credit, dispute_ref="D-1")
    assert "claim window for this credit closed on 31 Mar 2026 00:00 UTC" in exc.value.message
    assert _reload(credit).status == C.CALCULATED


def test_releasing_a_disputed_credit_returns_it_to_claimed_and_leaves_others_alone(buyer, vendor, credit, clock):
    untouched = ledger.credit_release_from_dispute(actor=buyer, credit=credit, dispute_ref="D-1")
    assert untouched.status == C.CALCULATED
    assert not AuditEntry.objects.filter(verb="credit.dispute_closed").exists()
    ledger.credit_mark_disputed(actor=buyer, credit=credit, dispute_ref="D-1")
    released = ledger.credit_release_from_dispute(actor=vendor, credit=credit, dispute_ref="D-1")
    assert released.status == C.CLAIMED
    assert AuditEntry.objects.get(verb="credit.dispute_closed").changes == {
        "status": ["disputed", "claimed"],
        "dispute": ["D-1", None],
    }


def test_an_agreed_amount_is_rounded_approved_and_audited(buyer, vendor, vendor_engineer, credit, clock):
    ledger.credit_mark_disputed(actor=buyer, credit=credit, dispute_ref="D-3")
    with pytest.raises(NotPermitted):
        ledger.credit_adjust_on_dispute(actor=vendor_engineer, credit=credit, amount=Decimal("250"), dispute_ref="D-3")
    with pytest.raises(InvalidInput) as exc:
        ledger.credit_adjust_on_dispute(actor=buyer, credit=credit, amount=Decimal("500.001"), dispute_ref="D-3")
    assert exc.value.errors == {"amount": ["Nothing changes."]}
    adjusted = ledger.credit_adjust_on_dispute(actor=buyer, credit=credit, amount=Decimal("250.005"), dispute_ref="D-3")
    assert (adjusted.amount, adjusted.status, adjusted.approved_by) == (Decimal("250.01"), C.APPROVED, buyer)
    entry = AuditEntry.objects.get(verb="credit.adjusted")
    assert entry.changes["amount"] == ["500.000", "250.01"]
    assert entry.changes["dispute"] == [None, "D-3"]


def test_an_applied_credit_is_not_adjusted(buyer, vendor, credit, clock):
    _approved(buyer, vendor, credit)
    ledger.credit_apply(actor=vendor, credit=credit, invoice_reference="INV-5")
    with pytest.raises(Conflict) as exc:
        ledger.credit_adjust_on_dispute(actor=buyer, credit=credit, amount=Decimal("1"), dispute_ref="D-1")
    assert exc.value.state == "applied"
    assert _reload(credit).amount == Decimal("500.00")


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
