"""Inbound formats beyond probes: Atlassian Statuspage, PagerDuty v3,
Opsgenie, and Alertmanager's variants, from the products' documented example
payloads (fixtures/), through the real endpoints with source tokens."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from availability.ingest.opsgenie import parse_opsgenie
from availability.ingest.pagerduty import parse_pagerduty
from availability.ingest.statuspage import parse_statuspage
from availability.models import MonitoringSource, Outage, RawPayload
from availability.services import sources
from availability.tasks import pull_statuspages
from core.errors import InvalidInput

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def send(kind: str, token: str, body: Any) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return Client().post(
        f"/api/monitoring/{kind}/", data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def make(contract: Any, staff: Any, kind: str, mapping: dict[str, str] | None = None, **kw: Any) -> tuple[Any, str]:
    return sources.register_source(
        actor=staff, contract=contract, name=kind.title(), kind=kind, component_map=mapping or {}, **kw
    )


# -- Statuspage -----------------------------------------------------------------------------------


def test_statuspage_incidents_become_vendor_reported_outages(clock, contract, staff):
    _, token = make(contract, staff, "statuspage", {"b13yz5g2cw10": "api", "Management Portal": "web"})
    first = send("statuspage", token, fixture("statuspage_incidents.json"))
    assert first.status_code == 201, first.content
    assert first.json()["outages_opened"] == 2 and first.json()["ignored"] == 1  # the degraded one is not an outage
    api = Outage.objects.get(component="api")
    assert api.source == Outage.Source.VENDOR and api.end is None
    assert api.start == datetime(2014, 5, 14, 20, 22, 39, 441000, tzinfo=UTC)  # -06:00 read as UTC
    assert "Unplanned Database Outage" in api.cause
    web = Outage.objects.get(component="web")  # major impact, components back to operational: still an outage
    assert (web.start, web.end) == (datetime(2014, 5, 10, 2, tzinfo=UTC), datetime(2014, 5, 10, 2, 45, tzinfo=UTC))
    assert send("statuspage", token, fixture("statuspage_incidents.json")).json()["duplicate"] is True

    resolved = fixture("statuspage_incidents.json")
    resolved["incidents"][0].update(status="resolved", resolved_at="2014-05-14T15:40:00.000-06:00")
    body = send("statuspage", token, resolved).json()
    assert body["outages_closed"] == 1 and body["outages_opened"] == 0
    api.refresh_from_db()
    assert api.end == datetime(2014, 5, 14, 21, 40, tzinfo=UTC)
    assert Outage.objects.count() == 2 and RawPayload.objects.count() == 2


def test_statuspage_unmapped_components_count_for_nothing(clock, contract, staff):
    _, token = make(contract, staff, "statuspage")
    body = send("statuspage", token, fixture("statuspage_incidents.json")).json()
    assert body["outages_opened"] == 0 and not Outage.objects.exists()
    assert RawPayload.objects.count() == 1  # kept as evidence all the same


def test_statuspage_summary_opens_component_outages_once(clock, contract, staff):
    _, token = make(contract, staff, "statuspage", {"b13yz5g2cw10": "api", "9397cnvk62zn": "web"})
    body = send("statuspage", token, fixture("statuspage_summary.json")).json()
    # api: covered by the open incident; web: major outage with no incident, from its updated_at.
    assert body["outages_opened"] == 2
    web = Outage.objects.get(component="web")
    assert web.start == datetime(2014, 5, 14, 20, 34, 44, 470000, tzinfo=UTC) and web.end is None
    later = fixture("statuspage_summary.json")
    later["components"][1].update(status="operational", updated_at="2014-05-14T21:00:00.000Z")
    later["page"]["updated_at"] = "2014-05-14T21:00:00.000Z"
    assert send("statuspage", token, later).json()["outages_closed"] == 1
    web.refresh_from_db()
    assert web.end == datetime(2014, 5, 14, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("incidents"), "incidents"),
        (lambda d: d["incidents"][0].update(impact="apocalyptic"), "incidents[0].impact"),
        (lambda d: d["incidents"][0].update(created_at="yesterday"), "incidents[0].created_at"),
        (lambda d: d["incidents"][0]["components"][0].update(status="on_fire"), "incidents[0].components[0].status"),
    ],
)
def test_statuspage_bad_payload_is_400_naming_the_field(contract, staff, mutate, field):
    _, token = make(contract, staff, "statuspage", {"API": "api"})
    data = fixture("statuspage_incidents.json")
    mutate(data)
    response = send("statuspage", token, data)
    assert response.status_code == 400 and field in response.json()["errors"], response.content
    assert not RawPayload.objects.exists()


class _Page(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def status_server() -> Iterator[tuple[str, type[_Page]]]:
    handler = type("Handler", (_Page,), {"body": (FIXTURES / "statuspage_summary.json").read_bytes()})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v2/summary.json", handler
    server.shutdown()
    server.server_close()


def test_scheduled_pull_fetches_and_ingests(clock, contract, staff, status_server):
    url, handler = status_server
    source, _ = make(contract, staff, "statuspage", {"9397cnvk62zn": "web"}, pull_url=url)
    assert pull_statuspages() == {"sources": 1, "pulled": 1}
    assert Outage.objects.filter(component="web", end__isnull=True).count() == 1
    source.refresh_from_db()
    assert source.last_pulled_at == clock.now and source.last_pull_error == "" and source.last_used_at == clock.now
    assert pull_statuspages() == {"sources": 1, "pulled": 1}  # the same snapshot: a duplicate, nothing new
    assert Outage.objects.count() == 1 and RawPayload.objects.count() == 1
    handler.body = b'{"page": {}, "incidents": "nope"}'
    pull_statuspages()
    source.refresh_from_db()
    assert "incidents" in source.last_pull_error


def test_pull_failure_is_noted_not_raised(clock, contract, staff):
    source, _ = make(contract, staff, "statuspage", pull_url="http://127.0.0.1:9/summary.json")
    assert pull_statuspages() == {"sources": 1, "pulled": 0}
    source.refresh_from_db()
    assert source.last_pull_error.startswith("Fetch failed")


# -- PagerDuty ------------------------------------------------------------------------------------


def test_pagerduty_trigger_acknowledge_resolve(clock, contract, staff):
    _, token = make(contract, staff, "pagerduty", {"PF9KMXH": "api"})
    opened = send("pagerduty", token, fixture("pagerduty_triggered.json"))
    assert opened.status_code == 201 and opened.json()["outages_opened"] == 1
    outage = Outage.objects.get()
    assert (outage.component, outage.start, outage.end) == ("api", datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC), None)
    assert outage.fingerprint == "PGR0VU2" and "P1" in outage.cause and "high urgency" in outage.cause
    assert send("pagerduty", token, fixture("pagerduty_acknowledged.json")).json()["ignored"] == 1
    # A redelivery of the same event with other bytes (PagerDuty retries): the event id makes it one.
    again = fixture("pagerduty_triggered.json")
    again["event"]["agent"] = None
    redelivered = send("pagerduty", token, again)
    assert redelivered.status_code == 200 and redelivered.json()["duplicate"] is True
    closed = send("pagerduty", token, fixture("pagerduty_resolved.json"))
    assert closed.json()["outages_closed"] == 1
    outage.refresh_from_db()
    assert outage.end == datetime(2020, 4, 9, 16, 2, 11, 420000, tzinfo=UTC)
    assert Outage.objects.count() == 1 and RawPayload.objects.count() == 3


def test_pagerduty_unmapped_service_is_kept_and_flagged(clock, contract, staff):
    _, token = make(contract, staff, "pagerduty")
    body = send("pagerduty", token, fixture("pagerduty_resolved.json")).json()  # the trigger was missed
    assert body["outages_opened"] == 1 and body["outages_closed"] == 1
    assert body["unknown_components"] == ["API Service"]
    assert Outage.objects.get().unknown_component


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("event"), "event"),
        (lambda d: d["event"].pop("id"), "event.id"),
        (lambda d: d["event"]["data"].update(created_at="2020-04-09 15:16"), "event.data.created_at"),
        (lambda d: d["event"]["data"].pop("service"), "event.data.service"),
    ],
)
def test_pagerduty_bad_payload_is_400_naming_the_field(contract, staff, mutate, field):
    _, token = make(contract, staff, "pagerduty")
    data = fixture("pagerduty_triggered.json")
    mutate(data)
    response = send("pagerduty", token, data)
    assert response.status_code == 400 and field in response.json()["errors"], response.content


# -- Opsgenie -------------------------------------------------------------------------------------


def test_opsgenie_create_then_close(clock, contract, staff):
    _, token = make(contract, staff, "opsgenie", {"tag2": "reporting"})
    assert send("opsgenie", token, fixture("opsgenie_create.json")).json()["outages_opened"] == 1
    outage = Outage.objects.get()
    assert outage.component == "reporting" and outage.start == datetime(2018, 1, 26, 14, 56, 40, 599000, tzinfo=UTC)
    assert send("opsgenie", token, fixture("opsgenie_create.json")).json()["duplicate"] is True
    assert send("opsgenie", token, fixture("opsgenie_close.json")).json()["outages_closed"] == 1
    outage.refresh_from_db()
    assert outage.end == datetime(2018, 1, 26, 15, 26, 40, 599000, tzinfo=UTC)  # updatedAt, in nanoseconds


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("alert"), "alert"),
        (lambda d: d["alert"].update(createdAt="2018-01-26"), "alert.createdAt"),
        (lambda d: d["alert"].update(alertId=""), "alert.alertId"),
        (lambda d: d["alert"].update(tags="tag1"), "alert.tags"),
    ],
)
def test_opsgenie_bad_payload_is_400_naming_the_field(contract, staff, mutate, field):
    _, token = make(contract, staff, "opsgenie")
    data = fixture("opsgenie_create.json")
    mutate(data)
    response = send("opsgenie", token, data)
    assert response.status_code == 400 and field in response.json()["errors"], response.content


def test_a_token_posts_only_to_its_own_format(contract, staff):
    _, token = make(contract, staff, "opsgenie")
    response = send("pagerduty", token, fixture("pagerduty_triggered.json"))
    assert response.status_code == 400 and "/api/monitoring/opsgenie/" in response.json()["errors"]["source"][0]


def test_parsers_are_pure_and_typed():
    snap = parse_statuspage((FIXTURES / "statuspage_incidents.json").read_bytes())
    assert snap.kind == "incidents" and snap.page_id == "y2j98763l56x" and len(snap.intervals) == 2
    delivery = parse_pagerduty((FIXTURES / "pagerduty_triggered.json").read_bytes())
    assert delivery.upstream_id == "pd:5ac64822-4adc-4fda-ade0-410becf0de4f"
    assert [e.action for e in delivery.events] == ["open"]
    other = json.loads((FIXTURES / "opsgenie_create.json").read_text())
    other["action"] = "AddNote"
    assert parse_opsgenie(json.dumps(other).encode(), received=datetime.now(UTC)).events == []
    with pytest.raises(InvalidInput):
        parse_statuspage(b"[]")


# -- Alertmanager variants ------------------------------------------------------------------------

FIRING: dict[str, Any] = {
    "receiver": "covenant",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "ProbeFailing", "component": "api"},
            "annotations": {"summary": "API down"},
            "startsAt": "2026-03-01T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example:9090/graph",
            "fingerprint": "aa11bb22cc33dd44",
        }
    ],
    "groupLabels": {"alertname": "ProbeFailing"},
    "commonLabels": {"alertname": "ProbeFailing"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager.example:9093",
    "version": "4",
    "groupKey": '{}:{alertname="ProbeFailing"}',
    "truncatedAlerts": 0,
}


def test_alertmanager_accepts_v3_numeric_group_key_and_notes_truncation(clock, contract, staff):
    source, token = make(contract, staff, "alertmanager")
    v3 = {**copy.deepcopy(FIRING), "version": "3", "groupKey": 1234567890123}
    response = send("alertmanager", token, v3)
    assert response.status_code == 201, response.content
    assert Outage.objects.get().end is None  # endsAt "0001-01-01T00:00:00Z" on a firing alert is ignored
    truncated = copy.deepcopy(FIRING)
    truncated["alerts"][0].update(fingerprint="ee55ff66aa77bb88", labels={"component": "web"})
    truncated["truncatedAlerts"] = 7
    body = send("alertmanager", token, truncated).json()
    assert body["truncated"] == 7 and body["outages_opened"] == 1
    source.refresh_from_db()
    assert source.truncated_alerts == 7 and source.last_truncated_at == clock.now
    assert MonitoringSource.objects.get().truncated_alerts == 7
