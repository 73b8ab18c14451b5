"""Outages (staff entries, corrections, exclusion claims), maintenance
windows and change notices through the services and the API, and a month's
availability checked against a hand computation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from audit.models import AuditEntry
from availability.models import Outage
from availability.services import monitoring
from availability.services import periods as av
from availability.tests.test_monitoring import FIRING, resolved, send
from core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


def t(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def outage(contract, staff, component: str, start: datetime, end: datetime | None, **kw: Any) -> Outage:
    return av.record_outage(
        actor=staff, contract=contract, component=component, start=start, end=end, reason="test", **kw
    )


# -- the month a person computes by hand ------------------------------------------------------


def test_october_availability_matches_the_hand_computation(
    clock, client_for, contract, staff, vendor_engineer, buyer, buyer_ops
):
    """Enterprise 24x7: target 99.95 %, service down when any component is
    down, 5 days' maintenance notice, 240 min allowance. October 2026 has
    31 x 1440 = 44,640 minutes.

    api        A 3 Oct 10:00-11:00 (Alertmanager) and C 10:45-11:15 (staff)
               overlap: merged 10:00-11:15 = 75 min counted.
               E 12 Oct 02:10-02:40 inside the compliant window M1: excused.
    web        B 3 Oct 10:30-11:30 = 60 min counted.
               M2 20 Oct 01:00-02:00 announced 18 Oct (2 days, 5 required):
               late, the whole 60 min counts.             web: 120 min.
    reporting  D 10 Oct 08:00-10:00, third-party claim accepted: excused.
    M1         12 Oct 02:00-03:00 (whole service), announced 1 Oct: compliant,
               60 of the 240 min allowance.

    Service (any): 3 Oct 10:00-11:30 = 90 min, plus M2's 60 = 150 min down.
    Service outage time: 90 + D 120 + E 30 + M2 60 = 300 min; excused 300 - 150 = 150.
      service   (44640 - 150) / 44640 = 99.66397..% -> 99.663 (rounded down)
      api       (44640 -  75) / 44640 = 99.83198..% -> 99.831
      web       (44640 - 120) / 44640 = 99.73118..% -> 99.731
      reporting (44640 -   0) / 44640 = 100.000
    """
    source, token = monitoring.create_source(actor=staff, contract=contract, name="Prometheus", kind="alertmanager")
    a_firing = json.loads(json.dumps(FIRING))
    a_firing["alerts"][0]["startsAt"] = "2026-10-03T10:00:00Z"
    clock.set(t(3, 10, 1))
    send("/api/monitoring/alertmanager/", token, a_firing)
    clock.set(t(3, 11, 1))
    send("/api/monitoring/alertmanager/", token, resolved(a_firing, ends="2026-10-03T11:00:00Z"))
    outage(contract, staff, "api", t(3, 10, 45), t(3, 11, 15))  # C
    outage(contract, staff, "web", t(3, 10, 30), t(3, 11, 30))  # B
    d = outage(contract, staff, "reporting", t(10, 8), t(10, 10), cause="Upstream DNS provider outage")
    outage(contract, staff, "api", t(12, 2, 10), t(12, 2, 40))  # E
    clock.set(t(1, 9))
    m1 = av.schedule_maintenance(
        actor=vendor_engineer, contract=contract, title="Database upgrade", start=t(12, 2), end=t(12, 3)
    )
    clock.set(t(18, 1))
    m2 = av.schedule_maintenance(
        actor=vendor_engineer,
        contract=contract,
        title="Web tier patch",
        start=t(20, 1),
        end=t(20, 2),
        components=["web"],
    )
    clock.set(t(11, 9))
    av.claim_outage_exclusion(
        actor=vendor_engineer, outage=d, kind="third_party", reason="Their DNS, status page attached"
    )
    av.decide_outage_exclusion(actor=buyer_ops, outage=d, accept=True)

    clock.set(t(5, 9, month=11))
    response = client_for(buyer).get(f"/api/contracts/{contract.pk}/availability/?period=2026-10")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"]["label"] == "2026-10" and body["period"]["so_far"] is False
    service = body["service"]
    assert Decimal(service["availability"]) == Decimal("99.663")
    assert (Decimal(service["downtime_minutes"]), Decimal(service["excused_minutes"])) == (150, 150)
    assert Decimal(service["period_minutes"]) == 44640 and body["met"] is False
    by = {c["component"]: c for c in body["components"]}
    assert {k: Decimal(v["availability"]) for k, v in by.items()} == {
        "api": Decimal("99.831"),
        "web": Decimal("99.731"),
        "reporting": Decimal("100.000"),
    }
    assert Decimal(by["api"]["downtime_minutes"]) == 75 and Decimal(by["api"]["excused_minutes"]) == 30
    assert Decimal(by["reporting"]["excused_minutes"]) == 120
    verdicts = {v["window"]: v for v in body["maintenance"]}
    assert verdicts[m1.pk]["compliant"] is True and verdicts[m1.pk]["reasons"] == []
    assert verdicts[m2.pk]["compliant"] is False
    assert verdicts[m2.pk]["reasons"][0].startswith("late: announced 2 days ahead, the agreement requires 5 days")
    assert sum(Decimal(c["minutes"]) for c in body["counted"] if c["component"] == "web") == 120
    assert {o["exclusion"] for o in body["outages"]} == {"", "accepted"}
    assert len(body["outages"]) == 5


# -- staff entries and corrections --------------------------------------------------------------


def test_end_before_start_is_refused(clock, client_for, contract, staff):
    with pytest.raises(InvalidInput) as exc:
        outage(contract, staff, "api", t(5, 10), t(5, 9))
    assert "end" in exc.value.errors
    response = post(
        client_for(staff),
        "/api/outages/",
        {
            "contract": contract.pk,
            "component": "api",
            "start": "2026-10-05T10:00:00Z",
            "end": "2026-10-05T09:00:00Z",
            "reason": "Monitor was down",
        },
    )
    assert response.status_code == 400 and "end" in response.json()["errors"]
    assert "precedes" in response.json()["detail"]
    assert not Outage.objects.exists()


def test_staff_enter_and_correct_outages_with_a_reason(clock, client_for, contract, staff, buyer):
    body = {
        "contract": contract.pk,
        "component": "web",
        "start": "2026-10-05T10:00:00Z",
        "end": None,
        "cause": "CDN",
        "reason": "Monitor missed it; confirmed by the vendor's status page",
    }
    assert post(client_for(buyer), "/api/outages/", body).status_code == 403
    created = post(client_for(staff), "/api/outages/", body)
    assert created.status_code == 201, created.content
    row = created.json()
    assert row["source"] == "manual" and row["ongoing"] is True and row["reason"].startswith("Monitor missed")
    path = f"/api/outages/{row['id']}/correct/"
    assert post(client_for(staff), path, {"end": "2026-10-05T10:30:00Z"}).status_code == 400  # no reason
    fixed = post(client_for(staff), path, {"end": "2026-10-05T10:30:00Z", "reason": "Restored at 10:30"})
    assert fixed.status_code == 200 and fixed.json()["duration_minutes"] == 30
    assert post(client_for(staff), path, {"end": "2026-10-05T09:00:00Z", "reason": "typo"}).status_code == 400
    entry = AuditEntry.objects.filter(verb="outage.corrected").get()
    assert entry.changes["end"][1].startswith("2026-10-05T10:30") and entry.changes["reason"] == [
        None,
        "Restored at 10:30",
    ]


def test_a_dispute_corrects_an_outages_times_through_the_service(clock, contract, staff, buyer, vendor, buyer_viewer):
    from availability.services.outages import outage_correct_on_dispute

    clock.set(t(20, 9))
    o = outage(contract, staff, "api", t(5, 10), t(5, 12))
    with pytest.raises(NotPermitted):  # a party's people or staff, never a bystander
        outage_correct_on_dispute(
            actor=buyer_viewer, outage=o, start=t(5, 10, 20), end=t(5, 11), reason="x", dispute_ref="D-1"
        )
    with pytest.raises(InvalidInput) as exc:
        outage_correct_on_dispute(actor=buyer, outage=o, start=t(25, 9), end=None, reason="x", dispute_ref="D-1")
    assert exc.value.errors == {"start": ["In the future."]}
    with pytest.raises(InvalidInput):
        outage_correct_on_dispute(actor=buyer, outage=o, start=t(5, 10), end=t(5, 12), reason="x", dispute_ref="D-1")
    fixed = outage_correct_on_dispute(
        actor=buyer, outage=o, start=t(5, 10, 20), end=t(5, 11, 5), reason="Probe logs agree", dispute_ref="D-1"
    )
    assert (fixed.start, fixed.end) == (t(5, 10, 20), t(5, 11, 5))
    assert fixed.reason == "test\nCorrected on resolving dispute D-1: Probe logs agree"
    entry = AuditEntry.objects.get(verb="outage.corrected")
    assert entry.changes["start"] == ["2026-10-05T10:00:00Z", "2026-10-05T10:20:00Z"]
    assert entry.changes["dispute"] == [None, "D-1"]


def test_a_dispute_accepts_an_outages_exclusion_claimed_or_not(clock, contract, staff, buyer, vendor, vendor_engineer):
    from availability.services.outages import claim_outage_exclusion, outage_exclusion_settle

    unclaimed = outage(contract, staff, "api", t(5, 10), t(5, 11))
    with pytest.raises(NotPermitted):  # the buyer's decision, as for a claim
        outage_exclusion_settle(actor=vendor, outage=unclaimed, reason="Agreed", dispute_ref="D-2")
    settled = outage_exclusion_settle(actor=buyer, outage=unclaimed, reason="Agreed", dispute_ref="D-2")
    assert settled.exclusion == Outage.Exclusion.ACCEPTED
    assert settled.exclusion_reason == "Accepted on resolving dispute D-2: Agreed"
    assert AuditEntry.objects.get(verb="outage.exclusion_accepted").changes["dispute"] == [None, "D-2"]
    with pytest.raises(Conflict):
        outage_exclusion_settle(actor=buyer, outage=unclaimed, reason="Again", dispute_ref="D-3")

    claimed = outage(contract, staff, "api", t(6, 10), t(6, 11))
    claim_outage_exclusion(actor=vendor_engineer, outage=claimed, kind="third_party", reason="CDN")
    decided = outage_exclusion_settle(actor=buyer, outage=claimed, reason="CDN page", dispute_ref="D-4")
    assert decided.exclusion == Outage.Exclusion.ACCEPTED
    entry = AuditEntry.objects.filter(verb="outage.exclusion_accepted", object_id=str(claimed.pk)).get()
    assert entry.changes["exclusion"] == ["claimed", "accepted"]
    assert entry.changes["decision_reason"] == [None, "Accepted on resolving dispute D-4: CDN page"]


def test_unknown_component_entered_by_staff_is_flagged(contract, staff):
    assert outage(contract, staff, "billing", t(5, 10), t(5, 11)).unknown_component is True


# -- exclusion claims ---------------------------------------------------------------------------


def test_claim_and_decide_roles_and_states(
    clock, client_for, contract, staff, vendor_engineer, vendor, buyer, buyer_ops
):
    o = outage(contract, staff, "api", t(5, 10), t(5, 11))
    claim, decide = f"/api/outages/{o.pk}/claim/", f"/api/outages/{o.pk}/decide/"
    assert post(client_for(buyer), claim, {"kind": "third_party", "reason": "x"}).status_code == 403
    assert post(client_for(vendor), claim, {"kind": "customer_caused", "reason": "x"}).status_code == 400
    assert post(client_for(buyer), decide, {"accept": True}).status_code == 409  # nothing claimed yet
    made = post(client_for(vendor_engineer), claim, {"kind": "force_majeure", "reason": "Regional power grid failure"})
    assert made.status_code == 200 and made.json()["exclusion"] == "claimed"
    assert post(client_for(vendor), claim, {"kind": "third_party", "reason": "again"}).status_code == 409
    assert post(client_for(vendor), decide, {"accept": True}).status_code == 403
    assert post(client_for(buyer_ops), decide, {"accept": False}).status_code == 400  # rejecting needs a reason
    rejected = post(client_for(buyer_ops), decide, {"accept": False, "reason": "The grid was fine"})
    assert rejected.json()["exclusion"] == "rejected"
    post(client_for(vendor), claim, {"kind": "third_party", "reason": "Their upstream, evidence attached"})
    assert post(client_for(buyer), decide, {"accept": True}).json()["exclusion"] == "accepted"
    verbs = list(
        AuditEntry.objects.filter(object_type="availability.outage").order_by("seq").values_list("verb", flat=True)
    )
    assert verbs == [
        "outage.recorded",
        "outage.exclusion_claimed",
        "outage.exclusion_rejected",
        "outage.exclusion_claimed",
        "outage.exclusion_accepted",
    ]


def test_services_refuse_the_wrong_people(contract, staff, vendor, buyer, buyer_viewer):
    with pytest.raises(NotPermitted):
        outage(contract, vendor, "api", t(5, 10), t(5, 11))
    with pytest.raises(NotPermitted):
        av.schedule_maintenance(actor=buyer, contract=contract, title="x", start=t(5, 1), end=t(5, 2))
    with pytest.raises(NotPermitted):
        av.announce_change(
            actor=buyer, contract=contract, kind="minor_release", title="x", planned_at=t(9, 1), impact="y"
        )
    n = av.announce_change(
        actor=vendor, contract=contract, kind="minor_release", title="x", planned_at=t(9, 1), impact="y"
    )
    with pytest.raises(NotPermitted):
        av.acknowledge_change(actor=buyer_viewer, notice=n)
    with pytest.raises(InvalidInput):
        av.schedule_maintenance(
            actor=vendor, contract=contract, title="x", start=t(5, 1), end=t(5, 2), components=["mainframe"]
        )


# -- maintenance and changes through the API ---------------------------------------------------------


def test_maintenance_lifecycle(clock, client_for, contract, vendor_engineer, buyer):
    clock.set(t(1, 9))
    body = {
        "contract": contract.pk,
        "title": "Kernel patch",
        "start": "2026-10-03T01:00:00Z",
        "end": "2026-10-03T02:00:00Z",
        "components": ["api"],
    }
    assert post(client_for(buyer), "/api/maintenance-windows/", body).status_code == 403
    made = post(client_for(vendor_engineer), "/api/maintenance-windows/", body)
    assert made.status_code == 201, made.content
    row = made.json()
    assert row["notice"] == {"required_days": 5, "given": "1 day 16 h", "late": True}
    clock.set(t(3, 2, 20))
    done = post(
        client_for(vendor_engineer),
        f"/api/maintenance-windows/{row['id']}/complete/",
        {"actual_end": "2026-10-03T02:15:00Z"},
    )
    assert done.json()["status"] == "completed" and done.json()["actual_end"].startswith("2026-10-03T02:15")
    again = post(client_for(vendor_engineer), f"/api/maintenance-windows/{row['id']}/cancel/")
    assert again.status_code == 409 and again.json()["state"] == "completed"
    bad = dict(body, start="2026-10-04T02:00:00Z", end="2026-10-04T01:00:00Z")
    assert post(client_for(vendor_engineer), "/api/maintenance-windows/", bad).status_code == 400


def test_change_notices_late_flag_and_buyer_answers(clock, client_for, contract, vendor, buyer, buyer_ops):
    clock.set(t(1, 9))
    base = {
        "contract": contract.pk,
        "title": "v5.0",
        "components": ["api", "web"],
        "impact": "New API version; v4 kept 6 months",
    }
    late = post(
        client_for(vendor),
        "/api/change-notices/",
        {
            **base,
            "kind": "major_release",
            "planned_at": "2026-10-20T06:00:00Z",
            "expected_downtime_minutes": 0,
            "rollback_plan": "Route back to v4.",
        },
    )
    assert late.status_code == 201, late.content
    assert (late.json()["late"], late.json()["required_notice_days"]) == (True, 30)
    fine = post(
        client_for(vendor),
        "/api/change-notices/",
        {**base, "kind": "security_patch", "planned_at": "2026-10-03T06:00:00Z"},
    )
    assert (fine.json()["late"], fine.json()["required_notice_days"], fine.json()["notice_given"]) == (
        False,
        1,
        "1 day 21 h",
    )
    nid = late.json()["id"]
    asked = post(
        client_for(buyer_ops), f"/api/change-notices/{nid}/question/", {"question": "Is v4 kept for 6 months?"}
    )
    assert asked.json()["status"] == "questioned" and asked.json()["buyer_response"] == "Is v4 kept for 6 months?"
    assert post(client_for(vendor), f"/api/change-notices/{nid}/acknowledge/").status_code == 403
    assert post(client_for(buyer), f"/api/change-notices/{nid}/acknowledge/").json()["status"] == "acknowledged"
    assert post(client_for(buyer), f"/api/change-notices/{nid}/acknowledge/").status_code == 409
    listed = client_for(buyer).get(f"/api/change-notices/?contract={contract.pk}&late=true").json()
    assert [r["id"] for r in listed["results"]] == [nid]
    assert {"change.announced", "change.questioned", "change.acknowledged"} <= set(
        AuditEntry.objects.values_list("verb", flat=True)
    )


def test_critical_incident_becomes_an_outage(clock, contract, buyer, vendor_engineer, staff):
    from incidents import services

    incident = services.open_incident(
        actor=buyer, contract=contract, title="API down", severity="critical", environment="production", component="api"
    )
    with pytest.raises(Conflict):
        av.outage_from_incident(actor=staff, incident=incident)  # not restored yet
    services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.advance(minutes=50)
    services.resolve_incident(actor=vendor_engineer, incident=incident)
    o = av.outage_from_incident(actor=staff, incident=incident)
    incident.refresh_from_db()
    assert (o.source, o.start, o.end, o.incident_id) == (
        "incident",
        incident.opened_at,
        incident.restore_met_at,
        incident.pk,
    )
    with pytest.raises(Conflict):
        av.outage_from_incident(actor=staff, incident=incident)


# -- lists: filters, visibility and constant queries ------------------------------------------------


def test_outage_filters(client_for, contract, foreign_contract, staff, buyer):
    outage(contract, staff, "api", t(1, 10), t(1, 11))
    web = outage(contract, staff, "web", t(10, 10), None)
    outage(foreign_contract, staff, "api", t(10, 10), t(10, 11))

    def ids(query: str) -> set[int]:
        response = client_for(buyer).get(f"/api/outages/?{query}")
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert len(ids("")) == 3  # the buyer is party to both contracts
    assert len(ids(f"contract={contract.pk}")) == 2
    assert ids(f"contract={contract.pk}&component=web") == {web.pk}
    assert ids(f"contract={contract.pk}&ongoing=true") == {web.pk}
    assert ids(f"contract={contract.pk}&since=2026-10-05") == {web.pk}  # still going on
    assert len(ids(f"contract={contract.pk}&until=2026-10-01")) == 1
    assert ids(f"contract={contract.pk}&exclusion=claimed") == set()
    assert len(ids("source=manual&exclusion=none")) == 3
    assert client_for(buyer).get("/api/outages/?since=yesterday").status_code == 400


def test_outsider_gets_404_on_every_contract_scoped_endpoint(client_for, contract, staff, vendor, outsider):
    o = outage(contract, staff, "api", t(1, 10), t(1, 11))
    w = av.schedule_maintenance(actor=vendor, contract=contract, title="x", start=t(5, 1), end=t(5, 2))
    n = av.announce_change(
        actor=vendor, contract=contract, kind="minor_release", title="x", planned_at=t(9, 1), impact="y"
    )
    client = client_for(outsider)
    gets = [
        f"/api/outages/{o.pk}/",
        f"/api/maintenance-windows/{w.pk}/",
        f"/api/change-notices/{n.pk}/",
        f"/api/contracts/{contract.pk}/availability/",
        f"/api/contracts/{contract.pk}/monitoring-sources/",
    ]
    posts = [
        f"/api/outages/{o.pk}/claim/",
        f"/api/outages/{o.pk}/decide/",
        f"/api/maintenance-windows/{w.pk}/cancel/",
        f"/api/change-notices/{n.pk}/acknowledge/",
        f"/api/contracts/{contract.pk}/calendar-feed/",
    ]
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        assert (
            post(client, path, {"kind": "third_party", "reason": "x"} if "claim" in path else {}).status_code == 404
        ), path
    assert client.get("/api/outages/").json()["count"] == 0
    created = post(
        client,
        "/api/outages/",
        {"contract": contract.pk, "component": "api", "start": "2026-10-01T00:00:00Z", "reason": "x"},
    )
    assert created.status_code in (400, 403) and not Outage.objects.filter(created_by=outsider).exists()


@pytest.mark.parametrize("path", ["/api/outages/", "/api/maintenance-windows/", "/api/change-notices/"])
def test_list_queries_do_not_grow_with_rows(
    client_for, contract, foreign_contract, staff, vendor, buyer, count_queries, path
):
    def add(n: int) -> None:
        for i in range(n):
            for c in (contract, foreign_contract):
                outage(c, staff, "api", t(1 + i, 10), t(1 + i, 11))
                actor = vendor if c == contract else staff
                av.schedule_maintenance(actor=actor, contract=c, title=f"w{i}", start=t(1 + i, 1), end=t(1 + i, 2))
                av.announce_change(
                    actor=actor, contract=c, kind="minor_release", title=f"c{i}", planned_at=t(1 + i, 3), impact="y"
                )

    client = client_for(buyer)
    add(2)
    client.get(path)
    small = count_queries(lambda: client.get(path))
    add(10)
    response = None

    def fetch() -> None:
        nonlocal response
        response = client.get(path)

    large = count_queries(fetch)
    assert response.json()["count"] == 24
    assert small == large, (small, large)


def test_availability_period_errors(clock, client_for, contract, buyer):
    clock.set(t(5, 9, month=11))
    client = client_for(buyer)
    assert client.get(f"/api/contracts/{contract.pk}/availability/?period=October").status_code == 400
    future = client.get(f"/api/contracts/{contract.pk}/availability/?period=2027-01")
    assert future.status_code == 400 and "period" in future.json()["errors"]
    current = client.get(f"/api/contracts/{contract.pk}/availability/").json()
    assert current["period"]["label"] == "2026-11" and current["period"]["so_far"] is True
    assert Decimal(current["service"]["period_minutes"]) == 4 * 1440 + 9 * 60  # 1 Nov 00:00 to 5 Nov 09:00
    assert current["period"]["measured_until"].startswith("2026-11-05T09:00")


def test_no_data_counts_per_component_and_uncovered_gaps_are_ignored(clock, client_for, contract, staff, buyer):
    from availability.models import NoDataSpan

    source, _ = monitoring.create_source(actor=staff, contract=contract, name="Probes", kind="probe")
    # 60 min without data on api, 600 min on a component the contract does not cover.
    NoDataSpan.objects.create(contract=contract, source=source, component="api", start=t(7, 10), end=t(7, 11))
    NoDataSpan.objects.create(contract=contract, source=source, component="search", start=t(8, 0), end=t(8, 10))
    clock.set(t(5, 9, month=11))
    body = client_for(buyer).get(f"/api/contracts/{contract.pk}/availability/?period=2026-10").json()
    by = {c["component"]: c for c in body["components"]}
    assert Decimal(by["api"]["no_data_minutes"]) == 60 and Decimal(by["web"]["no_data_minutes"]) == 0
    # The service's state is unknown only while api is (any rule); the uncovered gap adds nothing.
    assert Decimal(body["service"]["no_data_minutes"]) == 60
