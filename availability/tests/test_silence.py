"""Silence is a finding: an accepted source that stops posting raises one
alert per silent span, and the span is no data, never up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from accounts.models import Notification
from availability.data import period_availability
from availability.models import NoDataSpan, SourceSilence
from availability.services import sources
from availability.tasks import watch_silent_sources
from contracts.terms import Terms

pytestmark = pytest.mark.django_db

PROBES = "/api/monitoring/probes/"


def probe(at: datetime, up: bool = True) -> str:
    return f'[{{"timestamp": "{at.isoformat()}", "component": "api", "up": {"true" if up else "false"}}}]'


def post(token: str, body: str) -> int:
    return (
        Client().post(PROBES, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
    )


def test_silent_source_alerts_once_and_counts_as_no_data(clock, contract, staff, buyer, vendor):
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    source, token = sources.register_source(
        actor=staff, contract=contract, name="Probes", kind="probe", interval_seconds=60
    )
    assert post(token, probe(clock.now)) == 201
    clock.advance(minutes=9)
    assert watch_silent_sources() == {"extended": 0, "opened": 0}  # under the 10-minute floor
    clock.advance(minutes=2)
    assert watch_silent_sources()["opened"] == 1
    silence = SourceSilence.objects.get()
    assert silence.started_at == datetime(2026, 3, 10, 9, 1, tzinfo=UTC) and silence.ended_at is None
    span = NoDataSpan.objects.get(source=source)
    assert (span.component, span.start, span.end) == ("api", silence.started_at, clock.now)
    told = Notification.objects.filter(event="source.stale")
    assert {n.user for n in told} >= {buyer, vendor} and told.count() == len({n.user_id for n in told})
    count = told.count()

    clock.advance(hours=5)
    assert watch_silent_sources() == {"extended": 1, "opened": 0}  # the same span: no second alert
    assert SourceSilence.objects.count() == 1 and Notification.objects.filter(event="source.stale").count() == count
    assert NoDataSpan.objects.get(source=source).end == clock.now

    # Never "100 %" over the silence: the silent hours are unmonitored, not up.
    terms = Terms(contract.sla_versions.get(number=1).terms)
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    result = period_availability(contract, terms, start=start, end=clock.now, now=clock.now).result
    assert result.components["api"].unmonitored_us >= int(timedelta(hours=5).total_seconds() * 1_000_000)
    assert result.components["api"].coverage < 10
    assert not result.components["api"].measured  # under the minimum coverage: no figure at all

    # Heard from again: the silence and its no-data span end there.
    clock.advance(minutes=3)
    assert post(token, probe(clock.now)) == 201
    silence.refresh_from_db()
    source.refresh_from_db()
    assert silence.ended_at == clock.now and source.silent_since is None
    assert NoDataSpan.objects.get(source=source, start=silence.started_at).end == clock.now
    clock.advance(minutes=30)
    assert watch_silent_sources()["opened"] == 1  # a new silent span: a new alert
    assert SourceSilence.objects.count() == 2


def test_only_accepted_cadenced_sources_are_watched(clock, contract, staff, vendor):
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    sources.register_source(actor=vendor, contract=contract, name="Proposed", kind="probe")
    sources.register_source(actor=staff, contract=contract, name="Pager", kind="pagerduty")
    revoked, _ = sources.register_source(actor=staff, contract=contract, name="Gone", kind="probe")
    sources.revoke_source(actor=staff, source=revoked)
    clock.advance(hours=2)
    assert watch_silent_sources()["opened"] == 0
    assert not SourceSilence.objects.exists()


def test_the_threshold_is_three_intervals_past_the_floor(clock, contract, staff):
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    source, token = sources.register_source(
        actor=staff, contract=contract, name="Slow", kind="probe", interval_seconds=600
    )
    post(token, probe(clock.now))
    clock.advance(minutes=29)
    assert watch_silent_sources()["opened"] == 0
    clock.advance(minutes=2)
    assert watch_silent_sources()["opened"] == 1
    assert sources.silence_threshold(source) == timedelta(minutes=30)
