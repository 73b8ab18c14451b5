"""Remedies besides credits: owed by the close from the terms' remedies list, once per period and
reference (a revision owes nothing twice), through their lifecycle; the report PDF shows them and the
corrective-action plans of the period."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from audit.models import AuditEntry
from contracts.models import SLAVersion
from core.errors import Conflict, InvalidInput, NotPermitted
from corrective import services as corrective
from reports.models import Remedy
from reports.owed import owed_remedies
from reports.services import close_period, render_report_pdf
from reports.services.remedy_ledger import remedy_accept, remedy_deliver, remedy_dispute, remedy_offer
from reports.tests.factories import add_incident, add_outage, at, downtime_for

pytestmark = pytest.mark.django_db

NOV_5 = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
RULES = [
    {"trigger": "availability_breach", "kind": "executive_escalation", "description": "Quarterly call with the CTO"},
    {
        "trigger": "response_breach",
        "kind": "alternative_channel",
        "severities": ["critical"],
        "description": "A named engineer on a direct line for 30 days",
    },
]


def post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(path, data or {}, content_type="application/json")


def with_remedies(contract: Any) -> None:
    # The test arranges terms that carry a remedies list (the editor and schema accept it).
    version = SLAVersion.objects.get(contract=contract, number=1)
    SLAVersion.objects.filter(pk=version.pk).update(terms={**version.terms, "remedies": RULES})


def test_owed_remedies_follow_the_rules():
    breaches = [
        {"ref": "INC-1", "title": "Down", "severity": "critical", "targets": [{"binding": True}]},
        {"ref": "INC-2", "title": "Slow", "severity": "high", "targets": [{"binding": True}]},
        {
            "ref": "INC-3",
            "title": "Pending",
            "severity": "critical",
            "pending_claim": True,
            "targets": [{"binding": True}],
        },
        {"ref": "INC-4", "title": "Aspirational", "severity": "critical", "targets": [{"binding": False}]},
    ]
    owed = owed_remedies(RULES, availability_breached=True, breaches=breaches)
    assert [o["ref"] for o in owed] == ["availability/executive_escalation", "INC-1/alternative_channel"]
    assert owed_remedies(RULES, availability_breached=False, breaches=[]) == []
    everyone = [{**RULES[1], "severities": []}]
    assert len(owed_remedies(everyone, availability_breached=False, breaches=breaches[:2])) == 2


def test_the_close_owes_remedies_once_and_they_go_through_their_lifecycle(clock, contract, buyer, vendor):
    with_remedies(contract)
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    add_incident(contract, opened_at=at(12, 9), resolve_after=900, title="Payments API returns 502")
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    refs = sorted(Remedy.objects.filter(contract=contract).values_list("ref", flat=True))
    assert len(refs) == 2 and refs[1] == "availability/executive_escalation"
    assert [r["kind"] for r in report.snapshot["remedies"]] == ["executive_escalation", "alternative_channel"]

    clock.set(NOV_5)
    remedy = Remedy.objects.get(ref="availability/executive_escalation")
    with pytest.raises(NotPermitted):
        remedy_offer(actor=buyer, remedy=remedy, offer="x")
    with pytest.raises(InvalidInput):
        remedy_offer(actor=vendor, remedy=remedy, offer=" ")
    remedy = remedy_offer(actor=vendor, remedy=remedy, offer="CTO call on 12 November")
    with pytest.raises(Conflict):
        remedy_deliver(actor=vendor, remedy=remedy, evidence="early")
    remedy = remedy_accept(actor=buyer, remedy=remedy)
    remedy = remedy_deliver(actor=vendor, remedy=remedy, evidence="Minutes of the call")
    assert remedy.status == Remedy.Status.DELIVERED
    with pytest.raises(Conflict):
        remedy_dispute(actor=buyer, remedy=remedy, reason="too late")
    other = Remedy.objects.exclude(pk=remedy.pk).get()
    assert remedy_dispute(actor=buyer, remedy=other, reason="No named engineer").status == Remedy.Status.DISPUTED
    verbs = set(AuditEntry.objects.filter(verb__startswith="remedy.").values_list("verb", flat=True))
    assert verbs == {"remedy.offered", "remedy.accepted", "remedy.delivered", "remedy.disputed"}


def test_the_api_and_page(clock, client_for, contract, buyer, vendor, outsider):
    with_remedies(contract)
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    close_period(contract=contract, period="2026-10", now=NOV_5)
    clock.set(NOV_5)
    remedy = Remedy.objects.get()
    listed = client_for(buyer).get(f"/api/remedies/?contract={contract.pk}").json()
    assert [r["id"] for r in listed["results"]] == [remedy.pk]
    assert post(client_for(vendor), f"/api/remedies/{remedy.pk}/offer/", {}).status_code == 400
    r = post(client_for(vendor), f"/api/remedies/{remedy.pk}/offer/", {"text": "CTO call"})
    assert r.status_code == 200 and r.json()["status"] == "offered"
    assert post(client_for(vendor), f"/api/remedies/{remedy.pk}/accept/", {}).status_code == 403
    assert post(client_for(buyer), f"/api/remedies/{remedy.pk}/accept/", {}).json()["status"] == "accepted"
    assert client_for(outsider).get(f"/api/remedies/{remedy.pk}/").status_code == 404
    page = client_for(vendor).get(f"/reports/contract/{contract.pk}/remedies/").content.decode()
    assert "Executive escalation" in page and "Evidence of delivery" in page
    assert client_for(outsider).get(f"/reports/contract/{contract.pk}/remedies/").status_code == 404


def test_the_report_pdf_shows_remedies_and_corrective_actions(clock, contract, buyer, vendor):
    with_remedies(contract)
    clock.set(at(2, 9))
    plan = corrective.request_plan(actor=buyer, contract=contract, subject="Repeated payment outages")
    corrective.submit_plan(
        actor=vendor, plan=plan, root_cause="Connection pool exhausted",
        actions=[{"description": "Raise the pool and alert on saturation", "owner": "SRE lead", "due_date": "2026-10-20"}],
    )  # fmt: skip
    corrective.decide_plan(actor=buyer, plan=plan, accept=True)
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    assert report.snapshot["corrective"][0]["overdue_actions"] == 1
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render_report_pdf(report))).pages)
    flat = re.sub(r"\s+", " ", text)
    assert "Other remedies owed" in flat and "Quarterly call with the CTO" in flat
    assert "Corrective actions" in flat and f"{plan.reference}: Repeated payment outages" in flat
    assert "Connection pool exhausted" in flat and "Raise the pool and alert on saturation" in flat
    assert "overdue" in flat


def test_the_remedy_list_runs_constant_queries(clock, client_for, contract, buyer, count_queries):
    with_remedies(contract)
    client = client_for(buyer)

    def grow(months: list[int]) -> int:
        for m in months:
            add_outage(contract, start=at(10, month=m), minutes=downtime_for("98.5"))
            close_period(contract=contract, period=f"2026-{m:02d}", now=NOV_5 + timedelta(days=1))
        return count_queries(lambda: client.get(f"/api/remedies/?contract={contract.pk}")) + count_queries(
            lambda: client.get(f"/reports/contract/{contract.pk}/remedies/")
        )

    assert grow([4]) == grow([5, 6, 7])
