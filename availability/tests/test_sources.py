"""Monitoring sources both parties trust: registration by either party,
acceptance by the other, what counts meanwhile, the pages and the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from accounts.models import Notification
from audit.models import AuditEntry
from availability.data import period_availability
from availability.models import MonitoringSource, Outage
from availability.services import sources
from contracts.terms import Terms
from core.errors import InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)

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
            "fingerprint": "aa11bb22cc33dd44",
        }
    ],
    "version": "4",
    "groupKey": '{}:{alertname="ProbeFailing"}',
    "truncatedAlerts": 0,
}


def post_json(client: Client, path: str, data: Any = None) -> Any:
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def send(path: str, token: str, body: Any) -> Any:
    return Client().post(path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def downtime_minutes(contract: Any) -> Any:
    terms = Terms(contract.sla_versions.get(number=1).terms)
    data = period_availability(contract, terms, start=START, end=END, now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    return data.result.service.downtime_minutes


def test_a_source_counts_only_once_the_other_party_accepts(clock, contract, vendor, buyer):
    source, token = sources.register_source(
        actor=vendor, contract=contract, name="Vendor Prometheus", kind="alertmanager"
    )
    assert source.status == "proposed" and source.registered_side == "vendor" and source.registered_by == vendor
    assert Notification.objects.filter(user=buyer, event="source.proposed").count() == 1
    assert send("/api/monitoring/alertmanager/", token, FIRING).status_code == 201
    outage = Outage.objects.get()  # kept as evidence...
    assert downtime_minutes(contract) == 0  # ...but it counts for nothing yet
    with pytest.raises(NotPermitted):
        sources.accept_source(actor=vendor, source=source)  # not the party that registered it
    accepted = sources.accept_source(actor=buyer, source=source)
    assert accepted.status == "accepted" and accepted.accepted_by == buyer and accepted.accepted_at == clock.now
    assert downtime_minutes(contract) > 0  # now its whole record counts
    assert outage.monitoring_source_id == source.pk
    assert {"monitoring_source.created", "monitoring_source.accepted"} <= set(
        AuditEntry.objects.values_list("verb", flat=True)
    )


def test_a_rejected_source_never_counts_and_its_token_stops(clock, contract, buyer, vendor_engineer):
    source, token = sources.register_source(actor=buyer, contract=contract, name="Our probes", kind="alertmanager")
    send("/api/monitoring/alertmanager/", token, FIRING)
    with pytest.raises(InvalidInput) as exc:
        sources.reject_source(actor=vendor_engineer, source=source, reason=" ")
    assert "reason" in exc.value.errors
    rejected = sources.reject_source(actor=vendor_engineer, source=source, reason="Probes from a single region.")
    assert rejected.status == "rejected" and rejected.rejected_reason == "Probes from a single region."
    assert downtime_minutes(contract) == 0
    assert send("/api/monitoring/alertmanager/", token, FIRING).status_code == 401


def test_staff_sources_and_migrated_ones_are_accepted(contract, staff):
    source, _ = sources.register_source(actor=staff, contract=contract, name="Neutral", kind="probe")
    assert source.status == "accepted" and source.counts


def test_api_register_list_accept_reject_revoke(clock, client_for, contract, buyer, vendor, outsider, buyer_viewer):
    path = f"/api/contracts/{contract.pk}/sources/"
    created = post_json(
        client_for(vendor),
        path,
        {
            "name": "Status page",
            "kind": "statuspage",
            "interval_seconds": 300,
            "component_map": {"b13yz5g2cw10": "api"},
            "pull_url": "https://status.acme.example/api/v2/summary.json",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["token"].startswith("cvm_") and body["status"] == "proposed" and body["registered_side"] == "vendor"
    assert body["ingest_url"].endswith("/api/monitoring/statuspage/")
    listed = client_for(buyer).get(path)
    assert listed.status_code == 200
    row = listed.json()[0]
    assert "token" not in row and row["component_map"] == {"b13yz5g2cw10": "api"}
    assert row["health"]["ok"] is True and row["last_used_at"] is None
    bad = post_json(client_for(buyer), path, {"name": "x", "kind": "nope"})
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    bad_map = post_json(client_for(buyer), path, {"name": "x", "kind": "probe", "pull_url": "https://a.example/"})
    assert bad_map.status_code == 400 and "pull_url" in bad_map.json()["errors"]
    assert post_json(client_for(buyer_viewer), path, {"name": "x", "kind": "probe"}).status_code == 403

    action = f"/api/sources/{body['id']}/"
    no_reason = post_json(client_for(buyer), action + "reject/", {})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    assert post_json(client_for(vendor), action + "accept/").status_code == 403
    accepted = post_json(client_for(buyer), action + "accept/")
    assert accepted.status_code == 200 and accepted.json()["accepted_by"] == str(buyer)
    assert post_json(client_for(buyer), action + "accept/").status_code == 409
    revoked = post_json(client_for(vendor), action + "revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"

    # Another tenant's source is a 404, whatever the verb.
    for method, target in (("get", path), ("post", path), ("post", action + "accept/"), ("post", action + "revoke/")):
        assert getattr(client_for(outsider), method)(target).status_code == 404, (method, target)
    assert post_json(client_for(buyer), action + "explode/").status_code == 404  # no such route


def test_page_registers_shows_the_token_once_and_accepts(clock, client_for, contract, buyer, vendor, outsider):
    page = f"/availability/contracts/{contract.pk}/sources/"
    response = client_for(buyer).post(
        page,
        {
            "name": "Blackbox",
            "kind": "probe",
            "interval_seconds": "60",
            "component_label": "component",
            "component_map": "{}",
            "pull_url": "",
        },
    )
    assert response.status_code == 200
    source = MonitoringSource.objects.get()
    text = response.content.decode()
    assert "shown this once" in text and source.token_prefix in text
    again = client_for(buyer).get(page).content.decode()
    assert "shown this once" not in again and "awaiting the vendor" in again
    bad = client_for(buyer).post(page, {"name": "", "kind": "probe", "interval_seconds": "0", "component_label": "c"})
    assert bad.status_code == 400
    vendor_page = client_for(vendor).get(page).content.decode()
    assert "Accept</button>" in vendor_page and "Reason for rejecting" in vendor_page
    assert client_for(vendor).post(f"{page}accept/").status_code == 400  # no source named
    done = client_for(vendor).post(f"{page}accept/", {"source": source.pk})
    assert done.status_code == 302
    source.refresh_from_db()
    assert source.status == "accepted" and source.accepted_by == vendor
    assert client_for(outsider).get(page).status_code == 404
    assert client_for(outsider).post(f"{page}revoke/", {"source": source.pk}).status_code == 404
    availability = client_for(buyer).get(f"/availability/contracts/{contract.pk}/").content.decode()
    assert "Blackbox" in availability and "source-health" in availability


@pytest.mark.parametrize("kind", ["api", "page"])
def test_sources_list_queries_do_not_grow(clock, client_for, contract, vendor, buyer, django_assert_num_queries, kind):
    client = client_for(buyer)
    url = (
        f"/api/contracts/{contract.pk}/sources/" if kind == "api" else f"/availability/contracts/{contract.pk}/sources/"
    )

    def add(n: int) -> None:
        for i in range(n):
            source, _ = sources.register_source(actor=vendor, contract=contract, name=f"S{i}-{n}", kind="probe")
            sources.accept_source(actor=buyer, source=source)

    add(2)
    client.get(url)  # warm the per-request caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(8)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_last_use_is_written_at_most_once_a_minute(clock, contract, staff, django_assert_num_queries):
    source, token = sources.register_source(actor=staff, contract=contract, name="Prom", kind="alertmanager")
    assert send("/api/monitoring/alertmanager/", token, FIRING).status_code == 201
    source.refresh_from_db()
    assert source.last_used_at == clock.now
    clock.advance(seconds=30)
    sources.note_use(source)
    with django_assert_num_queries(0):
        sources.note_use(source)  # within the minute: no write
    source.refresh_from_db()
    assert source.last_used_at == clock.now - timedelta(seconds=30)
    clock.advance(seconds=31)
    sources.note_use(source)
    source.refresh_from_db()
    assert source.last_used_at == clock.now
