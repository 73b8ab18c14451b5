"""Terms change only with both parties: the services and the API (propose, accept, reject, withdraw, counter,
comments, the staff override)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership, Notification
from accounts.tests.factories import member
from audit.models import AuditEntry
from contracts import services
from contracts.models import Contract, SLAVersion
from contracts.tests.factories import make_contract
from core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


def url(contract: Contract, tail: str) -> str:
    return f"/api/contracts/{contract.pk}/sla-versions/{tail}"


def post(client: Any, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, data or {}, content_type="application/json")


@pytest.fixture
def fresh(buyer_org, vendor_org) -> Contract:
    """A contract whose first version is still a draft (the buyer's)."""
    return make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-NEW", activate=False)


@pytest.fixture
def vendor_on_board(vendor_org, fresh, staff):
    user = member("vendor-board", vendor_org, Membership.Role.SUPPORT_ENGINEER)
    services.board_seat_add(actor=staff, contract=fresh, user=user)
    return user


def v(contract: Contract, number: int = 1) -> SLAVersion:
    return contract.sla_versions.get(number=number)


def amendment(contract: Contract, buyer: Any) -> SLAVersion:
    draft = services.sla_version_amend(actor=buyer, contract=contract, change_summary="Faster restore")
    terms = draft.terms
    terms["targets"][0]["restore_minutes"] = 120
    return services.sla_version_update(actor=buyer, version=draft, terms=terms)


# -- no single party activates ---------------------------------------------------------------------------


def test_the_buyer_alone_cannot_activate_through_the_api(client_for, buyer, fresh):
    response = post(client_for(buyer), url(fresh, "1/activate/"), {"reason": "we agreed on the phone"})
    assert response.status_code == 403, response.content
    assert "both parties" in response.json()["detail"]
    assert v(fresh).status == SLAVersion.Status.DRAFT


def test_the_vendor_alone_cannot_activate_through_the_api(client_for, vendor, fresh):
    assert post(client_for(vendor), url(fresh, "1/activate/"), {"reason": "x"}).status_code == 403
    assert v(fresh).status == SLAVersion.Status.DRAFT


def test_proposing_is_not_activating(client_for, buyer, fresh):
    response = post(client_for(buyer), url(fresh, "1/propose/"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "proposed" and body["effective_from"] is None
    assert [a["side"] for a in body["acceptances"]] == ["buyer"]
    assert services.version_in_force(fresh, timezone.now()) is None
    # The buyer accepting again is no second party.
    again = post(client_for(buyer), url(fresh, "1/accept/"), {"checksum": body["checksum"]})
    assert again.status_code == 409 and "already accepted" in again.json()["detail"]
    assert v(fresh).status == SLAVersion.Status.PROPOSED


def test_the_vendor_cannot_propose_the_buyers_draft(client_for, vendor, fresh):
    response = post(client_for(vendor), url(fresh, "1/propose/"))
    assert response.status_code == 403
    assert v(fresh).status == SLAVersion.Status.DRAFT


# -- both accept -> active on the effective date -----------------------------------------------------------


def test_both_accept_and_the_first_version_starts_with_the_contract(client_for, buyer, vendor, fresh):
    proposed = post(client_for(buyer), url(fresh, "1/propose/")).json()
    assert proposed["proposed_from"] == "2025-01-01T00:00:00Z"  # the contract's start, in the terms' zone
    accepted = post(client_for(vendor), url(fresh, "1/accept/"), {"checksum": proposed["checksum"]})
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert (body["status"], body["activation_basis"]) == ("active", "accepted")
    assert body["effective_from"] == "2025-01-01T00:00:00Z"
    assert {a["side"]: a["checksum"] for a in body["acceptances"]} == {
        "buyer": proposed["checksum"],
        "vendor": proposed["checksum"],
    }
    fresh.refresh_from_db()
    assert fresh.status == Contract.Status.ACTIVE
    assert services.version_in_force(fresh, timezone.now()).number == 1
    verbs = list(AuditEntry.objects.filter(contract_id=fresh.pk).values_list("verb", flat=True).order_by("pk"))
    consent = ["sla_version.proposed", "sla_version.accepted", "sla_version.activated", "contract.activated"]
    assert [verb for verb in verbs if verb in consent] == consent


def test_an_amendment_with_a_future_date_is_in_force_from_that_date(client_for, buyer, vendor, contract):
    draft = amendment(contract, buyer)
    start = timezone.now() + timedelta(days=30)
    proposed = post(client_for(buyer), url(contract, f"{draft.number}/propose/"), {"effective_from": start.isoformat()})
    assert proposed.status_code == 200, proposed.content
    services.sla_version_accept(actor=vendor, version=v(contract, 2), checksum=proposed.json()["checksum"])
    v2 = v(contract, 2)
    assert v2.status == SLAVersion.Status.ACTIVE and v2.effective_from == start
    assert services.version_in_force(contract, timezone.now()).number == 1  # not yet
    assert services.version_in_force(contract, start + timedelta(seconds=1)).number == 2
    assert v(contract, 1).effective_to == start


def test_an_amendment_whose_date_passed_takes_effect_at_once(buyer, vendor, contract):
    draft = amendment(contract, buyer)
    yesterday = timezone.now() - timedelta(days=1)
    services.sla_version_propose(actor=buyer, version=draft, effective_from=yesterday)
    before = timezone.now()
    services.sla_version_accept(actor=vendor, version=v(contract, 2), checksum=v(contract, 2).consent_checksum)
    # Never backdated over periods already reported on: in force from the second acceptance.
    assert before <= v(contract, 2).effective_from <= timezone.now()
    assert v(contract, 2).proposed_from == yesterday


def test_acceptance_notifies_the_other_party(buyer, vendor, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    told = Notification.objects.filter(user=vendor).order_by("pk").last()
    assert told is not None and "proposed" in told.title
    services.sla_version_accept(actor=vendor, version=v(fresh), checksum=v(fresh).consent_checksum)
    told = Notification.objects.filter(user=buyer).order_by("pk").last()
    assert told is not None and "accepted by both parties" in told.title


# -- the checksum ----------------------------------------------------------------------------------------


def test_a_checksum_mismatch_is_409_naming_the_current_one_and_changes_nothing(client_for, buyer, vendor, fresh):
    proposed = post(client_for(buyer), url(fresh, "1/propose/")).json()
    before = AuditEntry.objects.count()
    stale = "0" * 64
    response = post(client_for(vendor), url(fresh, "1/accept/"), {"checksum": stale})
    assert response.status_code == 409
    body = response.json()
    assert body["current_checksum"] == proposed["checksum"]
    assert proposed["checksum"] in body["detail"]
    assert AuditEntry.objects.count() == before
    version = v(fresh)
    assert version.status == SLAVersion.Status.PROPOSED
    assert list(version.acceptances.values_list("side", flat=True)) == ["buyer"]


def test_the_checksum_binds_terms_date_and_number(buyer, fresh):
    version = v(fresh)
    first = version.consent_checksum
    version.proposed_from = datetime(2025, 2, 1, tzinfo=UTC)
    assert version.consent_checksum != first
    version.proposed_from = None
    version.number = 9
    assert version.consent_checksum != first


def test_a_malformed_checksum_is_a_400_naming_the_field(client_for, buyer, vendor, fresh):
    post(client_for(buyer), url(fresh, "1/propose/"))
    response = post(client_for(vendor), url(fresh, "1/accept/"), {"checksum": "abc"})
    assert response.status_code == 400 and "checksum" in response.json()["errors"]


# -- frozen while proposed, reject, withdraw ---------------------------------------------------------------


def test_a_proposal_is_frozen(client_for, buyer, fresh):
    post(client_for(buyer), url(fresh, "1/propose/"))
    response = client_for(buyer).patch(url(fresh, "1/"), {"change_summary": "sneaky"}, content_type="application/json")
    assert response.status_code == 409
    assert "withdraw" in response.json()["detail"] and "counter" in response.json()["detail"]


def test_reject_needs_a_reason_and_sends_the_proposal_back(client_for, buyer, vendor, fresh):
    post(client_for(buyer), url(fresh, "1/propose/"))
    assert post(client_for(vendor), url(fresh, "1/reject/"), {"reason": ""}).status_code == 400
    assert post(client_for(buyer), url(fresh, "1/reject/"), {"reason": "no"}).status_code == 403  # own proposal
    response = post(client_for(vendor), url(fresh, "1/reject/"), {"reason": "Restore targets too loose"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["returned_reason"], body["acceptances"]) == (
        "draft",
        "Restore targets too loose",
        [],
    )
    assert Notification.objects.filter(user=buyer, title__contains="rejected").exists()


def test_withdraw_is_the_proposers_and_reopens_the_draft(buyer, vendor, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    with pytest.raises(NotPermitted):
        services.sla_version_withdraw(actor=vendor, version=v(fresh), reason="not mine")
    with pytest.raises(InvalidInput):
        services.sla_version_withdraw(actor=buyer, version=v(fresh), reason=" ")
    services.sla_version_withdraw(actor=buyer, version=v(fresh), reason="Typo in the calendar")
    version = v(fresh)
    assert version.is_draft and not version.acceptances.exists()
    services.sla_version_update(actor=buyer, version=version, change_summary="fixed")  # editable again
    with pytest.raises(Conflict):
        services.sla_version_accept(actor=vendor, version=v(fresh), checksum=v(fresh).consent_checksum)


def test_staff_are_not_a_party(staff, buyer, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    with pytest.raises(NotPermitted):
        services.sla_version_accept(actor=staff, version=v(fresh), checksum=v(fresh).consent_checksum)


def test_organization_admins_speak_for_their_party(vendor_org, buyer, fresh):
    admin = member("vendor-admin", vendor_org, Membership.Role.VIEWER)
    Membership.objects.filter(user=admin).update(is_admin=True)
    services.sla_version_propose(actor=buyer, version=v(fresh))
    services.sla_version_accept(actor=admin, version=v(fresh), checksum=v(fresh).consent_checksum)
    assert v(fresh).is_active


def test_the_vendor_accepts_terms_only_after_the_invitation(buyer_org, vendor_org, buyer, vendor):
    pending = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-INV", activate=False, vendor_accept=False)
    services.sla_version_propose(actor=buyer, version=v(pending))
    with pytest.raises(Conflict, match="invitation"):
        services.sla_version_accept(actor=vendor, version=v(pending), checksum=v(pending).consent_checksum)
    services.contract_vendor_accept(actor=vendor, contract=pending)
    services.sla_version_accept(actor=vendor, version=v(pending), checksum=v(pending).consent_checksum)
    assert v(pending).is_active


# -- counter-proposal --------------------------------------------------------------------------------------


def test_counter_proposal_is_the_other_partys_draft_and_supersedes_the_original(client_for, buyer, vendor, fresh):
    proposed = post(client_for(buyer), url(fresh, "1/propose/")).json()
    countered = post(client_for(vendor), url(fresh, "1/counter/"), {"change_summary": "Tighter restore"})
    assert countered.status_code == 201, countered.content
    body = countered.json()
    assert (body["number"], body["side"], body["based_on"], body["status"]) == (2, "vendor", 1, "draft")
    v2 = v(fresh, 2)
    terms = v2.terms
    terms["targets"][0]["restore_minutes"] = 60
    # The buyer may not edit the vendor's counter draft; the vendor may.
    with pytest.raises(NotPermitted):
        services.sla_version_update(actor=buyer, version=v2, terms=terms)
    services.sla_version_update(actor=vendor, version=v2, terms=terms)
    assert post(client_for(vendor), url(fresh, "2/propose/")).status_code == 200
    assert v(fresh, 1).status == SLAVersion.Status.COUNTERED
    # The original can no longer be accepted; the counter is accepted by the buyer.
    stale = post(client_for(buyer), url(fresh, "1/accept/"), {"checksum": proposed["checksum"]})
    assert stale.status_code == 409
    services.sla_version_accept(actor=buyer, version=v(fresh, 2), checksum=v(fresh, 2).consent_checksum)
    assert v(fresh, 2).is_active and v(fresh, 2).effective_from == datetime(2025, 1, 1, tzinfo=UTC)


def test_the_proposer_cannot_counter_its_own_proposal(client_for, buyer, fresh):
    post(client_for(buyer), url(fresh, "1/propose/"))
    assert post(client_for(buyer), url(fresh, "1/counter/")).status_code == 403


# -- the board: vendor-side members comment, never edit ------------------------------------------------------


def test_a_vendor_board_member_cannot_edit_the_buyers_draft_but_can_comment(client_for, vendor_on_board, fresh):
    client = client_for(vendor_on_board)
    edit = client.patch(url(fresh, "1/"), {"change_summary": "mine now"}, content_type="application/json")
    assert edit.status_code == 403
    assert v(fresh).change_summary != "mine now"
    said = post(client, url(fresh, "1/comments/"), {"body": "Please add the Easter closure."})
    assert said.status_code == 201, said.content
    listed = client.get(url(fresh, "1/comments/")).json()["results"]
    assert [c["body"] for c in listed] == ["Please add the Easter closure."]
    assert [c["author_name"] for c in listed] == [said.json()["author_name"]]


def test_a_neutral_board_member_still_edits_the_buyers_draft(board_member, fresh, staff):
    services.board_seat_add(actor=staff, contract=fresh, user=board_member)
    services.sla_version_update(actor=board_member, version=v(fresh), change_summary="Board wording")
    assert v(fresh).change_summary == "Board wording"


def test_an_empty_comment_is_a_400(client_for, buyer, fresh):
    response = post(client_for(buyer), url(fresh, "1/comments/"), {"body": ""})
    assert response.status_code == 400 and "body" in response.json()["errors"]


def test_comment_list_queries_do_not_grow(client_for, buyer, fresh, django_assert_num_queries):
    client = client_for(buyer)
    for i in range(2):
        services.sla_version_comment(actor=buyer, version=v(fresh), body=f"note {i}")
    client.get(url(fresh, "1/comments/"))  # warm the session
    with django_assert_num_queries(8) as small:
        assert client.get(url(fresh, "1/comments/")).json()["count"] == 2
    for i in range(8):
        services.sla_version_comment(actor=buyer, version=v(fresh), body=f"more {i}")
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url(fresh, "1/comments/")).json()["count"] == 10


def test_version_list_queries_do_not_grow(client_for, buyer, vendor, fresh, django_assert_num_queries):
    client = client_for(buyer)
    services.sla_version_propose(actor=buyer, version=v(fresh))
    client.get(url(fresh, ""))
    with django_assert_num_queries(8) as small:
        assert client.get(url(fresh, "")).json()["count"] == 1
    services.sla_version_accept(actor=vendor, version=v(fresh), checksum=v(fresh).consent_checksum)
    for _ in range(3):
        draft = services.sla_version_amend(actor=buyer, contract=fresh)
        services.sla_version_propose(actor=buyer, version=draft)
        services.sla_version_accept(actor=vendor, version=draft, checksum=draft.consent_checksum)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url(fresh, "")).json()["count"] == 4


# -- the staff override --------------------------------------------------------------------------------------


def test_staff_override_needs_a_reason_and_is_audited(client_for, staff, fresh):
    client = client_for(staff)
    assert post(client, url(fresh, "1/activate/"), {"reason": ""}).status_code == 400
    response = post(client, url(fresh, "1/activate/"), {"reason": "Signed on paper on 3 Jan"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["activation_basis"], body["override_reason"]) == (
        "active",
        "override",
        "Signed on paper on 3 Jan",
    )
    entry = AuditEntry.objects.filter(verb="sla_version.activated", contract_id=fresh.pk).get()
    assert entry.changes["override_reason"] == [None, "Signed on paper on 3 Jan"]


def test_board_only_override_is_refused_while_the_vendor_has_people(staff, vendor, fresh):
    with pytest.raises(Conflict, match="not a board-only contract"):
        services.sla_version_activate_override(actor=staff, version=v(fresh), reason="board", board_only=True)
    Membership.objects.filter(user=vendor).update(is_active=False)
    services.sla_version_activate_override(actor=staff, version=v(fresh), reason="Board agreed", board_only=True)
    assert v(fresh).activation_basis == SLAVersion.Basis.BOARD_ONLY
