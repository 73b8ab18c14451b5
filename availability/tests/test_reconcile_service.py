"""Reconciliation between counted sources: finding discrepancies, resolving
them by agreement, and what each resolution does to availability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Notification
from audit.models import AuditEntry
from availability.data import period_availability
from availability.models import Discrepancy, MonitoringSource, Outage
from availability.report import resolve_period
from availability.services import reconciliation as rec
from availability.services import sources
from contracts.terms import Terms
from core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, tzinfo=UTC)
T = datetime(2026, 3, 3, 10, tzinfo=UTC)


def _terms(contract) -> Terms:
    return Terms(contract.sla_versions.get(number=1).terms)


def _period(contract):
    return resolve_period("2026-03", _terms(contract), NOW)


def _outage(contract, source: MonitoringSource, start: datetime, minutes: int, component: str = "api") -> Outage:
    return Outage.objects.create(
        contract=contract,
        component=component,
        start=start,
        end=start + timedelta(minutes=minutes),
        source=Outage.Source.MONITORING,
        monitoring_source=source,
    )


@pytest.fixture
def two_sources(clock, contract, buyer, vendor):
    probes, _ = sources.register_source(actor=buyer, contract=contract, name="Buyer probes", kind="probe")
    sources.accept_source(actor=vendor, source=probes)
    status, _ = sources.register_source(actor=vendor, contract=contract, name="Status page", kind="statuspage")
    sources.accept_source(actor=buyer, source=status)
    return probes, status


def reconcile(contract, **kw):
    return rec.reconcile_period(contract=contract, period=_period(contract), terms=_terms(contract), now=NOW, **kw)


def api_down_seconds(contract) -> int:
    p = _period(contract)
    data = period_availability(contract, _terms(contract), start=p.start, end=p.end, now=NOW)
    return data.result.components["api"].downtime_us // 1_000_000


def test_it_finds_disagreements_beyond_the_tolerance_and_is_idempotent(contract, buyer, vendor, two_sources):
    probes, status = two_sources
    _outage(contract, probes, T, 30)  # the buyer's probes: down 30 min, the status page says up
    _outage(contract, probes, T + timedelta(days=1), 4)  # under the 300 s tolerance: left as recorded
    _outage(contract, probes, T + timedelta(days=2), 20, component="web")
    _outage(contract, status, T + timedelta(days=2), 20, component="web")  # they agree
    assert reconcile(contract) == rec.Reconciled(opened=1, kept=0, replaced=0, disputed_at_close=0)
    item = Discrepancy.objects.get()
    assert (item.component, item.start, item.end, item.period) == ("api", T, T + timedelta(minutes=30), "2026-03")
    assert (item.down_sources, item.up_sources, item.down_seconds) == ([probes.pk], [status.pk], {str(probes.pk): 1800})
    assert item.status == Discrepancy.Status.OPEN
    assert {n.user for n in Notification.objects.filter(event="discrepancy.opened")} >= {buyer, vendor}
    assert AuditEntry.objects.filter(verb="discrepancy.reconciled").count() == 1

    assert reconcile(contract) == rec.Reconciled(opened=0, kept=1, replaced=0, disputed_at_close=0)
    assert Discrepancy.objects.get().pk == item.pk
    # the data changes: the open item is replaced
    Outage.objects.filter(start=T).update(end=T + timedelta(minutes=40))
    assert reconcile(contract) == rec.Reconciled(opened=1, kept=0, replaced=1, disputed_at_close=0)
    assert Discrepancy.objects.get().end == T + timedelta(minutes=40)


def test_a_longer_tolerance_in_the_terms_hides_short_disagreements(contract, two_sources):
    probes, _ = two_sources
    _outage(contract, probes, T, 30)
    terms = _terms(contract)
    terms.data["uptime"]["reconciliation_tolerance_seconds"] = 1800
    rec.reconcile_period(contract=contract, period=_period(contract), terms=terms, now=NOW)
    assert not Discrepancy.objects.exists()
    assert rec.tolerance_seconds(_terms(contract)) == 300


def test_resolution_by_agreement_and_what_it_counts(contract, buyer, vendor, buyer_viewer, two_sources):
    probes, status = two_sources
    _outage(contract, probes, T, 30)
    reconcile(contract)
    item = Discrepancy.objects.get()
    assert api_down_seconds(contract) == 1800  # open: the records count as they are (any source down)

    with pytest.raises(InvalidInput) as bad:
        rec.propose_resolution(actor=vendor, discrepancy=item, resolution="source", source_id=999, reason="x")
    assert "source" in bad.value.errors
    with pytest.raises(InvalidInput):
        rec.propose_resolution(actor=vendor, discrepancy=item, resolution="source", source_id=status.pk, reason=" ")
    with pytest.raises(NotPermitted):
        rec.propose_resolution(actor=buyer_viewer, discrepancy=item, resolution="split", reason="Half")
    with pytest.raises(Conflict):
        rec.accept_resolution(actor=buyer, discrepancy=item)  # nothing proposed

    rec.propose_resolution(
        actor=vendor, discrepancy=item, resolution="source", source_id=status.pk, reason="A probe region failed."
    )
    assert Notification.objects.filter(user=buyer, event="discrepancy.resolved").exists()
    with pytest.raises(NotPermitted):
        rec.accept_resolution(actor=vendor, discrepancy=item)  # not your own proposal
    done = rec.accept_resolution(actor=buyer, discrepancy=item)
    assert (done.status, done.resolution, done.picked_source, done.decided_by) == ("resolved", "source", status, buyer)
    assert api_down_seconds(contract) == 0  # the status page's view counts: up
    assert {"discrepancy.proposed", "discrepancy.resolved"} <= set(AuditEntry.objects.values_list("verb", flat=True))
    with pytest.raises(Conflict):
        rec.dispute_discrepancy(actor=vendor, discrepancy=item, reason="Too late")

    # re-running never touches a decided item, nor finds its interval again
    assert reconcile(contract) == rec.Reconciled(opened=0, kept=0, replaced=0, disputed_at_close=0)
    assert Discrepancy.objects.get().status == "resolved"


def test_split_counts_half_and_disputed_counts_the_buyers_probes(contract, buyer, vendor, two_sources):
    probes, status = two_sources
    _outage(contract, probes, T, 30)
    _outage(contract, status, T + timedelta(days=1), 10)  # the vendor's page says down, the probes up
    reconcile(contract)
    first, second = Discrepancy.objects.order_by("start")
    assert api_down_seconds(contract) == 2400

    rec.propose_resolution(actor=buyer, discrepancy=first, resolution="split", reason="Both partly right.")
    rec.accept_resolution(actor=vendor, discrepancy=first)
    assert api_down_seconds(contract) == 900 + 600

    rec.dispute_discrepancy(actor=vendor, discrepancy=second, reason="Our page was wrong, but so what.")
    second.refresh_from_db()
    assert (second.status, second.resolution) == ("disputed", "disputed")
    assert api_down_seconds(contract) == 900  # the buyer's probes said up
    s = rec.summary(rec.period_items(contract, start=_period(contract).start))
    assert s == {"items": 2, "open": 0, "resolved": 1, "disputed": 1, "disputed_seconds": 600, "seconds": 2400}


def test_the_close_marks_open_items_disputed(contract, two_sources):
    probes, _ = two_sources
    _outage(contract, probes, T, 30)
    result = reconcile(contract, closing=True)
    assert result.opened == 1 and result.disputed_at_close == 1
    item = Discrepancy.objects.get()
    assert (item.status, item.reason) == ("disputed", rec.CLOSE_REASON)
    assert api_down_seconds(contract) == 1800
    assert AuditEntry.objects.filter(verb="discrepancy.disputed_at_close").exists()


def test_one_source_has_nothing_to_disagree_with(contract, buyer, vendor, clock):
    probes, _ = sources.register_source(actor=buyer, contract=contract, name="Buyer probes", kind="probe")
    sources.accept_source(actor=vendor, source=probes)
    _outage(contract, probes, T, 30)
    proposed, _ = sources.register_source(actor=vendor, contract=contract, name="Not accepted", kind="statuspage")
    assert reconcile(contract).opened == 0  # a source awaiting acceptance does not count
