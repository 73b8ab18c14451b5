"""Monitoring sources and ingestion: Alertmanager webhooks and probe results,
through the real endpoints with source tokens."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEntry
from availability.models import MonitoringSource, NoDataSpan, Outage, ProbeState, RawPayload
from availability.services import monitoring, probes
from core.errors import InvalidInput

pytestmark = pytest.mark.django_db

ALERTS = "/api/monitoring/alertmanager/"
PROBES = "/api/monitoring/probes/"

# A real Alertmanager 0.27 webhook (version 4), as its webhook receiver posts it.
FIRING: dict[str, Any] = {
    "receiver": "covenant",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "ProbeFailing",
                "component": "api",
                "instance": "https://api.acme.example/health",
                "job": "blackbox",
                "severity": "critical",
            },
            "annotations": {"summary": "API health check failing from 3 of 3 locations"},
            "startsAt": "2026-02-10T14:03:27.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
            "fingerprint": "8c4a3b2d1e0f9a7b",
        }
    ],
    "groupLabels": {"alertname": "ProbeFailing"},
    "commonLabels": {"alertname": "ProbeFailing", "component": "api", "job": "blackbox", "severity": "critical"},
    "commonAnnotations": {"summary": "API health check failing from 3 of 3 locations"},
    "externalURL": "http://alertmanager.example:9093",
    "version": "4",
    "groupKey": '{}:{alertname="ProbeFailing"}',
    "truncatedAlerts": 0,
}


def resolved(payload: dict[str, Any] = FIRING, ends: str = "2026-02-10T14:41:57.5Z") -> dict[str, Any]:
    body = copy.deepcopy(payload)
    body["status"] = "resolved"
    for alert in body["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = ends
    return body


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def send(path: str, token: str, body: Any, content_type: str = "application/json") -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return Client().post(path, data, content_type=content_type, **bearer(token))


@pytest.fixture
def alert_source(contract, staff):
    return monitoring.create_source(actor=staff, contract=contract, name="Prometheus EU", kind="alertmanager")


@pytest.fixture
def probe_source(contract, staff):
    return monitoring.create_source(actor=staff, contract=contract, name="Probes", kind="probe", interval_seconds=60)


def at(hhmm: str, day: int = 10) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 2, day, h, m, tzinfo=UTC)


def probe(hhmm: str, up: bool, component: str = "api") -> dict[str, Any]:
    return {"timestamp": at(hhmm).isoformat().replace("+00:00", "Z"), "component": component, "up": up}


# -- Alertmanager ---------------------------------------------------------------------------


def test_firing_then_resolved_makes_one_outage_and_reposts_change_nothing(clock, alert_source):
    source, token = alert_source
    first = send(ALERTS, token, FIRING)
    assert first.status_code == 201, first.content
    assert first.json()["outages_opened"] == 1
    outage = Outage.objects.get()
    assert (outage.component, outage.start, outage.end) == (
        "api",
        datetime(2026, 2, 10, 14, 3, 27, 123456, tzinfo=UTC),
        None,
    )
    assert outage.source == "monitoring" and outage.fingerprint == "8c4a3b2d1e0f9a7b"
    assert outage.cause == "API health check failing from 3 of 3 locations" and not outage.unknown_component

    again = send(ALERTS, token, FIRING)
    assert again.status_code == 200 and again.json()["duplicate"] is True

    closed = send(ALERTS, token, resolved())
    assert closed.status_code == 201 and closed.json()["outages_closed"] == 1
    assert send(ALERTS, token, resolved()).json()["duplicate"] is True

    outage = Outage.objects.get()  # still exactly one
    assert outage.start == datetime(2026, 2, 10, 14, 3, 27, 123456, tzinfo=UTC)
    assert outage.end == datetime(2026, 2, 10, 14, 41, 57, 500000, tzinfo=UTC)
    assert RawPayload.objects.count() == 2
    payload = RawPayload.objects.order_by("received_at", "id").first()
    assert json.loads(payload.body) == FIRING
    assert payload.expires_at == clock.now + timedelta(days=730)  # the terms' reporting.retention_days
    assert AuditEntry.objects.filter(verb="monitoring.alerts_ingested").count() == 2


def test_repeated_firing_with_other_bytes_and_a_missed_firing(clock, alert_source):
    source, token = alert_source
    send(ALERTS, token, FIRING)
    repeat = copy.deepcopy(FIRING)
    repeat["groupKey"] = "another notification of the same alert"
    assert send(ALERTS, token, repeat).json()["ignored"] == 1  # same fingerprint and start: nothing new
    missed = copy.deepcopy(FIRING)
    missed["alerts"][0].update(fingerprint="ffff000011112222", startsAt="2026-02-11T08:00:00Z")
    body = send(ALERTS, token, resolved(missed, ends="2026-02-11T08:20:00Z")).json()
    assert body["outages_opened"] == 1 and body["outages_closed"] == 1
    late = Outage.objects.get(fingerprint="ffff000011112222")
    assert (late.start, late.end) == (datetime(2026, 2, 11, 8, tzinfo=UTC), datetime(2026, 2, 11, 8, 20, tzinfo=UTC))
    assert Outage.objects.count() == 2


def test_unknown_component_is_kept_but_flagged(clock, alert_source):
    _, token = alert_source
    body = copy.deepcopy(FIRING)
    body["alerts"][0]["labels"]["component"] = "billing"
    response = send(ALERTS, token, body)
    assert response.status_code == 201 and response.json()["unknown_components"] == ["billing"]
    assert Outage.objects.get().unknown_component is True


@pytest.mark.parametrize(
    "header", ["Bearer cvm_not-a-real-token", "Token abc", "Bearer ", None], ids=["unknown", "scheme", "empty", "none"]
)
def test_bad_token_is_401_and_nothing_is_stored(alert_source, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = Client().post(ALERTS, json.dumps(FIRING), content_type="application/json", **extra)
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] in ("authentication_failed", "not_authenticated")
    assert not RawPayload.objects.exists() and not Outage.objects.exists()


def test_revoked_token_is_401(alert_source, staff):
    source, token = alert_source
    monitoring.revoke_source(actor=staff, source=source)
    assert send(ALERTS, token, FIRING).status_code == 401
    assert not RawPayload.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b'{"version": "4", "alerts": [', "body", "not valid JSON"),
        ({**FIRING, "version": "2"}, "version", "versions 3 and 4"),
        ({**FIRING, "truncatedAlerts": -1}, "truncatedAlerts", "at least 0"),
        ({**FIRING, "alerts": "nope"}, "alerts", "list"),
        ({**FIRING, "alerts": [{**FIRING["alerts"][0], "fingerprint": ""}]}, "alerts[0].fingerprint", "fingerprint"),
        ({**FIRING, "alerts": [{**FIRING["alerts"][0], "startsAt": "yesterday"}]}, "alerts[0].startsAt", "startsAt"),
        ({**FIRING, "alerts": [{**FIRING["alerts"][0], "status": "pending"}]}, "alerts[0].status", "firing"),
        (resolved(ends="2026-02-10T13:00:00Z"), "alerts[0].endsAt", "precedes"),
    ],
)
def test_malformed_alertmanager_payload_is_400_naming_the_problem(alert_source, body, field, words):
    _, token = alert_source
    response = send(ALERTS, token, body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert field in data["errors"], data
    assert words in data["detail"] + " ".join(data["errors"][field]), data
    assert not RawPayload.objects.exists() and not Outage.objects.exists()


def test_over_size_is_413_and_nothing_is_stored(settings, alert_source):
    settings.COVENANT_MAX_MONITORING_BYTES = 1000
    _, token = alert_source
    body = copy.deepcopy(FIRING)
    body["commonAnnotations"]["description"] = "x" * 2000
    response = send(ALERTS, token, body)
    assert response.status_code == 413, response.content
    assert "limit" in response.json()["detail"]
    assert not RawPayload.objects.exists()


def test_token_of_the_other_kind_is_refused(alert_source, probe_source):
    _, probe_token = probe_source
    response = send(ALERTS, probe_token, FIRING)
    assert response.status_code == 400 and "probes" in response.json()["detail"]


# -- probes ----------------------------------------------------------------------------------


def test_probes_derive_outages_and_no_data_across_batches(clock, probe_source):
    source, token = probe_source
    first = [
        probe("10:03", True),
        probe("10:00", True),  # order inside a batch does not matter
        probe("10:01", False),
        probe("10:02", False),
        probe("10:04", True),
        probe("10:10", True),  # 6 min gap: no data 10:05-10:10
        probe("10:11", False),
        probe("10:20", False),  # gap while down: outage closes at 10:12, no data to 10:20, a new outage at 10:20
        probe("10:00", True, "web"),
    ]
    body = send(PROBES, token, first).json()
    assert body["outages_opened"] == 3 and body["outages_closed"] == 2 and body["no_data_spans"] == 2
    second = send(PROBES, token, [probe("10:21", True), probe("10:05", False)]).json()
    assert second["outages_closed"] == 1 and second["ignored"] == 1  # 10:05 is older than the last probe

    spans = [(o.start, o.end) for o in Outage.objects.order_by("start")]
    assert spans == [(at("10:01"), at("10:03")), (at("10:11"), at("10:12")), (at("10:20"), at("10:21"))]
    gaps = [(n.start, n.end) for n in NoDataSpan.objects.order_by("start")]
    assert gaps == [(at("10:05"), at("10:10")), (at("10:12"), at("10:20"))]
    state = ProbeState.objects.get(source=source, component="api")
    assert (state.last_at, state.last_up, state.open_outage) == (at("10:21"), True, None)
    assert send(PROBES, token, [probe("10:21", True), probe("10:05", False)]).json()["duplicate"] is True


def test_probe_outage_stays_open_between_batches(clock, probe_source):
    source, token = probe_source
    send(PROBES, token, [probe("09:00", True), probe("09:01", False)])
    outage = Outage.objects.get()
    assert outage.end is None and ProbeState.objects.get(component="api").open_outage == outage
    send(PROBES, token, probe("09:02", False))  # a single object is accepted too
    send(PROBES, token, probe("09:03", True))
    outage.refresh_from_db()
    assert (outage.start, outage.end) == (at("09:01"), at("09:03"))


def test_probes_as_csv_with_unknown_component(clock, probe_source):
    _, token = probe_source
    csv_body = (
        "timestamp,component,up,response_ms\n"
        "2026-02-10T10:00:00Z,api,up,120\n"
        "2026-02-10T10:01:00Z,api,down,\n"
        "2026-02-10T10:02:00+01:00,search,0,\n"  # 09:02 UTC, a component the contract does not cover
        "2026-02-10T10:02:00Z,api,1,98.5\n"
    )
    response = send(PROBES, token, csv_body, content_type="text/csv; charset=utf-8")
    assert response.status_code == 201, response.content
    assert response.json()["unknown_components"] == ["search"]
    api = Outage.objects.get(component="api")
    assert (api.start, api.end) == (at("10:01"), at("10:02"))
    assert Outage.objects.get(component="search").unknown_component
    assert RawPayload.objects.get().content_type == "text/csv"


@pytest.mark.parametrize(
    ("body", "content_type", "key", "words"),
    [
        (
            [{"timestamp": "2026-02-10T10:00:00", "component": "api", "up": True}],
            "application/json",
            "[0]",
            "time zone",
        ),
        ([probe("10:00", True), {"timestamp": "2026-02-10T10:00:00Z", "up": "maybe"}], "application/json", "[1]", "up"),
        ("timestamp,component\n2026-02-10T10:00:00Z,api\n", "text/csv", "line 1", "up"),
        ("timestamp,component,up\n2026-02-10T10:00:00Z,api,up\nnot-a-time,api,up\n", "text/csv", "line 3", "timestamp"),
        ("[]", "application/json", "body", "at least one"),
        ("a=1", "application/x-www-form-urlencoded", "content_type", "application/json"),
    ],
)
def test_malformed_probes_are_400_naming_the_problem(probe_source, body, content_type, key, words):
    _, token = probe_source
    response = send(PROBES, token, body, content_type=content_type)
    assert response.status_code == 400, response.content
    data = response.json()
    assert key in data["errors"], data
    assert words in data["detail"] + " ".join(data["errors"][key]), data
    assert not RawPayload.objects.exists() and not ProbeState.objects.exists()


def test_parse_probes_names_every_bad_row():
    with pytest.raises(InvalidInput) as exc:
        probes.parse_probes(
            json.dumps([{"component": "api", "up": True}, {"timestamp": 1, "up": 2}]).encode(), "application/json"
        )
    assert set(exc.value.errors) == {"[0]", "[1]"}
    assert "Probe results" in exc.value.message or "Malformed" in exc.value.message


# -- sources through the API ---------------------------------------------------------------


def test_source_token_is_shown_once_and_stored_hashed(client_for, contract, buyer, vendor, buyer_viewer, outsider):
    path = f"/api/contracts/{contract.pk}/monitoring-sources/"
    created = client_for(buyer).post(
        path, {"name": "Pingdom", "kind": "probe", "interval_seconds": 30}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    token = created.json()["token"]
    source = MonitoringSource.objects.get()
    assert (
        token.startswith("cvm_")
        and token not in source.token_hash
        and source.token_hash == monitoring.hash_token(token)
    )
    assert created.json()["ingest_url"].endswith(PROBES)
    listed = client_for(vendor).get(path).json()["results"]
    assert [s["name"] for s in listed] == ["Pingdom"] and "token" not in listed[0]
    mine = {"name": "Mine", "kind": "probe"}
    assert client_for(buyer_viewer).post(path, mine, content_type="application/json").status_code == 403
    # The vendor registers too (sources both parties trust): it awaits the buyer's acceptance.
    assert client_for(vendor).post(path, mine, content_type="application/json").json()["status"] == "proposed"
    source = MonitoringSource.objects.get(name="Pingdom")
    revoke = f"{path}{source.pk}/revoke/"
    for method, target in (("get", path), ("post", path), ("post", revoke)):
        assert getattr(client_for(outsider), method)(target).status_code == 404, (method, target)
    assert client_for(buyer).post(revoke).json()["active"] is False
    assert client_for(buyer).post(revoke).status_code == 409
    assert send(PROBES, token, [probe("10:00", True)]).status_code == 401
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {"monitoring_source.created", "monitoring_source.revoked"} <= verbs


def test_expired_raw_payloads_are_purged_and_outages_kept(clock, alert_source):
    from holds.tasks import purge_expired_payloads  # the retention job moved to holds (it honours holds)

    _, token = alert_source
    send(ALERTS, token, FIRING)
    clock.advance(days=729)
    assert purge_expired_payloads() == {"deleted": 0, "kept": 0, "contracts": 0}
    clock.advance(days=2)
    assert purge_expired_payloads() == {"deleted": 1, "kept": 0, "contracts": 1}
    assert not RawPayload.objects.exists() and Outage.objects.count() == 1
