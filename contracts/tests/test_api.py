"""The contracts API, through HTTP, as each persona."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEntry
from contracts import services
from contracts.models import Contract, SLAVersion
from contracts.presets import preset_terms
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def url(contract: Contract | int, rest: str = "") -> str:
    pk = contract if isinstance(contract, int) else contract.pk
    return f"/api/contracts/{pk}/{rest}"


def new_contract_body(buyer_org: Any, vendor_org: Any, **extra: Any) -> dict[str, Any]:
    return {
        "reference": "C-NEW",
        "product": "Payments Hub",
        "buyer": buyer_org.pk,
        "vendor": vendor_org.pk,
        "start_date": "2026-01-01",
        "term_end": "2028-12-31",
        "monthly_fee": "2500.00",
        "notice_period_days": 60,
        "covered_components": ["api", "dashboard"],
        **extra,
    }


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


def patch(client: Any, path: str, data: Any) -> Any:
    return client.patch(path, data, content_type="application/json")


def post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(path, data if data is not None else {}, content_type="application/json")


# --------------------------------------------------------------------------
# Creating and editing contracts
# --------------------------------------------------------------------------


def test_create_from_preset(client_for, buyer, buyer_org, vendor_org):
    response = post(
        client_for(buyer), "/api/contracts/", new_contract_body(buyer_org, vendor_org, preset="business-hours")
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["buyer"] == {"id": buyer_org.pk, "name": "Northwind Bank"}
    assert body["vendor"] == {"id": vendor_org.pk, "name": "Acme Cloud"}
    assert body["status"] == "draft"
    assert body["notice_deadline"] == "2028-11-01"  # 60 days before the term ends
    assert body["termination_right"] is False
    assert body["current_sla_version"] is None  # v1 is still a draft
    version = SLAVersion.objects.get(contract_id=body["id"])
    assert (version.number, version.status, version.preset) == (1, "draft", "business-hours")
    assert version.terms == preset_terms("business-hours")


def test_create_from_full_terms(client_for, buyer, buyer_org, vendor_org):
    terms = preset_terms("enterprise-24x7")
    terms["credit_cap_percent"] = "25"
    terms["calendar"]["timezone"] = "Europe/Vienna"

    response = post(client_for(buyer), "/api/contracts/", new_contract_body(buyer_org, vendor_org, terms=terms))

    assert response.status_code == 201, response.content
    version = SLAVersion.objects.get(contract_id=response.json()["id"])
    assert version.terms == terms
    assert version.preset == ""  # custom terms are not labelled with a template


def test_create_needs_a_preset_or_terms(client_for, buyer, buyer_org, vendor_org):
    body = assert_error(post(client_for(buyer), "/api/contracts/", new_contract_body(buyer_org, vendor_org)), 400)
    assert set(body["errors"]) == {"preset", "terms"}


def test_create_refuses_an_unknown_preset(client_for, buyer, buyer_org, vendor_org):
    data = new_contract_body(buyer_org, vendor_org, preset="platinum")
    body = assert_error(post(client_for(buyer), "/api/contracts/", data), 400, "invalid")
    assert "preset" in body["errors"]


def test_create_takes_only_organizations_of_the_right_kind(client_for, buyer, buyer_org, vendor_org):
    swapped = new_contract_body(
        buyer_org, vendor_org, preset="enterprise-24x7", buyer=vendor_org.pk, vendor=buyer_org.pk
    )
    body = assert_error(post(client_for(buyer), "/api/contracts/", swapped), 400)
    assert body["errors"]["buyer"] == [f"No buyer organization has id {vendor_org.pk}."]
    assert body["errors"]["vendor"] == [f"No vendor organization has id {buyer_org.pk}."]
    assert not Contract.objects.filter(reference="C-NEW").exists()


def test_create_checks_contract_fields_through_the_service(client_for, buyer, buyer_org, vendor_org, contract):
    data = new_contract_body(buyer_org, vendor_org, preset="enterprise-24x7", term_end="2025-06-01", currency="E1X")
    body = assert_error(post(client_for(buyer), "/api/contracts/", data), 400)
    assert set(body["errors"]) == {"term_end", "currency"}

    duplicate = new_contract_body(buyer_org, vendor_org, preset="enterprise-24x7", reference=contract.reference)
    body = assert_error(post(client_for(buyer), "/api/contracts/", duplicate), 400)
    assert "reference" in body["errors"]


@pytest.mark.parametrize("persona", ["vendor", "buyer_ops", "buyer_viewer", "outsider"])
def test_only_the_buyers_contract_managers_create(request, client_for, persona, buyer_org, vendor_org):
    user = request.getfixturevalue(persona)
    data = new_contract_body(buyer_org, vendor_org, preset="enterprise-24x7")
    body = assert_error(post(client_for(user), "/api/contracts/", data), 403, "permission_denied")
    assert body["detail"] == "Only the buyer's contract managers may create contracts."
    assert not Contract.objects.filter(reference="C-NEW").exists()


def test_patch_contract_recomputes_the_notice_deadline(client_for, buyer, contract):
    response = patch(client_for(buyer), url(contract), {"notice_period_days": 30, "product": "Ledger Cloud Plus"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["product"] == "Ledger Cloud Plus"
    assert body["notice_deadline"] == "2027-12-01"
    assert body["current_sla_version"] == 1
    assert AuditEntry.objects.filter(contract_id=contract.pk, verb="contract.updated").count() == 1


def test_patch_contract_refuses_fields_it_cannot_change(client_for, buyer, contract):
    body = assert_error(patch(client_for(buyer), url(contract), {"status": "terminated", "colour": "red"}), 400)
    assert body["errors"] == {"colour": ["Unknown field."], "status": ["This field cannot be changed here."]}
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_put_is_not_offered(client_for, buyer, contract):
    response = client_for(buyer).put(url(contract), {}, content_type="application/json")
    assert_error(response, 405)


# --------------------------------------------------------------------------
# Terms validation: field paths and rules
# --------------------------------------------------------------------------


def _swap_first_tiers(terms: dict[str, Any]) -> None:
    terms["credit_tiers"][0], terms["credit_tiers"][1] = terms["credit_tiers"][1], terms["credit_tiers"][0]


BAD_TERMS = [
    pytest.param(
        lambda t: t["targets"][0].update(restore_minutes=5),
        "terms.targets[0].restore_minutes",
        "acknowledge <= restore <= resolve",
        id="targets-out-of-order",
    ),
    pytest.param(
        lambda t: t["targets"][0].update(restore_minutes="fast"),
        "terms.targets[0].restore_minutes",
        "is not of type 'integer'",
        id="schema-type",
    ),
    pytest.param(
        lambda t: t["calendar"].update(timezone="Mars/Olympus"),
        "terms.calendar.timezone",
        "unknown IANA zone 'Mars/Olympus'",
        id="unknown-time-zone",
    ),
    pytest.param(
        lambda t: t["uptime"].update(timezone="Atlantis/Capital"),
        "terms.uptime.timezone",
        "Unknown time zone",
        id="unknown-uptime-zone",
    ),
    pytest.param(_swap_first_tiers, "terms.credit_tiers[1].upper", "Overlaps the tier above", id="tiers-out-of-order"),
    pytest.param(
        lambda t: t.update(credit_cap_percent="150"),
        "terms.credit_cap_percent",
        "between 0 and 100",
        id="cap-over-100",
    ),
    pytest.param(lambda t: t.pop("metrics"), "terms.metrics", "This field is required.", id="missing-section"),
]


@pytest.mark.parametrize(("mutate", "field", "rule"), BAD_TERMS)
def test_create_with_bad_terms_names_the_field_and_rule(client_for, buyer, buyer_org, vendor_org, mutate, field, rule):
    terms = preset_terms("enterprise-24x7")
    mutate(terms)

    response = post(client_for(buyer), "/api/contracts/", new_contract_body(buyer_org, vendor_org, terms=terms))

    body = assert_error(response, 400, "invalid")
    assert body["detail"] == "The SLA terms are not valid."
    assert field in body["errors"], body["errors"]
    assert any(rule in message for message in body["errors"][field]), body["errors"][field]
    assert not Contract.objects.filter(reference="C-NEW").exists()


@pytest.mark.parametrize(("mutate", "field", "rule"), BAD_TERMS)
def test_patch_draft_with_bad_terms_names_the_field_and_rule(client_for, buyer, contract, mutate, field, rule):
    services.sla_version_amend(actor=buyer, contract=contract)
    terms = preset_terms("enterprise-24x7")
    mutate(terms)

    body = assert_error(patch(client_for(buyer), url(contract, "sla-versions/2/"), {"terms": terms}), 400)

    assert any(rule in message for message in body["errors"][field])
    assert SLAVersion.objects.get(contract=contract, number=2).terms == contract.sla_versions.get(number=1).terms


def test_unknown_holiday_country_is_rejected(client_for, buyer, buyer_org, vendor_org):
    terms = preset_terms("business-hours")
    terms["calendar"]["country"] = "XX"

    response = post(client_for(buyer), "/api/contracts/", new_contract_body(buyer_org, vendor_org, terms=terms))

    body = assert_error(response, 400)
    messages = [m for key, msgs in body["errors"].items() if key.startswith("terms.calendar.") for m in msgs]
    assert any("'XX' is not a country code" in m for m in messages), body["errors"]


def test_unknown_holiday_country_is_filed_under_calendar_country(client_for, buyer, buyer_org, vendor_org):
    terms = preset_terms("business-hours")
    terms["calendar"]["country"] = "XX"

    body = post(client_for(buyer), "/api/contracts/", new_contract_body(buyer_org, vendor_org, terms=terms)).json()

    assert "terms.calendar.country" in body["errors"]


# --------------------------------------------------------------------------
# SLA versions: freeze, amend, activate, in force, diff
# --------------------------------------------------------------------------


def test_editing_an_active_version_is_a_conflict(client_for, buyer, contract):
    response = patch(client_for(buyer), url(contract, "sla-versions/1/"), {"change_summary": "tweak"})

    body = assert_error(response, 409, "conflict")
    assert "amend" in body["detail"]
    assert body["state"] == "active"
    assert body["allowed"] == ["amend"]


def test_activating_an_active_version_is_a_conflict(client_for, buyer, staff, contract):
    # The buyer alone may not activate at all (both parties accept); staff's override meets the frozen version.
    assert_error(post(client_for(buyer), url(contract, "sla-versions/1/activate/")), 403, "permission_denied")
    body = assert_error(
        post(client_for(staff), url(contract, "sla-versions/1/activate/"), {"reason": "paper copy"}), 409, "conflict"
    )
    assert body["allowed"] == ["amend"]


def test_amend_while_a_draft_is_open_is_a_conflict(client_for, buyer, contract):
    client = client_for(buyer)
    assert post(client, url(contract, "sla-versions/amend/")).status_code == 201

    body = assert_error(post(client, url(contract, "sla-versions/amend/")), 409, "conflict")
    assert body["state"] == "draft" and body["allowed"] == ["edit"]


@pytest.mark.parametrize("effective_from", ["2024-12-31T00:00:00Z", "2025-01-01T00:00:00Z"])
def test_overlapping_versions_are_refused(client_for, buyer, contract, effective_from):
    client = client_for(buyer)
    post(client, url(contract, "sla-versions/amend/"))

    response = post(client, url(contract, "sla-versions/2/propose/"), {"effective_from": effective_from})

    body = assert_error(response, 400)
    assert body["errors"]["effective_from"] == ["Must be after 2025-01-01 00:00 UTC, when SLA v1 took effect."]
    v1, v2 = contract.sla_versions.order_by("number")
    assert v1.effective_to is None and v2.status == SLAVersion.Status.DRAFT


def test_proposed_date_needs_an_offset(client_for, buyer, contract):
    client = client_for(buyer)
    post(client, url(contract, "sla-versions/amend/"))

    body = assert_error(
        post(client, url(contract, "sla-versions/2/propose/"), {"effective_from": "2026-03-01T00:00"}), 400
    )

    assert "effective_from" in body["errors"]
    assert "UTC offset" in body["errors"]["effective_from"][0]


def test_amend_activate_and_ask_what_was_in_force(client_for, buyer, staff, contract):
    client = client_for(buyer)

    amended = post(client, url(contract, "sla-versions/amend/"), {"change_summary": "Faster restore for P1"})
    assert amended.status_code == 201, amended.content
    v2 = amended.json()
    assert (v2["number"], v2["status"], v2["based_on"], v2["change_summary"]) == (
        2,
        "draft",
        1,
        "Faster restore for P1",
    )
    assert v2["terms"] == contract.sla_versions.get(number=1).terms

    terms = v2["terms"]
    terms["targets"][0]["restore_minutes"] = 120
    edited = patch(client, url(contract, "sla-versions/2/"), {"terms": terms})
    assert edited.status_code == 200, edited.content

    # 00:00 in Paris on 1 March is 23:00 UTC on 28 February. A past date: staff's override records it
    # (the parties' acceptance never backdates; see test_version_consent).
    activated = post(
        client_for(staff),
        url(contract, "sla-versions/2/activate/"),
        {"effective_from": "2026-03-01T00:00:00+01:00", "reason": "Agreed on paper in February"},
    )
    assert activated.status_code == 200, activated.content
    assert activated.json()["status"] == "active"
    assert activated.json()["effective_from"] == "2026-02-28T23:00:00Z"

    v1 = client.get(url(contract, "sla-versions/1/")).json()
    assert v1["effective_to"] == "2026-02-28T23:00:00Z"

    def in_force(at: str) -> Any:
        return client.get(url(contract, "in-force/"), {"at": at})

    assert in_force("2025-06-01T12:00:00Z").json()["number"] == 1
    assert in_force("2026-02-28T22:59:59.999999Z").json()["number"] == 1
    assert in_force("2026-02-28T23:00:00Z").json()["number"] == 2
    assert in_force("2026-03-01T00:00:00+01:00").json()["number"] == 2
    assert in_force("2027-06-01T00:00:00Z").json()["number"] == 2
    assert client.get(url(contract, "in-force/")).json()["number"] == 2  # default: now (after the switch)
    assert client.get(url(contract)).json()["current_sla_version"] == 2

    before_start = assert_error(in_force("2024-12-31T23:59:59Z"), 404, "not_found")
    assert before_start["detail"] == "No SLA version of C-1 was in force at 2024-12-31T23:59:59+00:00."


def test_in_force_needs_an_aware_instant(client_for, buyer, contract):
    body = assert_error(client_for(buyer).get(url(contract, "in-force/"), {"at": "2025-06-01T12:00"}), 400)
    assert "at" in body["errors"]
    body = assert_error(client_for(buyer).get(url(contract, "in-force/"), {"at": "yesterday"}), 400)
    assert "at" in body["errors"]


def test_in_force_tolerates_an_unescaped_plus_in_the_offset(client_for, buyer, contract):
    response = client_for(buyer).get(url(contract, "in-force/") + "?at=2025-06-01T12:00:00+02:00")
    assert response.status_code == 200, response.content
    assert response.json()["number"] == 1


def test_post_to_the_collection_opens_a_draft_with_its_terms_atomically(client_for, buyer, contract):
    client = client_for(buyer)
    bad = preset_terms("enterprise-24x7")
    bad["credit_cap_percent"] = "101"

    assert_error(post(client, url(contract, "sla-versions/"), {"change_summary": "x", "terms": bad}), 400)
    assert contract.sla_versions.count() == 1  # no half-made draft
    assert not AuditEntry.objects.filter(contract_id=contract.pk, verb="sla_version.amended").exists()

    good = preset_terms("business-hours")
    response = post(client, url(contract, "sla-versions/"), {"change_summary": "Move to business hours", "terms": good})
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 2
    assert contract.sla_versions.get(number=2).terms == good


def test_diff_between_versions(client_for, buyer, contract):
    client = client_for(buyer)
    services.sla_version_amend(actor=buyer, contract=contract)
    v2 = contract.sla_versions.get(number=2)
    terms = v2.terms
    terms["targets"][0]["restore_minutes"] = 120
    terms["credit_cap_percent"] = "25"
    services.sla_version_update(actor=buyer, version=v2, terms=terms)

    response = client.get(url(contract, "sla-versions/diff/"), {"a": 1, "b": 2})

    assert response.status_code == 200, response.content
    rows = {row["path"]: row for row in response.json()}
    assert set(rows) == {"targets[critical, production].restore_minutes", "credit_cap_percent"}
    assert rows["credit_cap_percent"]["a"] == "30" and rows["credit_cap_percent"]["b"] == "25"
    restore = rows["targets[critical, production].restore_minutes"]
    assert (restore["a"], restore["b"]) == (240, 120)
    assert restore["label"] == "Severity matrix › Critical, production › Restore within"

    assert client.get(url(contract, "sla-versions/diff/"), {"a": 2, "b": 2}).json() == []


def test_diff_needs_two_existing_versions(client_for, buyer, contract):
    client = client_for(buyer)
    body = assert_error(client.get(url(contract, "sla-versions/diff/"), {"a": 1}), 400)
    assert "b" in body["errors"]
    body = assert_error(client.get(url(contract, "sla-versions/diff/"), {"a": 1, "b": 7}), 404, "not_found")
    assert body["detail"] == "C-1 has no SLA v7."


def test_version_list_and_unknown_number(client_for, buyer, contract):
    client = client_for(buyer)
    listing = client.get(url(contract, "sla-versions/")).json()
    assert [v["number"] for v in listing["results"]] == [1]
    assert listing["results"][0]["effective_from"] == "2025-01-01T00:00:00Z"
    assert_error(client.get(url(contract, "sla-versions/9/")), 404, "not_found")


# --------------------------------------------------------------------------
# Who may do what
# --------------------------------------------------------------------------


def test_vendor_reads_but_cannot_change(client_for, vendor, contract):
    client = client_for(vendor)
    assert client.get(url(contract)).status_code == 200
    assert client.get(url(contract, "sla-versions/1/")).status_code == 200

    body = assert_error(patch(client, url(contract), {"product": "Renamed"}), 403, "permission_denied")
    assert body["detail"] == "Only the buyer's contract managers may edit the contract."
    assert_error(post(client, url(contract, "sla-versions/amend/")), 403, "permission_denied")
    contract.refresh_from_db()
    assert contract.product == "Ledger Cloud"


def test_vendor_cannot_edit_a_draft_version(client_for, vendor, buyer, contract):
    services.sla_version_amend(actor=buyer, contract=contract)
    body = assert_error(patch(client_for(vendor), url(contract, "sla-versions/2/"), {"change_summary": "x"}), 403)
    assert body["detail"].startswith("Only the buyer's side edits draft SLA v2")
    assert_error(post(client_for(vendor), url(contract, "sla-versions/2/activate/")), 403, "permission_denied")


def test_board_member_may_amend_but_not_edit_the_contract(client_for, board_member, contract):
    client = client_for(board_member)
    assert client.get(url(contract)).status_code == 200
    assert_error(patch(client, url(contract), {"product": "x"}), 403, "permission_denied")
    assert post(client, url(contract, "sla-versions/amend/")).status_code == 201


def test_vendor_does_not_see_another_vendors_contract(client_for, vendor, foreign_contract):
    client = client_for(vendor)
    assert_error(client.get(url(foreign_contract)), 404, "not_found")
    assert_error(patch(client, url(foreign_contract), {"product": "x"}), 404)


NESTED_ROUTES = [
    ("get", "sla-versions/"),
    ("post", "sla-versions/"),
    ("get", "sla-versions/1/"),
    ("patch", "sla-versions/1/"),
    ("post", "sla-versions/1/activate/"),
    ("post", "sla-versions/amend/"),
    ("get", "sla-versions/diff/?a=1&b=1"),
    ("get", "in-force/"),
    ("get", "audit/"),
    ("get", "audit/?format=csv"),
    ("get", "audit/export/"),
    ("get", "board/"),
    ("post", "board/"),
    ("delete", "board/1/"),
    ("get", "contacts/"),
    ("post", "contacts/"),
    ("get", "documents/"),
    ("post", "documents/"),
    ("get", "documents/1/"),
    ("get", "documents/1/download/"),
]


@pytest.mark.parametrize(("method", "rest"), [("get", ""), ("patch", ""), *NESTED_ROUTES])
def test_outsider_gets_404_on_every_route(client_for, outsider, contract, method, rest):
    client = client_for(outsider)
    kwargs = {"content_type": "application/json"} if method in ("post", "patch") else {}
    response = getattr(client, method)(url(contract, rest), **kwargs)

    body = assert_error(response, 404, "not_found")
    assert response["Content-Type"].startswith("application/json")
    assert contract.reference not in body["detail"]


@pytest.mark.parametrize(("method", "rest"), NESTED_ROUTES)
def test_unknown_contract_is_404_on_every_route(client_for, staff, method, rest):
    response = getattr(client_for(staff), method)(url(999_999, rest))
    assert_error(response, 404, "not_found")


# --------------------------------------------------------------------------
# Listing, filtering, ordering, query counts
# --------------------------------------------------------------------------


def _make(buyer_org, vendor_org, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        make_contract(
            buyer=buyer_org, vendor=vendor_org, reference=f"C-L{i:02d}", term_end=date(2027, 1, 1) + timedelta(days=i)
        )


def test_contract_list_query_count_is_constant(client_for, buyer, buyer_org, vendor_org, django_assert_num_queries):
    _make(buyer_org, vendor_org, 1)
    client = client_for(buyer)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/api/contracts/").json()["count"] == 1

    _make(buyer_org, vendor_org, 6, start=1)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/api/contracts/")
    assert response.json()["count"] == 7
    assert all(row["current_sla_version"] == 1 for row in response.json()["results"])


@pytest.mark.parametrize("rest", ["sla-versions/", "audit/", "board/", "contacts/", "documents/"])
def test_nested_list_query_count_is_constant(client_for, buyer, staff, contract, rest, django_assert_num_queries):
    def grow(times: int) -> None:
        for _ in range(times):
            person = UserFactory()
            n = person.pk
            services.board_seat_add(actor=buyer, contract=contract, user=person)
            services.contact_add(
                actor=buyer, contract=contract, side="buyer", role="billing", name=f"Bill {n}", email=f"b{n}@x.test"
            )
            services.document_upload(
                actor=buyer, contract=contract, title=f"Doc {n}", file=SimpleUploadedFile(f"d{n}.pdf", PDF)
            )
            version = services.sla_version_amend(actor=buyer, contract=contract)
            services.sla_version_activate(actor=buyer, version=version)

    client = client_for(buyer)
    grow(1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url(contract, rest)).status_code == 200
    grow(3)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url(contract, rest))
    assert response.json()["count"] >= 4


def test_contract_filters_and_ordering(client_for, buyer, buyer_org, vendor_org, other_vendor_org):
    soon = timezone.localdate() + timedelta(days=100)  # notice deadline in 10 days with 90 days' notice
    make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-SOON", product="Risk Engine", term_end=soon)
    make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-LATER", term_end=date(2030, 1, 1))
    make_contract(buyer=buyer_org, vendor=other_vendor_org, reference="C-GLOBEX", activate=False)
    client = client_for(buyer)

    def refs(**params: Any) -> list[str]:
        response = client.get("/api/contracts/", params)
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert refs() == ["C-GLOBEX", "C-LATER", "C-SOON"]
    assert refs(vendor=other_vendor_org.pk) == ["C-GLOBEX"]
    assert refs(buyer=buyer_org.pk, status="draft") == ["C-GLOBEX"]
    assert refs(status="active") == ["C-LATER", "C-SOON"]
    assert refs(renewal_within=30) == ["C-SOON"]
    assert refs(search="risk") == ["C-SOON"]
    assert refs(search="globex") == ["C-GLOBEX"]
    assert refs(ordering="-term_end") == ["C-LATER", "C-GLOBEX", "C-SOON"]
    assert refs(ordering="notice_deadline")[0] == "C-SOON"

    assert_error(client.get("/api/contracts/", {"renewal_within": "soon"}), 400)
    assert_error(client.get("/api/contracts/", {"status": "bogus"}), 400)


# --------------------------------------------------------------------------
# Audit trail
# --------------------------------------------------------------------------


def test_audit_is_paginated_and_filterable(client_for, vendor, buyer, contract):
    services.contract_update(actor=buyer, contract=contract, product="Ledger Cloud 2")
    client = client_for(vendor)

    page = client.get(url(contract, "audit/"), {"page_size": 2}).json()
    verbs = [
        "contract.created",
        "sla_version.created",
        "contract.vendor_accepted",  # the factory's vendor consents (issue: vendor acceptance)
        "sla_version.activated",
        "contract.activated",
        "resource.added",  # the onboarding plan starts on activation (issue 9)
        "onboarding.plan_created",
    ]
    assert page["count"] == len(verbs) + 1
    assert len(page["results"]) == 2 and page["next"]
    assert page["results"][0]["verb"] == "contract.updated"  # newest first

    filtered = client.get(url(contract, "audit/"), {"verb": "sla_version."}).json()
    assert sorted(e["verb"] for e in filtered["results"]) == ["sla_version.activated", "sla_version.created"]
    assert client.get(url(contract, "audit/"), {"actor": "buyer"}).json()["count"] == 1


def test_audit_csv_export(client_for, buyer, contract, foreign_contract):
    client = client_for(buyer)
    for path in (url(contract, "audit/?format=csv"), url(contract, "audit/export/")):
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == 'attachment; filename="C-1-audit.csv"'
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:3] == ["seq", "at", "actor"]
        assert {row[4] for row in rows[1:]} == {str(contract.pk)}  # only this contract's entries
        assert [row[5] for row in rows[1:]][:2] == ["contract.created", "sla_version.created"]  # oldest first

    filtered = client.get(url(contract, "audit/export/"), {"verb": "contract."})
    rows = list(csv.reader(io.StringIO(b"".join(filtered.streaming_content).decode())))
    assert [row[5] for row in rows[1:]] == ["contract.created", "contract.vendor_accepted", "contract.activated"]


def test_audit_csv_errors_stay_json(client_for, buyer, contract):
    response = client_for(buyer).get(url(contract, "audit/"), {"format": "csv", "since": "last tuesday"})

    body = assert_error(response, 400, "invalid")
    assert response["Content-Type"].startswith("application/json")
    assert "since" in body["errors"]


# --------------------------------------------------------------------------
# Board, contacts, documents
# --------------------------------------------------------------------------


def test_board_seats(client_for, buyer, vendor, contract):
    person = UserFactory(username="chair", first_name="Ada", last_name="Chair")
    client = client_for(buyer)

    response = post(client, url(contract, "board/"), {"user": person.pk, "is_chair": True})
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "chair" and response.json()["is_chair"] is True

    listing = client_for(vendor).get(url(contract, "board/")).json()
    assert [(s["username"], s["name"], s["is_chair"]) for s in listing["results"]] == [("chair", "Ada Chair", True)]
    assert client_for(person).get(url(contract)).status_code == 200  # the seat grants sight

    assert_error(post(client_for(vendor), url(contract, "board/"), {"user": vendor.pk}), 403, "permission_denied")
    assert_error(post(client, url(contract, "board/"), {"user": 999_999}), 400)

    seat_id = response.json()["id"]
    assert_error(client_for(vendor).delete(url(contract, f"board/{seat_id}/")), 403)
    assert client.delete(url(contract, f"board/{seat_id}/")).status_code == 204
    assert_error(client_for(person).get(url(contract)), 404)


def test_contacts(client_for, buyer, vendor, vendor_engineer, contract):
    data = {"side": "vendor", "role": "incident_manager", "name": "Ina", "email": "ina@acme.test"}
    response = post(client_for(vendor), url(contract, "contacts/"), data)
    assert response.status_code == 201, response.content

    buyer_side = {**data, "side": "buyer", "email": "ina@northwind.test"}
    body = assert_error(post(client_for(vendor), url(contract, "contacts/"), buyer_side), 400)
    assert body["errors"] == {"side": ["Must be 'vendor' for you."]}
    assert post(client_for(buyer), url(contract, "contacts/"), buyer_side).status_code == 201

    assert_error(post(client_for(vendor_engineer), url(contract, "contacts/"), data), 403)
    assert_error(post(client_for(buyer), url(contract, "contacts/"), {**data, "role": "chief"}), 400)
    duplicate = assert_error(post(client_for(buyer), url(contract, "contacts/"), data), 400)
    assert duplicate["errors"]

    listing = client_for(vendor_engineer).get(url(contract, "contacts/")).json()
    assert [(c["side"], c["email"]) for c in listing["results"]] == [
        ("buyer", "ina@northwind.test"),
        ("vendor", "ina@acme.test"),
    ]


def test_document_upload_and_download(client_for, buyer, vendor_engineer, contract):
    client = client_for(buyer)
    upload = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")

    response = client.post(url(contract, "documents/"), {"title": "Signed contract", "file": upload})

    assert response.status_code == 201, response.content
    doc = response.json()
    assert (doc["title"], doc["size"], doc["uploaded_by"]) == ("Signed contract", len(PDF), "buyer")
    assert doc["download_url"].endswith(url(contract, f"documents/{doc['id']}/download/"))

    reader = client_for(vendor_engineer)
    assert reader.get(url(contract, "documents/")).json()["count"] == 1
    download = reader.get(url(contract, f"documents/{doc['id']}/download/"), HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("notes.exe", b"MZ....", "Allowed types: .jpeg, .jpg, .pdf, .png."),
        ("fake.pdf", b"\x89PNG\r\n\x1a\n....", "This is not a valid .pdf file."),
    ],
)
def test_document_upload_is_checked(client_for, buyer, contract, name, content, rule):
    response = client_for(buyer).post(url(contract, "documents/"), {"file": SimpleUploadedFile(name, content)})
    body = assert_error(response, 400)
    assert body["errors"]["file"] == [rule]


def test_document_upload_size_limit(client_for, buyer, contract, settings):
    settings.COVENANT_MAX_DOCUMENT_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))
    body = assert_error(client_for(buyer).post(url(contract, "documents/"), {"file": big}), 400)
    assert body["errors"]["file"] == ["At most 1 MB."]


def test_document_upload_needs_a_manager(client_for, vendor_engineer, contract):
    upload = SimpleUploadedFile("a.pdf", PDF)
    body = assert_error(client_for(vendor_engineer).post(url(contract, "documents/"), {"file": upload}), 403)
    assert body["detail"] == "Only the parties' managers may upload documents."


def test_document_upload_is_multipart(client_for, buyer, contract):
    response = post(client_for(buyer), url(contract, "documents/"), {"title": "x"})
    assert_error(response, 415)


def test_schema_documents_terms_with_the_json_schema(client_for, staff):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    terms = schema["components"]["schemas"]["SLATerms"]
    assert set(terms["required"]) >= {"calendar", "targets", "credit_tiers"}
    assert terms["properties"]["calendar"]["properties"]["country"] == {"type": "string", "nullable": True}
    version = schema["components"]["schemas"]["SLAVersion"]["properties"]["terms"]
    assert "SLATerms" in str(version)
    assert "/api/contracts/{contract_pk}/in-force/" in schema["paths"]
