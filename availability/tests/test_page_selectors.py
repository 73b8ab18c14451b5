"""The availability page reads the facts with its lists (``availability.selectors``):
the facts must be exactly those ``data.load_facts`` reads for the API and the
reports, and the lists those the page showed before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from availability.data import availability_from_facts, load_facts
from availability.models import Discrepancy, MaintenanceWindow, MonitoringSource, NoDataSpan, Outage, ProbeState
from availability.report import resolve_period
from availability.selectors import SOURCE_COLUMNS, PageReader, change_log
from availability.services import periods as av
from availability.services import reconciliation as rec
from availability.services import sources
from contracts.terms import Terms
from incidents.services import open_incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, tzinfo=UTC)
T = datetime(2026, 3, 3, 10, tzinfo=UTC)


def outage(contract, start: datetime, minutes: int, source=None, component: str = "api") -> Outage:
    return Outage.objects.create(
        contract=contract, component=component, start=start, end=start + timedelta(minutes=minutes),
        source=Outage.Source.MONITORING if source else Outage.Source.MANUAL, monitoring_source=source, reason="test",
    )  # fmt: skip


@pytest.fixture
def recorded(clock, contract, buyer, vendor):
    """Every kind of fact, counted or not, inside the span and outside it."""
    probes, _ = sources.register_source(actor=buyer, contract=contract, name="Buyer probes", kind="probe")
    probes = sources.accept_source(actor=vendor, source=probes)
    status, _ = sources.register_source(actor=vendor, contract=contract, name="Status page", kind="statuspage")
    status = sources.accept_source(actor=buyer, source=status)
    proposed, _ = sources.register_source(actor=vendor, contract=contract, name="Unaccepted", kind="probe")
    outage(contract, T, 30, probes)
    outage(contract, T + timedelta(days=1), 10, status)
    outage(contract, T + timedelta(days=2), 15, proposed)  # evidence only: does not count
    outage(contract, T + timedelta(days=3), 5)
    outage(contract, T - timedelta(days=60), 5)  # before the span
    NoDataSpan.objects.create(contract=contract, source=probes, component="api", start=T, end=T + timedelta(hours=1))
    NoDataSpan.objects.create(contract=contract, source=proposed, component="api", start=T, end=T + timedelta(hours=2))
    ProbeState.objects.create(source=probes, component="api", last_at=T + timedelta(days=5), last_up=True)
    ProbeState.objects.create(source=proposed, component="api", last_at=T + timedelta(days=5), last_up=True)
    clock.set(T + timedelta(days=4))
    open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )
    av.schedule_maintenance(
        actor=vendor, contract=contract, title="Patch", start=T + timedelta(days=6), end=T + timedelta(days=6, hours=1)
    )
    av.schedule_maintenance(
        actor=vendor,
        contract=contract,
        title="Next",
        start=NOW + timedelta(days=9),
        end=NOW + timedelta(days=9, hours=1),
    )
    terms = Terms(contract.sla_versions.get(number=1).terms)
    period = resolve_period("2026-03", terms, NOW)
    rec.reconcile_period(contract=contract, period=period, terms=terms, now=NOW)
    first, second = Discrepancy.objects.order_by("start")
    rec.propose_resolution(actor=buyer, discrepancy=first, resolution="split", reason="Both partly right.")
    rec.accept_resolution(actor=vendor, discrepancy=first)
    rec.dispute_discrepancy(actor=vendor, discrepancy=second, reason="Our page was wrong.")
    clock.set(NOW)
    return terms, period


def reader(contract, period, *, offset: int = 0, per_page: int = 20) -> PageReader:
    table = Outage.objects.filter(contract=contract)
    return PageReader(contract, now=NOW, outages=table, offset=offset, per_page=per_page, period_start=period.start)


def test_it_reads_the_facts_load_facts_reads(contract, recorded, django_assert_num_queries):
    terms, period = recorded
    span = {"start": period.start - timedelta(days=40), "end": NOW, "critical_incidents": True}
    expected = load_facts(contract, **span)
    with django_assert_num_queries(4):  # outages, windows, discrepancies, sources with the span facts
        got = reader(contract, period).load_facts(contract, **span)

    assert [o.pk for o in got.outages] == [o.pk for o in expected.outages] and len(got.outages) == 3
    assert len(got.critical_incidents) == 1
    assert [(i.pk, i.component, i.opened_at, i.restore_met_at, i.excluded) for i in got.critical_incidents] == [
        (i.pk, i.component, i.opened_at, i.restore_met_at, i.excluded) for i in expected.critical_incidents
    ]
    assert [w.pk for w in got.windows] == [w.pk for w in expected.windows] and len(got.windows) == 1
    assert [(n.pk, n.component, n.start, n.end) for n in got.no_data] == [
        (n.pk, n.component, n.start, n.end) for n in expected.no_data
    ]
    assert len(got.no_data) == 1
    assert sorted(got.silent) == sorted(expected.silent) and len(got.silent) == 1
    assert [d.pk for d in got.decisions] == [d.pk for d in expected.decisions] and len(got.decisions) == 2
    assert got.source_sides == expected.source_sides
    args = {"components": ["api"], "start": period.start, "end": period.end, "now": NOW}
    assert availability_from_facts(got, terms, **args) == availability_from_facts(expected, terms, **args)


def test_it_reads_the_lists_the_page_shows(contract, recorded):
    terms, period = recorded
    rows = reader(contract, period, offset=1, per_page=2).rows()  # no terms asked for: the lists alone
    latest = list(Outage.objects.filter(contract=contract).order_by("-start", "-id"))
    assert [o.pk for o in rows.outages] == [o.pk for o in latest[1:3]]
    upcoming = MaintenanceWindow.objects.filter(contract=contract, end__gte=NOW).order_by("start")
    assert [w.title for w in rows.upcoming] == [w.title for w in upcoming] == ["Next"]
    assert [d.pk for d in rows.items] == [d.pk for d in rec.period_items(contract, start=period.start)]
    assert [(s.name, s.status, s.counts) for s in rows.sources] == [
        ("Buyer probes", "accepted", True),
        ("Status page", "accepted", True),
        ("Unaccepted", "proposed", False),
    ]
    fields = ["pk", "contract_id", *SOURCE_COLUMNS]  # what the page reads of each source
    stored = MonitoringSource.objects.filter(contract=contract).order_by("name", "pk").values_list(*fields)
    assert [tuple(getattr(s, f) for f in fields) for s in rows.sources] == list(stored)


def test_the_change_log_brings_each_thread(contract, buyer, vendor, clock, django_assert_num_queries):
    clock.set(T)
    quiet = av.announce_change(
        actor=vendor, contract=contract, kind="security_patch", title="Quiet", planned_at=T + timedelta(days=20),
        impact="Restart",
    )  # fmt: skip
    asked = av.announce_change(
        actor=vendor, contract=contract, kind="security_patch", title="Asked", planned_at=T + timedelta(days=21),
        impact="Restart",
    )  # fmt: skip
    av.question_change(actor=buyer, notice=asked, question="Which nodes?")
    av.answer_change(actor=vendor, notice=asked, answer="All of them.")
    with django_assert_num_queries(1):
        log = change_log(contract, limit=50)
    assert [(n.pk, [m.kind for m in n.thread]) for n in log] == [(asked.pk, ["question", "answer"]), (quiet.pk, [])]
    assert [m.text for m in log[0].thread] == [m.text for m in asked.messages.all()]
    assert [n.pk for n in change_log(contract, limit=1)] == [asked.pk]


def page(client, contract, query: str = "") -> str:
    response = client.get(f"/availability/contracts/{contract.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_outage_table_pages_filters_and_counts(contract, recorded, buyer, client_for):
    client = client_for(buyer)
    for i in range(25):
        outage(contract, T - timedelta(days=10, minutes=i), 1, component="web")
    html = page(client, contract)
    assert "30 outages." in html and "Page 1 of 2" in html
    last = page(client, contract, "?page=2")
    assert "Page 2 of 2" in last and last.count('<td class="muted">') >= 10
    assert "Page 2 of 2" in page(client, contract, "?page=9")  # past the end: the last page, as before
    assert "Page 1 of 2" in page(client, contract, "?page=x")
    assert "25 outages match the filters" in page(client, contract, "?component=web")
    assert "0 outages match the filters" in page(client, contract, "?since=not-a-date")


def test_a_contract_without_terms_shows_its_lists(clock, contract, buyer, client_for):
    sources.register_source(actor=buyer, contract=contract, name="Buyer probes", kind="probe")
    outage(contract, T, 5)
    MaintenanceWindow.objects.create(
        contract=contract, title="Next", start=NOW + timedelta(days=9), end=NOW + timedelta(days=9, hours=1),
        announced_at=T,
    )  # fmt: skip
    contract.sla_versions.all().delete()
    clock.set(NOW)
    html = page(client_for(buyer), contract)
    assert "has no SLA in force yet" in html
    assert "Buyer probes" in html and "Next" in html and "1 outage." in html


def test_a_stranger_gets_a_404(contract, outsider, client_for):
    assert client_for(outsider).get(f"/availability/contracts/{contract.pk}/").status_code == 404
