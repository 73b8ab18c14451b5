"""The incidents API, through HTTP, as each persona."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contracts.models import Contract
from incidents import services
from incidents.models import ExclusionClaim, Incident

pytestmark = pytest.mark.django_db

LIST = "/api/incidents/"


def url(incident: Incident | int, rest: str = "") -> str:
    pk = incident if isinstance(incident, int) else incident.pk
    return f"/api/incidents/{pk}/{rest}"


def post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


def ids(response: Any) -> set[int]:
    return {row["id"] for row in ok(response)["results"]}


class Clock:
    """Stands in for django.utils.timezone.now: services, clocks and the API
    all read the time through it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def api_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Starts at the real present, so the fixtures' contract (SLA v1 in force
    since 2025) and the login sessions behave as in production."""
    fake = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


def body_for(contract: Contract, **extra: Any) -> dict[str, Any]:
    return {
        "contract": contract.pk,
        "title": "Payments API returns 500",
        "severity": "critical",
        "environment": "production",
        "component": "api",
        "description": "Every POST /payments fails since 09:12.",
        **extra,
    }


@pytest.fixture
def open_as(buyer: Any) -> Callable[..., Incident]:
    """Open an incident through the service (fast set-up)."""

    def make(contract: Contract, **extra: Any) -> Incident:
        fields = {k: v for k, v in body_for(contract, **extra).items() if k != "contract"}
        return services.open_incident(actor=buyer, contract=contract, **fields)

    return make


def at(seconds_from: datetime, minutes: float) -> str:
    return (seconds_from + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------
# The whole life of an incident
# --------------------------------------------------------------------------


def test_whole_life_through_the_api(api_clock, client_for, contract, buyer, vendor_engineer):
    as_buyer, as_vendor = client_for(buyer), client_for(vendor_engineer)
    t0 = api_clock.now

    # Buyer opens (critical / production: acknowledge 15 min, restore 4 h, resolve 24 h, 24x7).
    inc = ok(post(as_buyer, LIST, body_for(contract)), 201)
    pk = inc["id"]
    assert inc["status"] == "open" and inc["reference"] == f"INC-{pk}"
    assert inc["contract"]["id"] == contract.pk and inc["contract"]["vendor"]["name"] == "Acme Cloud"
    assert inc["out_of_scope"] is False and inc["sla_version"] == 1
    ack, restore, resolve = (inc["clocks"][k] for k in ("acknowledge", "restore", "resolve"))
    assert parse(ack["due_at"]) == t0 + timedelta(minutes=15)
    assert ack["remaining_seconds"] == 15 * 60 and ack["met_at"] is None and ack["breached"] is False
    assert parse(restore["due_at"]) == t0 + timedelta(hours=4)
    assert parse(resolve["due_at"]) == t0 + timedelta(hours=24)
    assert parse(inc["next_due_at"]) == t0 + timedelta(minutes=15)
    assert inc["allowed_actions"] == ["change_severity", "attribute", "comment", "assign", "cancel"]
    assert "acknowledge" in ok(as_vendor.get(url(pk)))["allowed_actions"]

    # Remaining time is computed at read time from the stored due time.
    api_clock.advance(minutes=4)
    assert ok(as_buyer.get(url(pk)))["clocks"]["acknowledge"]["remaining_seconds"] == 11 * 60

    # Vendor acknowledges after 10 minutes: the acknowledge target is met in time.
    api_clock.advance(minutes=6)
    inc = ok(post(as_vendor, url(pk, "acknowledge/"), {"message": "Looking into it."}))
    ack = inc["clocks"]["acknowledge"]
    assert inc["status"] == "acknowledged"
    assert parse(ack["met_at"]) == t0 + timedelta(minutes=10)
    assert ack["elapsed_seconds"] == 600 and ack["breached"] is False and ack["remaining_seconds"] is None
    assert parse(inc["next_due_at"]) == t0 + timedelta(hours=4)

    # Pause at 20 min (waiting for the customer): restore and resolve stop.
    api_clock.advance(minutes=10)
    inc = ok(post(as_vendor, url(pk, "pause/"), {"reason": "Need the failing request ids"}))
    assert inc["paused"] is True and inc["pause"]["paused"] is True
    assert inc["pause"]["reason"] == "Need the failing request ids" and parse(inc["pause"]["since"]) == api_clock.now
    assert inc["clocks"]["restore"]["due_at"] is None and inc["clocks"]["restore"]["remaining_seconds"] is None
    assert inc["clocks"]["resolve"]["due_at"] is None
    assert inc["next_due_at"] is None
    assert "resume" in inc["allowed_actions"] and "pause" not in inc["allowed_actions"]
    assert "resume" in ok(as_buyer.get(url(pk)))["allowed_actions"]

    # Buyer resumes an hour later: the due times move by the hour paused.
    api_clock.advance(minutes=60)
    inc = ok(post(as_buyer, url(pk, "resume/")))
    restore = inc["clocks"]["restore"]
    assert inc["paused"] is False and inc["pause"] == {"paused": False, "since": None, "reason": "", "count": 1}
    assert parse(restore["due_at"]) == t0 + timedelta(hours=5)
    assert restore["elapsed_seconds"] == 20 * 60
    assert restore["remaining_seconds"] == (3 * 60 + 40) * 60
    assert parse(inc["clocks"]["resolve"]["due_at"]) == t0 + timedelta(hours=25)

    # Vendor proposes a temporary workaround at 90 min.
    api_clock.advance(minutes=10)
    inc = ok(post(as_vendor, url(pk, "propose-workaround/"), {"text": "Route via the EU cluster", "temporary": True}))
    assert inc["status"] == "acknowledged"
    assert inc["workaround"]["state"] == "proposed" and inc["workaround"]["temporary"] is True
    assert inc["workaround"]["text"] == "Route via the EU cluster"
    buyer_view = ok(as_buyer.get(url(pk)))
    assert {"accept_workaround", "reject_workaround"} <= set(buyer_view["allowed_actions"])

    # Buyer accepts at 100 min: restored, the restore target is met.
    api_clock.advance(minutes=10)
    inc = ok(post(as_buyer, url(pk, "accept-workaround/")))
    restore = inc["clocks"]["restore"]
    assert inc["status"] == "restored" and inc["workaround"]["state"] == "accepted"
    assert parse(inc["workaround"]["expires_at"]) == api_clock.now + timedelta(days=10)
    assert parse(restore["met_at"]) == t0 + timedelta(minutes=100)
    assert restore["elapsed_seconds"] == 40 * 60 and restore["breached"] is False
    assert parse(inc["next_due_at"]) == t0 + timedelta(hours=25)

    # Vendor resolves at 200 min.
    api_clock.advance(minutes=100)
    inc = ok(post(as_vendor, url(pk, "resolve/"), {"message": "Fixed the connection pool."}))
    resolve = inc["clocks"]["resolve"]
    assert inc["status"] == "resolved" and parse(inc["resolved_at"]) == api_clock.now
    assert parse(resolve["met_at"]) == t0 + timedelta(minutes=200)
    assert resolve["elapsed_seconds"] == 140 * 60 and resolve["breached"] is False
    assert inc["next_due_at"] is None and inc["breached"] is False

    # Buyer confirms with rating 5: closed.
    api_clock.advance(minutes=5)
    inc = ok(post(as_buyer, url(pk, "confirm/"), {"rating": 5, "comment": "Quick and clear."}))
    assert inc["status"] == "closed" and parse(inc["closed_at"]) == api_clock.now
    assert inc["satisfaction"] == {"rating": 5, "comment": "Quick and clear."}
    assert inc["breached"] is False
    assert all(c["met_at"] is not None and c["breached"] is False for c in inc["clocks"].values())
    assert inc["allowed_actions"] == ["comment"]

    # The timeline tells the story in order.
    events = ok(as_buyer.get(url(pk, "timeline/")))["results"]
    assert [e["kind"] for e in events] == [
        "opened",
        "acknowledged",
        "paused",
        "resumed",
        "workaround_proposed",
        "workaround_accepted",
        "resolved",
        "confirmed",
    ]
    assert events[0]["actor"] == "buyer" and events[1]["actor"] == "vendor-eng"


def test_clock_breach_shows_at_read_time_before_the_watcher(api_clock, client_for, contract, buyer, open_as):
    incident = open_as(contract)
    api_clock.advance(minutes=20)
    inc = ok(client_for(buyer).get(url(incident)))
    ack = inc["clocks"]["acknowledge"]
    assert ack["breached"] is True and ack["remaining_seconds"] == -5 * 60
    assert inc["breached"] is True


# --------------------------------------------------------------------------
# Errors: 409, 403, 404, 400
# --------------------------------------------------------------------------


def test_illegal_transition_is_409_naming_state_and_allowed(client_for, contract, vendor_engineer, open_as):
    incident = open_as(contract)
    body = assert_error(post(client_for(vendor_engineer), url(incident, "resolve/")), 409, "conflict")
    assert body["state"] == "open"
    assert body["allowed"] == ["acknowledge", "change_severity", "claim_exclusion", "comment", "assign"]
    assert "open" in body["detail"] and "acknowledge" in body["detail"]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.OPEN


def test_wrong_role_is_403(client_for, contract, buyer, buyer_viewer, vendor, vendor_engineer, open_as):
    incident = open_as(contract)
    # Buyer may not acknowledge; vendor may not confirm (the role is checked before the state).
    assert_error(post(client_for(buyer), url(incident, "acknowledge/")), 403, "permission_denied")
    services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    services.resolve_incident(actor=vendor_engineer, incident=incident)
    assert_error(post(client_for(vendor), url(incident, "confirm/"), {"rating": 5}), 403, "permission_denied")
    # A viewer sees but may not open.
    assert ok(client_for(buyer_viewer).get(url(incident)))["allowed_actions"] == []
    body = assert_error(post(client_for(buyer_viewer), LIST, body_for(contract)), 403, "permission_denied")
    assert "open" in body["detail"]
    assert Incident.objects.count() == 1
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_outsider_gets_404_everywhere_and_an_empty_list(client_for, contract, outsider, vendor_engineer, open_as):
    incident = open_as(contract)
    services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    claim = services.claim_exclusion(actor=vendor_engineer, incident=incident, kind="third_party", reason="DNS")
    attachment = services.attach_file(
        actor=vendor_engineer, incident=incident, file=SimpleUploadedFile("log.txt", b"trace")
    )
    client = client_for(outsider)
    assert ok(client.get(LIST))["count"] == 0
    for path in (
        url(incident),
        url(incident, "timeline/"),
        url(incident, "attachments/"),
        url(incident, f"attachments/{attachment.pk}/download/"),
        url(incident, "claims/"),
    ):
        assert_error(client.get(path), 404, "not_found")
    posts = {
        "acknowledge/": {},
        "propose-workaround/": {"text": "x"},
        "accept-workaround/": {},
        "reject-workaround/": {"reason": "x"},
        "resolve/": {},
        "confirm/": {"rating": 5},
        "reopen/": {"reason": "x"},
        "pause/": {"reason": "x"},
        "resume/": {},
        "change-severity/": {"severity": "low", "reason": "x"},
        "comment/": {"text": "x"},
        "claims/": {"kind": "third_party", "reason": "x"},
        f"claims/{claim.pk}/decide/": {"accept": True},
        "attribute/": {"to_contract": contract.pk, "reason": "x", "move": True},
    }
    for rest, data in posts.items():
        assert_error(post(client, url(incident, rest), data), 404, "not_found")
    # A malformed body is still 404: the incident is looked up before the body is read.
    assert_error(post(client, url(incident, "pause/"), {"nonsense": 1}), 404)
    upload = client.post(url(incident, "attachments/"), {"file": SimpleUploadedFile("x.txt", b"x")})
    assert_error(upload, 404)
    assert_error(client.get(url(999999)), 404)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    assert incident.events.filter(kind="comment").count() == 0


def test_malformed_bodies_are_400_naming_the_field(client_for, contract, buyer, vendor_engineer, open_as):
    as_buyer, as_vendor = client_for(buyer), client_for(vendor_engineer)
    body = assert_error(post(as_buyer, LIST, body_for(contract, severity="catastrophic")), 400, "invalid")
    assert "severity" in body["errors"] and body["detail"].startswith("severity:")
    body = assert_error(post(as_buyer, LIST, {k: v for k, v in body_for(contract).items() if k != "title"}), 400)
    assert list(body["errors"]) == ["title"]
    body = assert_error(post(as_buyer, LIST, body_for(contract, priority="P1")), 400)
    assert body["errors"] == {"priority": ["Unknown field."]}
    assert Incident.objects.count() == 0

    incident = open_as(contract)
    services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    assert "text" in assert_error(post(as_vendor, url(incident, "propose-workaround/"), {}), 400)["errors"]
    assert "reason" in assert_error(post(as_vendor, url(incident, "pause/"), {"reason": ""}), 400)["errors"]
    body = assert_error(post(as_buyer, url(incident, "change-severity/"), {"severity": "high"}), 400)
    assert list(body["errors"]) == ["reason"]
    body = assert_error(post(as_buyer, url(incident, "change-severity/"), {"severity": "critical", "reason": "x"}), 400)
    assert "severity" in body["errors"]  # the service: already critical
    services.resolve_incident(actor=vendor_engineer, incident=incident)
    assert "rating" in assert_error(post(as_buyer, url(incident, "confirm/"), {"rating": 9}), 400)["errors"]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_contract_you_may_not_see_is_400_not_found(client_for, contract, outsider):
    body = assert_error(post(client_for(outsider), LIST, body_for(contract)), 400, "invalid")
    assert body["errors"] == {"contract": ["Not found."]}
    assert body["detail"] == "contract: Not found."


def test_component_outside_scope_is_flagged(client_for, contract, buyer):
    inc = ok(post(client_for(buyer), LIST, body_for(contract, component="mobile-app")), 201)
    assert inc["out_of_scope"] is True
    events = ok(client_for(buyer).get(url(inc["id"], "timeline/")))["results"]
    assert "out of scope" in events[0]["message"]
    inc = ok(post(client_for(buyer), LIST, body_for(contract, component="web")), 201)
    assert inc["out_of_scope"] is False


def test_change_severity_recomputes_targets(api_clock, client_for, contract, buyer_ops, open_as):
    incident = open_as(contract, severity="high")
    t0 = api_clock.now
    inc = ok(
        post(client_for(buyer_ops), url(incident, "change-severity/"), {"severity": "critical", "reason": "Wider"})
    )
    assert inc["severity"] == "critical"
    assert parse(inc["clocks"]["acknowledge"]["due_at"]) == t0 + timedelta(minutes=15)


def test_reject_workaround_and_reopen(client_for, contract, buyer, vendor_engineer, open_as):
    incident = open_as(contract)
    services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    services.propose_workaround(actor=vendor_engineer, incident=incident, text="Restart")
    as_buyer = client_for(buyer)
    assert "reason" in assert_error(post(as_buyer, url(incident, "reject-workaround/"), {}), 400)["errors"]
    inc = ok(post(as_buyer, url(incident, "reject-workaround/"), {"reason": "Loses data"}))
    assert inc["workaround"]["state"] == "rejected" and inc["status"] == "acknowledged"
    services.resolve_incident(actor=vendor_engineer, incident=incident)
    inc = ok(post(as_buyer, url(incident, "reopen/"), {"reason": "Still failing"}))
    assert inc["status"] == "acknowledged" and inc["reopened_count"] == 1 and inc["resolved_at"] is None


# --------------------------------------------------------------------------
# The list: filters and constant queries
# --------------------------------------------------------------------------


def test_filters(api_clock, client_for, contract, foreign_contract, buyer, vendor_org, other_vendor_org, open_as):
    a = open_as(contract, severity="critical")  # acknowledge due at +15 min
    api_clock.advance(minutes=5)
    b = open_as(contract, severity="high", component="web")  # acknowledge due at +35 min
    api_clock.advance(minutes=7)
    c = open_as(contract, severity="medium", environment="non_production")
    d = open_as(foreign_contract, severity="low")
    client = client_for(buyer)

    # At +12 min, A has used 80 % of its 15 minutes: at risk, not yet breached.
    assert ids(client.get(LIST, {"at_risk": "true"})) == {a.pk}
    assert ids(client.get(LIST, {"breached": "true"})) == set()
    assert ids(client.get(LIST, {"due_within": 5})) == {a.pk}

    # At +22 min, A's acknowledge time has passed (before any watcher ran).
    api_clock.advance(minutes=10)
    assert ids(client.get(LIST, {"breached": "true"})) == {a.pk}
    assert ids(client.get(LIST, {"breached": "false"})) == {b.pk, c.pk, d.pk}
    assert ids(client.get(LIST, {"at_risk": "true"})) == set()

    assert ids(client.get(LIST, {"severity": "high"})) == {b.pk}
    assert ids(client.get(LIST, {"environment": "non_production"})) == {c.pk}
    assert ids(client.get(LIST, {"component": "web"})) == {b.pk}
    assert ids(client.get(LIST, {"vendor": vendor_org.pk})) == {a.pk, b.pk, c.pk}
    assert ids(client.get(LIST, {"vendor": other_vendor_org.pk})) == {d.pk}
    assert ids(client.get(LIST, {"contract": foreign_contract.pk})) == {d.pk}
    assert ids(client.get(LIST, {"status": "open", "severity": "critical"})) == {a.pk}
    assert ids(client.get(LIST, {"opened_after": b.opened_at.isoformat()})) == {b.pk, c.pk, d.pk}
    assert ids(client.get(LIST, {"opened_before": b.opened_at.isoformat()})) == {a.pk}
    assert ids(client.get(LIST, {"imported": "true"})) == set()

    ordered = [r["id"] for r in ok(client.get(LIST, {"ordering": "-severity"}))["results"]]
    assert ordered == [a.pk, b.pk, c.pk, d.pk]
    ordered = [r["id"] for r in ok(client.get(LIST))["results"]]
    assert ordered == [d.pk, c.pk, b.pk, a.pk]  # newest first

    body = assert_error(client.get(LIST, {"severity": "urgent"}), 400, "invalid")
    assert "severity" in body["errors"]
    assert "due_within" in assert_error(client.get(LIST, {"due_within": "soon"}), 400)["errors"]


def test_vendor_sees_only_its_contracts_incidents(client_for, contract, foreign_contract, vendor, outsider, open_as):
    mine, theirs = open_as(contract), open_as(foreign_contract)
    assert ids(client_for(vendor).get(LIST)) == {mine.pk}
    assert ids(client_for(outsider).get(LIST)) == {theirs.pk}


@pytest.mark.parametrize("query", ["", "?breached=true", "?ordering=-severity&at_risk=false"])
def test_list_queries_do_not_grow_with_rows(api_clock, client_for, contract, buyer, open_as, count_queries, query):
    client = client_for(buyer)
    for _ in range(3):
        open_as(contract)
    api_clock.advance(minutes=30)  # everything breached: the breached filter returns every row
    client.get(LIST + query)  # warm the session
    small = count_queries(lambda: ok(client.get(LIST + query)))
    for _ in range(12):
        open_as(contract)
    api_clock.advance(minutes=30)
    response = None

    def fetch() -> None:
        nonlocal response
        response = client.get(LIST + query)

    large = count_queries(fetch)
    assert ok(response)["count"] == 15
    assert small == large, (small, large)


# --------------------------------------------------------------------------
# Comments, attachments
# --------------------------------------------------------------------------


def test_comments_and_attachments(client_for, contract, buyer, vendor_engineer, board_member, buyer_viewer, open_as):
    incident = open_as(contract)
    entry = ok(post(client_for(board_member), url(incident, "comment/"), {"text": "Board is watching."}), 201)
    assert entry["kind"] == "comment" and entry["actor"] == "board"
    assert_error(post(client_for(buyer_viewer), url(incident, "comment/"), {"text": "hi"}), 403)

    upload = client_for(vendor_engineer).post(
        url(incident, "attachments/"), {"file": SimpleUploadedFile("trace.txt", b"GET /x -> 500 (12 ms) ok.\n")}
    )
    attachment = ok(upload, 201)
    assert attachment["name"] == "trace.txt" and attachment["size"] == 26 and attachment["uploaded_by"] == "vendor-eng"
    listed = ok(client_for(buyer_viewer).get(url(incident, "attachments/")))["results"]
    assert [a["id"] for a in listed] == [attachment["id"]]

    response = client_for(buyer_viewer).get(url(incident, f"attachments/{attachment['id']}/download/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"GET /x -> 500 (12 ms) ok.\n"
    assert response["Content-Type"] == "application/octet-stream"
    assert "attachment" in response["Content-Disposition"]
    assert_error(client_for(buyer).get(url(incident, "attachments/999999/download/")), 404)
    assert_error(
        client_for(buyer_viewer).post(url(incident, "attachments/"), {"file": SimpleUploadedFile("a", b"a")}), 403
    )
    assert "file" in assert_error(client_for(buyer).post(url(incident, "attachments/"), {}), 400)["errors"]


# --------------------------------------------------------------------------
# Exclusion claims
# --------------------------------------------------------------------------


def test_claims_reject_then_accept(client_for, contract, buyer, vendor_engineer, open_as):
    incident = open_as(contract)
    as_buyer, as_vendor = client_for(buyer), client_for(vendor_engineer)

    claim = ok(post(as_vendor, url(incident, "claims/"), {"kind": "third_party", "reason": "Upstream DNS outage"}), 201)
    assert claim["status"] == "pending" and claim["claimed_by"] == "vendor-eng"
    assert "decide_claim" in ok(as_buyer.get(url(incident)))["allowed_actions"]
    assert_error(post(as_buyer, url(incident, "claims/"), {"kind": "third_party", "reason": "x"}), 403)
    body = assert_error(post(as_vendor, url(incident, "claims/"), {"kind": "force_majeure", "reason": "x"}), 409)
    assert body["allowed"] == ["decide_claim"]
    assert (
        "kind"
        in assert_error(post(as_vendor, url(incident, "claims/"), {"kind": "gremlins", "reason": "x"}), 400)["errors"]
    )

    decide = url(incident, f"claims/{claim['id']}/decide/")
    assert_error(post(as_vendor, decide, {"accept": True}), 403)
    body = assert_error(post(as_buyer, decide, {"accept": False}), 400)
    assert "reason" in body["errors"]
    assert "accept" in assert_error(post(as_buyer, decide, {"reason": "x"}), 400)["errors"]
    decided = ok(post(as_buyer, decide, {"accept": False, "reason": "Our DNS was fine"}))
    assert decided["status"] == "rejected" and decided["decision_reason"] == "Our DNS was fine"
    assert decided["decided_by"] == "buyer"
    assert Incident.objects.counted().filter(pk=incident.pk).exists()
    assert ok(as_buyer.get(url(incident)))["excluded"] is False
    body = assert_error(post(as_buyer, decide, {"accept": True}), 409)
    assert body["state"] == "rejected"

    claim = ok(post(as_vendor, url(incident, "claims/"), {"kind": "force_majeure", "reason": "Flood at DC"}), 201)
    decided = ok(post(as_buyer, url(incident, f"claims/{claim['id']}/decide/"), {"accept": True}))
    assert decided["status"] == "accepted"
    inc = ok(as_buyer.get(url(incident)))
    assert inc["excluded"] is True and "claim_exclusion" not in ok(as_vendor.get(url(incident)))["allowed_actions"]
    assert not Incident.objects.counted().filter(pk=incident.pk).exists()
    assert ids(as_buyer.get(LIST, {"excluded": "true"})) == {incident.pk}

    claims = ok(as_buyer.get(url(incident, "claims/")))["results"]
    assert [c["status"] for c in claims] == ["accepted", "rejected"]
    kinds = [e["kind"] for e in ok(as_buyer.get(url(incident, "timeline/")))["results"]]
    assert kinds[-4:] == ["claim_made", "claim_rejected", "claim_made", "claim_accepted"]


def test_claim_of_another_incident_is_404(client_for, contract, buyer, vendor_engineer, open_as):
    first, second = open_as(contract), open_as(contract)
    claim = services.claim_exclusion(actor=vendor_engineer, incident=first, kind="third_party", reason="DNS")
    assert_error(post(client_for(buyer), url(second, f"claims/{claim.pk}/decide/"), {"accept": True}), 404)
    assert ExclusionClaim.objects.get(pk=claim.pk).status == "pending"


# --------------------------------------------------------------------------
# Fault attribution
# --------------------------------------------------------------------------


def test_attribution_opens_the_other_vendors_own_incident(
    client_for, contract, foreign_contract, buyer, buyer_ops, vendor, outsider, open_as
):
    incident = open_as(contract)
    as_buyer = client_for(buyer)
    body = {"to_contract": foreign_contract.pk, "reason": "Fault isolated to Globex's SSO", "move": True}

    assert_error(post(client_for(buyer_ops), url(incident, "attribute/"), body), 403)
    # The vendor may not attribute; a contract it may not see is not found (its existence is not confirmed).
    assert_error(post(client_for(vendor), url(incident, "attribute/"), {**body, "to_contract": contract.pk}), 403)
    not_found = assert_error(post(client_for(vendor), url(incident, "attribute/"), body), 400)
    assert not_found["errors"] == {"to_contract": ["Not found."]}
    assert ok(client_for(outsider).get(LIST))["count"] == 0
    self_move = assert_error(post(as_buyer, url(incident, "attribute/"), {**body, "to_contract": contract.pk}), 400)
    assert "to_contract" in self_move["errors"]
    assert "reason" in assert_error(post(as_buyer, url(incident, "attribute/"), {**body, "reason": ""}), 400)["errors"]

    new = ok(post(as_buyer, url(incident, "attribute/"), body))
    assert new["id"] != incident.pk and new["contract"]["id"] == foreign_contract.pk
    assert new["contract"]["vendor"]["name"] == "Globex Software" and new["original_contract"] is None
    assert [a["direction"] for a in new["attribution"]] == ["from"]

    # Each vendor keeps its own record: the original stays with its vendor, the new one is Globex's.
    assert ok(client_for(vendor).get(url(incident)))["status"] == "cancelled"
    assert_error(client_for(vendor).get(url(new["id"])), 404)
    assert_error(client_for(outsider).get(url(incident)), 404)
    assert ok(client_for(outsider).get(url(new["id"])))["id"] == new["id"]
    assert ids(as_buyer.get(LIST, {"contract": foreign_contract.pk})) == {new["id"]}

    events = ok(client_for(vendor).get(url(incident, "timeline/")))["results"]
    assert events[-1]["kind"] == "attributed_away" and events[-1]["data"] == {}
    assert "Globex" not in events[-1]["message"]


def test_attribution_link_only_keeps_the_incident(client_for, contract, foreign_contract, buyer, vendor, open_as):
    incident = open_as(contract)
    body = {"to_contract": foreign_contract.pk, "reason": "Partly Globex", "move": False}
    inc = ok(post(client_for(buyer), url(incident, "attribute/"), body))
    assert inc["contract"]["id"] == contract.pk and inc["original_contract"] is None
    assert [a["contract_reference"] for a in inc["attribution"]] == ["C-FOREIGN"]
    mine = ok(client_for(vendor).get(url(incident)))
    assert mine["id"] == incident.pk and mine["attribution"] == []


# --------------------------------------------------------------------------
# Import (staff)
# --------------------------------------------------------------------------

IMPORT = "/api/incidents/import/"
HEADER = "title,severity,environment,component,opened_at,acknowledged_at,resolved_at,description\n"


def csv_file(*rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("history.csv", (HEADER + "".join(r + "\n" for r in rows)).encode(), "text/csv")


def test_import_is_staff_only(client_for, contract, buyer):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    upload = {"file": csv_file(f"Outage,critical,production,api,{at(start, 0)},,,"), "contract": contract.pk}
    body = assert_error(client_for(buyer).post(IMPORT, {**upload, "source": "Old desk"}), 403, "permission_denied")
    assert "staff" in body["detail"]
    assert Incident.objects.count() == 0


def test_import_with_a_bad_row_creates_nothing(client_for, contract, staff):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    upload = {
        "file": csv_file(
            f"Good one,critical,production,api,{at(start, 0)},{at(start, 30)},{at(start, 120)},ok",
            f"Bad one,apocalyptic,production,api,{at(start, 0)},,,",
            "Worse one,low,production,api,not-a-date,,,",
        ),
        "contract": contract.pk,
        "source": "ServiceDesk export",
    }
    body = assert_error(client_for(staff).post(IMPORT, upload), 400, "invalid")
    assert set(body["errors"]) == {"line 3", "line 4"}
    assert "severity" in body["errors"]["line 3"][0]
    assert "not-a-date" in body["errors"]["line 4"][0]
    assert "nothing was imported" in body["detail"]
    assert Incident.objects.count() == 0


def test_import_creates_incidents_with_clocks_from_recorded_times(client_for, contract, staff, buyer):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    upload = {
        "file": csv_file(
            f"Slow ack,critical,production,api,{at(start, 0)},{at(start, 30)},{at(start, 120)},late",
            f"Quick,high,production,web,{at(start, 60)},{at(start, 70)},{at(start, 100)},",
        ),
        "contract": contract.pk,
        "source": "ServiceDesk export",
        "format": "csv",
    }
    result = ok(client_for(staff).post(IMPORT, upload), 201)
    assert result["created"] == 2
    slow_id = next(i["id"] for i in result["incidents"] if i["title"] == "Slow ack")

    slow = ok(client_for(buyer).get(url(slow_id)))
    assert slow["imported"] is True and slow["import_source"] == "ServiceDesk export"
    assert slow["status"] == "closed" and parse(slow["opened_at"]) == start
    ack = slow["clocks"]["acknowledge"]
    assert ack["breached"] is True and ack["elapsed_seconds"] == 30 * 60
    assert parse(ack["due_at"]) == start + timedelta(minutes=15)
    assert parse(ack["met_at"]) == start + timedelta(minutes=30)
    assert slow["clocks"]["restore"]["breached"] is False and slow["clocks"]["resolve"]["breached"] is False
    assert slow["breached"] is True
    assert Incident.objects.get(pk=slow_id).acknowledge_breached is True
    assert ids(client_for(buyer).get(LIST, {"imported": "true", "breached": "true"})) == {slow_id}


def test_import_json(client_for, contract, staff):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rows = [
        {"title": "One", "severity": "low", "environment": "production", "component": "api", "opened_at": at(start, 0)},
        {"title": "Two", "severity": "low", "environment": "production", "component": "api", "opened_at": "soon"},
    ]
    upload = {
        "file": SimpleUploadedFile("h.json", json.dumps(rows).encode(), "application/json"),
        "contract": contract.pk,
        "source": "Legacy",
        "format": "json",
    }
    body = assert_error(client_for(staff).post(IMPORT, upload), 400)
    assert set(body["errors"]) == {"line 2"}
    # Without `format`, a *.json file is read as JSON.
    upload.pop("format")
    upload["file"] = SimpleUploadedFile("h.json", json.dumps(rows).encode(), "application/json")
    assert set(assert_error(client_for(staff).post(IMPORT, upload), 400)["errors"]) == {"line 2"}
    rows.pop()
    upload["file"] = SimpleUploadedFile("h.json", json.dumps(rows).encode(), "application/json")
    assert ok(client_for(staff).post(IMPORT, upload), 201)["created"] == 1
