"""The playbook and the RACI table as part of the SLA terms: optional keys,
validated with field paths, edited in the terms editor, diffed, exported in the
schedule PDF, and the RACI table checked against the contract's people."""

from __future__ import annotations

import copy
import io

import pytest
from pypdf import PdfReader

from contracts import services
from contracts.diffing import diff_terms, label_for
from contracts.forms import TermsForm
from contracts.onboarding.selectors import people_of, playbook_steps, raci_table
from contracts.pdf import render_schedule_pdf
from contracts.presets import PRESETS, preset_terms
from contracts.terms import Terms, TermsError, raci_flags, validate_terms
from core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def errors_of(terms) -> dict[str, list[str]]:
    with pytest.raises(TermsError) as exc:
        validate_terms(terms)
    return exc.value.errors


@pytest.mark.parametrize("key", list(PRESETS))
def test_presets_carry_a_valid_playbook_and_raci(key):
    terms = preset_terms(key)
    validate_terms(terms)
    parsed = Terms(terms)
    assert {s["severity"] for s in parsed.playbook()} == {"critical", "high", "medium", "low"}
    assert [s["order"] for s in parsed.playbook("critical")] == [1, 2, 3, 4, 5, 6, 7]
    assert all(not raci_flags(row) for row in parsed.raci)


def test_documents_without_the_new_keys_stay_valid():
    terms = preset_terms("enterprise-24x7")
    del terms["playbook"], terms["raci"]
    validate_terms(terms)
    assert Terms(terms).playbook() == [] and Terms(terms).raci == []


def test_a_step_without_a_role_is_refused_with_the_field_path():
    terms = preset_terms("enterprise-24x7")
    del terms["playbook"][2]["role"]
    errors = errors_of(terms)
    assert list(errors) == ["playbook[2].role"]
    assert "needs a role" in errors["playbook[2].role"][0]


def test_a_draft_with_a_roleless_step_is_refused_by_the_service(contract, buyer):
    draft = services.sla_version_amend(actor=buyer, contract=contract)
    terms = copy.deepcopy(draft.terms)
    terms["playbook"][0].pop("role")
    with pytest.raises(InvalidInput) as exc:
        services.sla_version_update(actor=buyer, version=draft, terms=terms)
    assert "terms.playbook[0].role" in exc.value.errors


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s.update(role="support_engineer", party="buyer"), "playbook[0].role"),
        (lambda s: s.update(trigger="share_elapsed", value=None, target="restore"), "playbook[0].value"),
        (lambda s: s.update(trigger="share_elapsed", value=50, target=None), "playbook[0].target"),
        (lambda s: s.update(trigger="on_breach", target=None), "playbook[0].target"),
        (lambda s: s.update(value=30), "playbook[0].value"),
        (lambda s: s.update(order=2), "playbook[1].order"),  # the second "step 2" of critical is refused
        (lambda s: s.update(action=""), "playbook[0].action"),
        (lambda s: s.update(trigger="whenever"), "playbook[0].trigger"),
    ],
)
def test_playbook_rules_name_the_field(change, path):
    terms = preset_terms("enterprise-24x7")
    change(terms["playbook"][0])
    assert path in errors_of(terms)


def test_raci_rules_name_the_field():
    terms = preset_terms("enterprise-24x7")
    terms["raci"][1]["activity"] = terms["raci"][0]["activity"].upper()
    terms["raci"][2]["role_vendor"] = "operations"  # a buyer role
    assert set(errors_of(terms)) == {"raci[1].activity", "raci[2].role_vendor"}
    terms = preset_terms("enterprise-24x7")
    terms["raci"][3]["buyer"] = "X"
    assert set(errors_of(terms)) == {"raci[3].buyer"}


def test_raci_flags_an_activity_with_nobody_accountable_or_two():
    assert raci_flags({"activity": "x", "buyer": "R", "vendor": "C"}) == ["Nobody is accountable."]
    assert "Both parties" in raci_flags({"activity": "x", "buyer": "A", "vendor": "A"})[0]
    assert raci_flags({"activity": "x", "buyer": "A", "vendor": "I"}) == []


def test_the_raci_table_is_checked_against_the_contracts_people(contract, buyer, buyer_ops, vendor, staff):
    terms = preset_terms("enterprise-24x7")
    terms["raci"].append({"activity": "Approve changes", "buyer": "R", "vendor": "C"})
    rows = {r["activity"]: r for r in raci_table(terms, people_of(contract))}
    assert rows["Approve changes"]["flags"] == ["Nobody is accountable."]
    # Nobody at the vendor is a support engineer (no such fixture requested): accountable role held by nobody.
    assert rows["Acknowledge incidents"]["flags"] == [
        "Nobody accountable: no one on the vendor side is a support engineer."
    ]
    assert not rows["Raise incidents"]["flags"]
    assert [p.name for p in rows["Raise incidents"]["cells"][0]["people"]] == [str(buyer_ops)]
    # A contact in the role counts.
    services.contact_add(
        actor=staff,
        contract=contract,
        side="vendor",
        role="escalation_contact",
        name="Eve Escalation",
        email="e@x.test",
    )
    rows = {r["activity"]: r for r in raci_table(terms, people_of(contract))}
    assert [p.name for p in rows["Escalate to management"]["cells"][1]["people"]] == ["Eve Escalation"]


def test_the_page_and_the_api_flag_a_missing_accountable(client_for, contract, buyer):
    html = client_for(buyer).get(f"/contracts/{contract.pk}/routine/").content.decode()
    assert "Nobody accountable: no one on the vendor side is a support engineer." in html
    body = client_for(buyer).get(f"/api/contracts/{contract.pk}/raci/").json()
    assert body["sla_version"] == 1 and body["flagged"] >= 1
    flagged = [r for r in body["rows"] if r["flagged"]]
    assert {r["activity"] for r in flagged} >= {"Acknowledge incidents"}


def test_the_api_reads_the_playbook_per_severity(client_for, contract, buyer_ops, vendor_engineer):
    body = client_for(vendor_engineer).get(f"/api/contracts/{contract.pk}/playbook/?severity=critical").json()
    assert [s["order"] for s in body["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    step2 = body["steps"][1]
    assert step2["party"] == "vendor" and step2["role"] == "support_engineer"
    assert [p["name"] for p in step2["people"]] == [str(vendor_engineer)]
    assert step2["when"] == "when the incident is opened"
    assert client_for(vendor_engineer).get(f"/api/contracts/{contract.pk}/playbook/?severity=urgent").status_code == 400


def test_playbook_steps_resolve_roles_to_people(contract, buyer_ops, vendor_engineer, staff):
    services.contact_add(
        actor=staff,
        contract=contract,
        side="vendor",
        role="escalation_contact",
        name="Eve Escalation",
        email="e@x.test",
    )
    steps = {s["order"]: s for s in playbook_steps(contract.sla_versions.get().terms, people_of(contract), "critical")}
    assert [p.name for p in steps[5]["people"]] == ["Eve Escalation"]
    assert steps[5]["when"] == "at 50 % of the restore target"
    assert steps[7]["people"] == []  # no vendor executive sponsor named


def test_diff_labels_name_steps_and_activities():
    a = preset_terms("enterprise-24x7")
    b = copy.deepcopy(a)
    b["playbook"][4]["value"] = 60
    b["raci"][0]["vendor"] = "C"
    labels = [label_for(path) for path, _old, _new in diff_terms(a, b)]
    assert labels == [
        "Incident playbook › Critical step 5 › Value",
        "Roles and responsibilities › Raise incidents › Vendor",
    ]
    # An activity whose text would break a path is compared by position.
    b["raci"][0]["activity"] = "Raise incidents (24x7, incl. weekends)."
    assert any(path.startswith("raci[0]") for path, _o, _n in diff_terms(a, b))


def test_the_playbook_is_versioned_with_the_sla(contract, buyer):
    v1 = contract.sla_versions.get(number=1)
    draft = services.sla_version_amend(actor=buyer, contract=contract)
    terms = copy.deepcopy(draft.terms)
    terms["playbook"][0]["action"] = "Call the vendor's hotline first."
    services.sla_version_update(actor=buyer, version=draft, terms=terms)
    v1.refresh_from_db()
    assert v1.terms["playbook"][0]["action"] != "Call the vendor's hotline first."


def test_the_playbook_appears_in_the_sla_schedule_pdf(contract):
    data = render_schedule_pdf(contract.sla_versions.get(number=1))
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())
    assert "Incident-response playbook" in text
    assert "Acknowledge the incident in Covenant and join the bridge call." in text
    assert "At 50 % of the restore target" in text
    assert "Roles and responsibilities" in text and "Approve workarounds" in text


def test_the_schedule_on_the_contract_page_shows_the_playbook(client_for, contract, buyer):
    html = client_for(buyer).get(f"/contracts/{contract.pk}/").content.decode()
    assert "12.</span> Incident-response playbook" in html and "13.</span> Roles and responsibilities" in html


# -- the terms editor ------------------------------------------------------------------------------


def _post_data(form: TermsForm) -> dict[str, str]:
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def test_the_editor_round_trips_the_playbook_and_raci(contract):
    terms = preset_terms("enterprise-24x7")
    form = TermsForm(_post_data(TermsForm(terms=terms)), terms=terms)
    assert form.is_valid(), form.errors
    built = form.build_terms()
    assert diff_terms(terms, built) == []


def test_the_editor_puts_a_missing_role_on_the_role_input(contract):
    terms = preset_terms("enterprise-24x7")
    data = _post_data(TermsForm(terms=terms))
    data["play_0_role"] = ""
    form = TermsForm(data, terms=terms)
    assert form.is_valid(), form.errors
    with pytest.raises(TermsError) as exc:
        validate_terms(form.build_terms())
    form.apply_errors({f"terms.{k}": v for k, v in exc.value.errors.items()})
    assert "play_0_role" in form.errors


def test_the_editor_keeps_a_document_without_the_keys_without_them():
    terms = preset_terms("business-hours")
    del terms["playbook"], terms["raci"]
    form = TermsForm(_post_data(TermsForm(terms=terms)), terms=terms)
    assert form.is_valid(), form.errors
    built = form.build_terms()
    assert "playbook" not in built and "raci" not in built


def test_the_editor_page_has_the_new_sections(client_for, contract, buyer):
    draft = services.sla_version_amend(actor=buyer, contract=contract)
    html = client_for(buyer).get(f"/contracts/{contract.pk}/versions/{draft.number}/edit/").content.decode()
    assert 'id="s-playbook"' in html and 'id="s-raci"' in html and 'name="play_0_role"' in html


def test_the_editor_sets_and_keeps_how_unmeasured_time_counts():
    terms = preset_terms("business-hours")
    data = _post_data(TermsForm(terms=terms))
    data["up_unmeasured"] = "unavailable"
    data["up_min_coverage"] = "95"
    form = TermsForm(data, terms=terms)
    assert form.is_valid(), form.errors
    built = form.build_terms()
    validate_terms(built)
    assert built["uptime"]["unmeasured"] == "unavailable"
    assert built["uptime"]["minimum_coverage_percent"] == "95"

    again = TermsForm(_post_data(TermsForm(terms=built)), terms=built)  # an unchanged save keeps them
    assert again.is_valid(), again.errors
    assert diff_terms(built, again.build_terms()) == []

    data["up_min_coverage"] = "101"
    form = TermsForm(data, terms=terms)
    assert form.is_valid(), form.errors
    with pytest.raises(TermsError) as exc:
        validate_terms(form.build_terms())
    form.apply_errors({f"terms.{k}": v for k, v in exc.value.errors.items()})
    assert "up_min_coverage" in form.errors


def test_the_schedule_states_how_unmeasured_time_counts(contract):
    version = contract.sla_versions.get(number=1)
    version.terms["uptime"]["unmeasured"] = "unavailable"
    version.terms["uptime"]["minimum_coverage_percent"] = "95"
    data = render_schedule_pdf(version)  # rendered from the in-memory terms; nothing is saved
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())
    assert "Time without monitoring data counts as unavailable." in text
    assert "less than 95 % of its time is reported as not measured" in text
    assert "truncated to three decimals" in text
