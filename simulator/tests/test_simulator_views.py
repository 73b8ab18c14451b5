"""Simulator pages, API and command: both parties simulate on the contracts
they see (a stranger gets 404), nothing is written by a run, a scenario is
saved, exported as a PDF (read back with pypdf) and attached to an
amendment; the portfolio view is the buyer's."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from audit.models import AuditEntry
from contracts.tests.factories import make_contract
from incidents.models import Incident
from reports.models import Credit, ServiceReport
from reports.tests.factories import add_incident, add_outage, at, downtime_for
from reviews.tests.factories import open_review, propose, seat_board
from simulator import services as simulations
from simulator.models import Scenario

STRICTER = {
    "label": "Critical acknowledge in 5 minutes",
    "changes": {"targets": [{"severity": "critical", "environment": "production", "acknowledge_minutes": 5}]},
}


@pytest.fixture
def history(contract, clock):
    """October 2026: 99.5 % and three critical incidents acknowledged after 4, 9 and 14 minutes."""
    add_outage(contract, start=at(10), minutes=downtime_for("99.5"))
    return [add_incident(contract, opened_at=at(day, 9), ack_after=ack) for day, ack in ((5, 4), (12, 9), (20, 14))]


def form_data(contract, client, **extra):
    """The page's own initial values, as a browser would post them."""
    page = client.get(f"/simulator/contract/{contract.pk}/")
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(extra)
    return data


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_both_parties_simulate_and_a_stranger_gets_404(contract, history, buyer, vendor, outsider, client_for):
    for person in (buyer, vendor):
        client = client_for(person)
        assert client.get("/simulator/").status_code == 200
        page = client.get(f"/simulator/contract/{contract.pk}/")
        assert page.status_code == 200 and b"Simulate C-1" in page.content
    stranger = client_for(outsider)
    assert stranger.get(f"/simulator/contract/{contract.pk}/").status_code == 404
    assert stranger.post(f"/simulator/contract/{contract.pk}/", {"action": "run"}).status_code == 404
    assert contract.reference.encode() not in stranger.get("/simulator/").content
    body = {"contract": contract.pk, "candidates": [STRICTER]}
    assert stranger.post("/api/simulations/", body, content_type="application/json").status_code == 404


def test_running_a_stricter_candidate_shows_the_changed_incidents_and_writes_nothing(
    contract, history, buyer, client_for
):
    client = client_for(buyer)
    data = form_data(contract, client, t_critical_production_acknowledge="5", edit_label="Ack in 5", action="run")
    counts = [m.objects.count() for m in (Incident, ServiceReport, Credit, Scenario, AuditEntry)]
    page = client.post(f"/simulator/contract/{contract.pk}/", data)
    assert page.status_code == 200, page.context["form"].errors
    assert [m.objects.count() for m in (Incident, ServiceReport, Credit, Scenario, AuditEntry)] == counts
    results = page.context["results"]
    cand = results["term_sets"][1]
    assert cand["label"] == "Ack in 5" and cand["totals"]["missed"]["acknowledge"] == 2
    assert results["term_sets"][0]["totals"]["missed"]["acknowledge"] == 0
    html = page.content.decode()
    assert "Incidents whose outcome changes under “Ack in 5”" in html
    assert f"INC-{history[1].pk}" in html and f"INC-{history[2].pk}" in html
    assert "now breached" in html
    # The edit records only what changed.
    assert cand["changes"]["total"] == 2
    sent = page.context["form"].inputs()["candidates"][-1]["changes"]
    assert sent == {"targets": [{"severity": "critical", "environment": "production", "acknowledge_minutes": 5}]}


def test_invalid_edits_come_back_on_their_fields(contract, history, buyer, client_for):
    client = client_for(buyer)
    data = form_data(contract, client, t_critical_production_acknowledge="500", action="run")
    page = client.post(f"/simulator/contract/{contract.pk}/", data)
    assert page.status_code == 400
    assert "acknowledge <= restore <= resolve" in " ".join(
        page.context["form"].errors.get("t_critical_production_restore", [])
    )


def test_a_sweep_is_drawn_on_the_page(contract, history, buyer, client_for):
    client = client_for(buyer)
    data = form_data(
        contract,
        client,
        sens_parameter="target:critical:production:acknowledge",
        sens_from="2",
        sens_to="16",
        sens_steps="8",
        action="run",
    )
    page = client.post(f"/simulator/contract/{contract.pk}/", data)
    assert page.status_code == 200
    sweep = page.context["results"]["sensitivity"]
    assert [p["measure"] for p in sweep["points"]][0] == 3 and sweep["points"][-1]["measure"] == 0
    assert b"<svg" in page.content and b"Sensitivity" in page.content


def test_save_export_and_attach_a_scenario(contract, history, buyer, vendor, staff, client_for):
    seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract)
    amendment = propose(review, buyer)
    client = client_for(buyer)
    data = form_data(
        contract,
        client,
        t_critical_production_acknowledge="5",
        edit_label="Ack in 5",
        scenario_name="Tighter ack",
        action="save",
    )
    response = client.post(f"/simulator/contract/{contract.pk}/", data)
    scenario = Scenario.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/simulator/scenarios/{scenario.pk}/"
    assert (scenario.name, scenario.side, scenario.contract_id) == ("Tighter ack", "buyer", contract.pk)
    assert AuditEntry.objects.filter(verb="scenario.saved", object_id=str(scenario.pk)).exists()
    page = client.get(f"/simulator/scenarios/{scenario.pk}/")
    assert page.status_code == 200 and b"Attach as evidence" in page.content
    # The vendor does not see the buyer's position ... yet.
    assert client_for(vendor).get(f"/simulator/scenarios/{scenario.pk}/").status_code == 404
    pdf = client.get(f"/simulator/scenarios/{scenario.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for expected in ("Tighter ack", "C-1", "Ack in 5", "Credits after the cap", "EUR 500.00", f"INC-{history[2].pk}"):
        assert expected in text, expected
    response = client.post(f"/simulator/scenarios/{scenario.pk}/attach/", {"amendment": amendment.pk})
    assert response.status_code == 302
    scenario.refresh_from_db()
    amendment.refresh_from_db()
    assert scenario.amendment_id == amendment.pk
    assert any(f"scenario #{scenario.pk}" in ref for ref in amendment.evidence)
    # Attached as evidence: everyone who sees the contract sees it now.
    assert client_for(vendor).get(f"/simulator/scenarios/{scenario.pk}/").status_code == 200
    assert client.delete(f"/api/scenarios/{scenario.pk}/").status_code == 409  # evidence stays


def test_attaching_through_the_api_needs_the_amendment_role(
    contract, history, buyer, buyer_viewer, vendor, staff, client_for
):
    seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    amendment = propose(open_review(contract), buyer)
    body = {"name": "Viewer's look", "contract": contract.pk, "candidates": [STRICTER]}
    viewer = client_for(buyer_viewer)
    pk = viewer.post("/api/scenarios/", body, content_type="application/json").json()["id"]
    refused = viewer.post(f"/api/scenarios/{pk}/attach/", {"amendment": amendment.pk}, content_type="application/json")
    assert refused.status_code == 403
    assert (
        viewer.post(f"/api/scenarios/{pk}/attach/", {"amendment": 999}, content_type="application/json").status_code
        == 404
    )
    manager = client_for(buyer)  # same side: sees the viewer's scenario
    done = manager.post(f"/api/scenarios/{pk}/attach/", {"amendment": amendment.pk}, content_type="application/json")
    assert done.status_code == 200 and done.json()["amendment"] == amendment.pk
    amendment.refresh_from_db()
    assert any(f"scenario #{pk}" in ref for ref in amendment.evidence)


def test_the_api_runs_saves_and_serves_scenarios(contract, history, buyer, vendor, outsider, client_for):
    client = client_for(vendor)
    body = {"contract": contract.pk, "window": {"periods": 3}, "candidates": [STRICTER]}
    before = (Scenario.objects.count(), AuditEntry.objects.count())
    run = client.post("/api/simulations/", body, content_type="application/json")
    assert run.status_code == 200
    data = run.json()
    assert [ts["key"] for ts in data["term_sets"]] == ["in_force", "c1"]
    assert data["window"]["first"] == "2026-08" and data["window"]["last"] == "2026-10"
    assert data["term_sets"][1]["changes"]["newly_breached"] == 2
    assert (Scenario.objects.count(), AuditEntry.objects.count()) == before
    bad = client.post(
        "/api/simulations/",
        {"contract": contract.pk, "candidates": [{"changes": {"uptime_target": "101"}}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "candidates[0].uptime.target_percent" in bad.json()["errors"]
    created = client.post("/api/scenarios/", {**body, "name": "Vendor view"}, content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert (
        created.json()["side"] == "vendor" and created.json()["results"]["term_sets"][1]["label"] == STRICTER["label"]
    )
    assert [s["id"] for s in client.get("/api/scenarios/").json()["results"]] == [pk]
    assert client.get(f"/api/scenarios/{pk}/").json()["inputs"]["candidates"][0]["label"] == STRICTER["label"]
    pdf = client.get(f"/api/scenarios/{pk}/pdf/")
    assert pdf.status_code == 200 and "Vendor view" in pdf_text(pdf.content)
    assert client_for(buyer).get(f"/api/scenarios/{pk}/").status_code == 404  # the vendor's position
    assert client_for(outsider).get(f"/api/scenarios/{pk}/pdf/").status_code == 404
    assert client_for(buyer).delete(f"/api/scenarios/{pk}/").status_code == 404
    assert client.delete(f"/api/scenarios/{pk}/").status_code == 204


def test_the_portfolio_is_the_buyers(contract, history, buyer, vendor, other_vendor_org, buyer_org, client_for):
    other = make_contract(buyer=buyer_org, vendor=other_vendor_org, reference="C-2", preset="business-hours")
    add_incident(other, opened_at=at(14, 10), ack_after=50)
    assert client_for(vendor).get("/simulator/portfolio/").status_code == 403
    client = client_for(buyer)
    page = client.get("/simulator/portfolio/")
    assert page.status_code == 200
    response = client.post(
        "/simulator/portfolio/",
        {
            "contracts": [str(contract.pk), str(other.pk)],
            "source": "own",
            "critical_ack": "5",
            "periods": "3",
            "action": "run",
        },
    )
    assert response.status_code == 200
    results = response.context["results"]
    assert [r["contract"]["reference"] for r in results["rows"]] == ["C-1", "C-2"]
    c1 = results["rows"][0]
    assert (c1["in_force"]["breaches"], c1["candidate"]["breaches"]) == (0, 2)
    assert {v["vendor"] for v in results["vendors"]} == {"Acme Cloud", "Globex Software"}
    api = client.post(
        "/api/simulations/portfolio/",
        {"vendor": contract.vendor_id, "candidate": {"preset": "business-hours"}, "periods": 2},
        content_type="application/json",
    )
    assert api.status_code == 200 and [r["contract"]["reference"] for r in api.json()["rows"]] == ["C-1"]
    refused = client_for(vendor).post("/api/simulations/portfolio/", {"candidate": {}}, content_type="application/json")
    assert refused.status_code == 403
    saved = client.post(
        "/api/scenarios/",
        {
            "name": "Two vendors",
            "portfolio": {"contracts": [contract.pk, other.pk], "candidate": STRICTER, "periods": 2},
        },
        content_type="application/json",
    )
    assert saved.status_code == 201 and saved.json()["kind"] == "portfolio"
    assert len(saved.json()["results"]["rows"]) == 2
    assert client.get(f"/simulator/scenarios/{saved.json()['id']}/").status_code == 200
    assert client_for(vendor).get(f"/api/scenarios/{saved.json()['id']}/").status_code == 404


def test_the_scenario_lists_run_a_constant_number_of_queries(contract, history, buyer, client_for, count_queries):
    client = client_for(buyer)
    results = simulations.run(contract=contract, inputs={"window": {"periods": 2}, "candidates": [STRICTER]})

    def save(n):
        for i in range(n):
            simulations.scenario_save(actor=buyer, name=f"S{i}", inputs={}, results=results, contract=contract)

    save(2)
    small = (
        count_queries(lambda: client.get("/simulator/scenarios/")),
        count_queries(lambda: client.get("/api/scenarios/")),
    )
    save(8)
    large = (
        count_queries(lambda: client.get("/simulator/scenarios/")),
        count_queries(lambda: client.get("/api/scenarios/")),
    )
    assert small == large
    assert len(client.get("/api/scenarios/").json()["results"]) == 10


def test_the_command_prints_the_comparison(contract, history, tmp_path, capsys):
    path = tmp_path / "candidate.json"
    path.write_text(json.dumps(STRICTER))
    call_command("simulate_sla", "--contract", "C-1", "--terms", str(path), "--window", "2")
    out = capsys.readouterr().out
    assert "C-1: 2026-09 to 2026-10" in out
    assert "Acknowledge targets missed" in out and "Critical acknowledge in 5 minutes" in out
    assert "Incidents whose outcome changes under Critical acknowledge in 5 minutes: 2" in out
