"""``POST /api/monitoring/requests/`` and ``record_tallies``: request tallies from a
source's token, validated whole, replaced when re-sent, audited once per batch;
``request_uptime`` reading them back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEntry
from availability.models import RawPayload, RequestTally
from availability.requests import request_uptime
from availability.services import monitoring, sources
from availability.services import requests as tallies
from contracts.tests.factories import make_contract
from core.errors import InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

URL = "/api/monitoring/requests/"
DAY = datetime(2026, 3, 1, tzinfo=UTC)  # the clock fixture stands at 2026-03-02 09:00 UTC


def row(minute: int, total: int, failed: int, component: str = "api", minutes: int = 5) -> dict[str, Any]:
    start = DAY + timedelta(minutes=minute)
    return {
        "component": component,
        "interval_start": start.isoformat().replace("+00:00", "Z"),
        "interval_minutes": minutes,
        "total": total,
        "failed": failed,
    }


def post(token: str, body: Any) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return Client().post(URL, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def probe(contract, staff):
    return monitoring.create_source(actor=staff, contract=contract, name="Edge logs", kind="probe")


def uptime(contract, rule: str = "interval_average", hours: int = 1, components=("api", "web")):
    return request_uptime(
        contract=contract, components=list(components), start=DAY, end=DAY + timedelta(hours=hours), rule=rule
    )


def test_it_stores_a_batch_and_the_figure_reads_it(clock, contract, probe):
    source, token = probe
    response = post(token, {"tallies": [row(0, 100, 10), row(5, 200, 0), row(0, 50, 0, component="web")]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["tallies"], body["created"], body["replaced"], body["duplicate"]) == (3, 3, 0, False)
    assert body["components"] == ["api", "web"]
    assert body["first_interval"] == "2026-03-01T00:00:00Z" and body["last_interval"] == "2026-03-01T00:05:00Z"
    stored = RequestTally.objects.get(component="api", interval_start=DAY)
    assert (stored.total, stored.failed, stored.source_id, stored.contract_id) == (100, 10, source.pk, contract.pk)
    assert stored.received_at == clock.now
    assert json.loads(RawPayload.objects.get(pk=body["payload_id"]).body)["tallies"][1]["total"] == 200
    assert AuditEntry.objects.filter(verb="monitoring.requests_ingested").count() == 1

    # 12 intervals in the hour: the first has 10 of 150 failed, the rest none (or no tally)
    figure = uptime(contract)
    assert figure.exact == 100 - Fraction(100, 15) / 12
    assert figure.coverage == Fraction(100 * 2, 12) and figure.intervals == 12
    assert (figure.requests, figure.failed) == (350, 10)
    assert uptime(contract, rule="total_ratio").exact == 100 - Fraction(100 * 10, 350)
    assert uptime(contract, components=("reporting",)).exact is None


def test_a_resent_tally_replaces_the_earlier_one(clock, contract, probe):
    source, token = probe
    first = {"tallies": [row(0, 100, 10), row(5, 200, 0)]}
    assert post(token, first).status_code == 201
    clock.advance(minutes=3)
    again = post(token, {"tallies": [row(0, 120, 12), row(10, 10, 0)]})
    assert again.status_code == 201 and (again.json()["created"], again.json()["replaced"]) == (1, 1)
    assert RequestTally.objects.count() == 3
    replaced = RequestTally.objects.get(interval_start=DAY)
    assert (replaced.total, replaced.failed, replaced.received_at) == (120, 12, clock.now)

    same = post(token, {"tallies": [row(0, 120, 12)]})
    assert same.status_code == 200 and (same.json()["created"], same.json()["replaced"]) == (0, 1)
    # the very same bytes again: known evidence, applied again, nothing changes
    repeat = post(token, first)
    assert repeat.status_code == 200 and repeat.json()["duplicate"] is True
    assert RequestTally.objects.get(interval_start=DAY).total == 100  # the latest received wins
    assert RequestTally.objects.count() == 3
    assert AuditEntry.objects.filter(verb="monitoring.requests_ingested").count() == 4  # one per batch


def test_failed_above_total_refuses_the_whole_batch(clock, probe):
    _source, token = probe
    response = post(token, {"tallies": [row(0, 10, 0), row(5, 10, 11)]})
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["tallies[1].failed"]
    assert "failed cannot exceed total" in body["errors"]["tallies[1].failed"][0]
    assert not RequestTally.objects.exists() and not RawPayload.objects.exists()
    assert not AuditEntry.objects.filter(verb="monitoring.requests_ingested").exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"interval_start": "2026-03-01T00:03:00Z"}, "interval_start", "Must start a 5-minute interval"),
        ({"interval_start": "2026-03-01T00:05:00.5Z"}, "interval_start", "Must start a 5-minute interval"),
        ({"interval_start": "2026-03-01T00:05:00"}, "interval_start", "has no time zone"),
        ({"interval_start": "2026-03-02T09:00:00Z"}, "interval_start", "has not ended"),
        ({"interval_start": "2024-01-01T00:00:00Z"}, "interval_start", "Older than"),
        ({"interval_minutes": 7}, "interval_minutes", "Must be one of"),
        ({"interval_minutes": True}, "interval_minutes", "Must be one of"),
        ({"total": -1}, "total", "Must be from 0"),
        ({"total": 10**13}, "total", "Must be from 0"),
        ({"failed": "3"}, "failed", "whole number"),
        ({"component": ""}, "component", "Required"),
        ({"colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_each_bad_value_is_named_by_its_path(clock, probe, change, field, words):
    _source, token = probe
    response = post(token, {"tallies": [row(0, 10, 0), {**row(5, 10, 1), **change}]})
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert words in errors[f"tallies[1].{field}"][0], errors
    assert not RequestTally.objects.exists()


def test_the_envelope_and_repeats_in_one_batch(clock, probe):
    _source, token = probe
    assert post(token, [row(0, 1, 0)]).json()["errors"] == {"body": ["Must be a JSON object."]}
    assert "tallies" in post(token, {"tallies": {}}).json()["errors"]
    assert "tallies" in post(token, {"tallies": []}).json()["errors"]
    assert post(token, {"tallies": [7]}).json()["errors"]["tallies[0]"]
    twice = post(token, {"tallies": [row(0, 1, 0), row(0, 2, 0)]}).json()
    assert twice["errors"] == {"tallies[1]": ["Repeats tallies[0] (same component and interval): send each once."]}
    # the same interval at another granularity is another tally
    assert post(token, {"tallies": [row(0, 1, 0), row(0, 1, 0, minutes=1)]}).status_code == 201


def test_another_contracts_component_is_refused_without_naming_it(clock, contract, probe, buyer_org, vendor_org):
    make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-OTHER", covered_components=["ledger-export"])
    _source, token = probe
    response = post(token, {"tallies": [row(0, 10, 0, component="ledger-export")]})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "tallies[0].component": ["Not a component of this contract (api, reporting, web)."]
    }
    assert b"C-OTHER" not in response.content
    assert not RequestTally.objects.exists()


def test_it_needs_a_valid_token_and_a_measuring_source(clock, contract, staff, probe):
    assert Client().post(URL, "{}", content_type="application/json").status_code == 401
    assert post("cvm_not-a-token", {"tallies": [row(0, 1, 0)]}).status_code == 401
    _jira, jira_token = monitoring.create_source(actor=staff, contract=contract, name="Service desk", kind="jira")
    refused = post(jira_token, {"tallies": [row(0, 1, 0)]})
    assert refused.status_code == 403 and "register a probe source" in refused.json()["detail"]
    source, token = probe
    sources.revoke_source(actor=staff, source=source)
    assert post(token, {"tallies": [row(0, 1, 0)]}).status_code == 401
    assert not RequestTally.objects.exists()


def test_more_than_ten_thousand_tallies_is_413(clock, probe):
    _source, token = probe
    rows = [row(5 * (i // 3), 1, 0, component=("api", "web", "reporting")[i % 3]) for i in range(10_001)]
    response = post(token, {"tallies": rows})
    assert response.status_code == 413
    assert "10,000" in response.json()["detail"] and "tallies" in response.json()["errors"]
    assert not RequestTally.objects.exists()


def test_the_ingestion_query_count_does_not_grow_with_the_batch(
    clock, probe, django_assert_num_queries, django_assert_max_num_queries
):
    _source, token = probe

    def batch(n: int, offset: int) -> dict[str, Any]:
        return {"tallies": [row(5 * (offset + i // 3), 7, 1, ("api", "web", "reporting")[i % 3]) for i in range(n)]}

    clock.advance(minutes=2)  # each post records the token's use (at most once a minute)
    with django_assert_max_num_queries(17) as small:
        assert post(token, batch(10, 0)).status_code == 201
    clock.advance(minutes=2)
    with django_assert_num_queries(len(small.captured_queries)):
        response = post(token, batch(1000, 10))
    assert response.status_code == 201 and response.json()["created"] == 1000
    assert RequestTally.objects.count() == 1010


def test_only_tallies_of_accepted_sources_count(clock, contract, buyer, vendor):
    source, token = sources.register_source(actor=buyer, contract=contract, name="Buyer's probes", kind="probe")
    assert post(token, {"tallies": [row(0, 10, 5)]}).status_code == 201  # kept, not yet counted
    assert uptime(contract).exact is None
    sources.accept_source(actor=vendor, source=source)
    assert uptime(contract).exact == 100 - Fraction(50, 12)


def test_the_highest_error_rate_counts_across_sources_in_one_query(
    clock, contract, staff, probe, django_assert_num_queries
):
    _a, a_token = probe
    _b, b_token = monitoring.create_source(actor=staff, contract=contract, name="Prometheus", kind="alertmanager")
    post(a_token, {"tallies": [row(0, 1000, 10), row(5, 100, 0)]})
    post(b_token, {"tallies": [row(0, 10, 1), row(5, 100, 2)]})
    with django_assert_num_queries(1):
        figure = uptime(contract, rule="total_ratio")
    # interval 0: 10 % (b) beats 1 %; interval 5: 2 % (b) beats 0 %
    assert (figure.requests, figure.failed) == (110, 3)
    assert figure.exact == 100 - Fraction(300, 110)


def test_the_service_refuses_a_paging_source_and_reports_many_errors_at_once(clock, contract, staff):
    pager, _token = monitoring.create_source(actor=staff, contract=contract, name="Pager", kind="pagerduty")
    with pytest.raises(NotPermitted):
        tallies.record_tallies(source=pager, rows=[row(0, 1, 0)])
    probe_source, _ = monitoring.create_source(actor=staff, contract=contract, name="Probes", kind="probe")
    with pytest.raises(InvalidInput) as bad:
        tallies.record_tallies(source=probe_source, rows=[row(5 * i, 1, 2) for i in range(50)])
    assert len(bad.value.errors) == 20 and "tallies[0].failed" in bad.value.errors


def test_a_month_of_tallies_reads_back_in_well_under_a_second(clock, contract, probe):
    source, _token = probe
    now = clock.now
    RequestTally.objects.bulk_create(
        [
            RequestTally(
                contract=contract,
                source=source,
                component="api",
                interval_start=DAY - timedelta(days=30) + timedelta(minutes=5 * i),
                interval_minutes=5,
                total=1000 + i,
                failed=i % 7,
                received_at=now,
            )
            for i in range(8640)
        ],
        batch_size=2000,
    )
    started = time.perf_counter()
    figure = request_uptime(
        contract=contract, components=["api"], start=DAY - timedelta(days=30), end=DAY, rule="interval_average"
    )
    elapsed = time.perf_counter() - started
    assert figure.intervals == 8640 and figure.coverage == 100
    expected = 100 - 100 * sum(Fraction(i % 7, 1000 + i) for i in range(8640)) / 8640
    assert figure.exact == expected
    assert elapsed < 1.0, f"{elapsed:.3f}s"
