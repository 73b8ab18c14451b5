"""The scale generator: counts, mixes, stored clocks against the engine, and
reports that verify. A reduced size keeps the test fast; `--size small` is the
same code with more rows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from audit.services import verify_chain
from contracts.models import Contract, SLAVersion, SLAVersionAcceptance
from demo import scale
from incidents import sla
from incidents.models import TARGET_KINDS, Incident
from reports.models import Credit, ServiceReport
from reports.services import verify_reports

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
STORED = [f"{k}_{s}" for k in TARGET_KINDS for s in ("due_at", "met_at", "elapsed", "breached")] + [
    "breached",
    "next_due_at",
    "next_risk_at",
]


@pytest.fixture
def generated(db, monkeypatch):
    # Two processes compute the clocks (chunks of 1,000): the forked path is the one checked.
    monkeypatch.setattr(scale, "CHUNK", 1_000)
    return scale.generate(contracts=8, incidents=3_000, months=3, seed=5, close_contracts=2, workers=2, now=NOW)


def test_it_writes_the_expected_rows(generated):
    contracts = Contract.objects.filter(reference__startswith="SCALE-5-")
    assert contracts.count() == 8 == generated.counts["contracts"]
    assert Incident.objects.filter(contract__in=contracts).count() == 3_000 == generated.counts["incidents"]
    assert generated.counts["outages"] > 0
    assert Contract.objects.filter(pk__in=contracts, vendor_acceptance=Contract.VendorAcceptance.ACCEPTED).count() == 8
    for version in SLAVersion.objects.filter(contract__in=contracts):
        assert version.status == SLAVersion.Status.ACTIVE
        sides = {a.side: a.checksum for a in SLAVersionAcceptance.objects.filter(version=version)}
        assert sides == {"buyer": version.consent_checksum, "vendor": version.consent_checksum}
        assert SLAVersion.objects.for_contract(version.contract_id).in_force_at(NOW) == version


def test_it_mixes_severities_breaches_and_pauses(generated):
    incidents = Incident.objects.filter(contract__reference__startswith="SCALE-5-")
    n = incidents.count()
    mix = Counter(incidents.values_list("severity", flat=True))
    assert 0.005 < mix["critical"] / n < 0.04
    assert 0.44 < mix["low"] / n < 0.56
    assert 0.05 < incidents.filter(breached=True).count() / n < 0.14
    assert 0.03 < generated.counts["pauses"] / n < 0.07
    assert 0.7 < incidents.filter(environment="production").count() / n < 0.9


def test_stored_clocks_equal_the_engine_one_by_one(generated):
    sample = list(
        Incident.objects.filter(contract__reference__startswith="SCALE-5-")
        .select_related("sla_version")
        .prefetch_related("pauses")
        .order_by("?")[:150]
    )
    paused = Incident.objects.filter(pauses__isnull=False, contract__reference__startswith="SCALE-5-")
    sample += list(paused.select_related("sla_version").prefetch_related("pauses")[:30])
    assert any(i.breached for i in sample)
    for incident in sample:
        stored = {name: getattr(incident, name) for name in STORED}
        sla.recompute(incident, now=NOW)
        assert {name: getattr(incident, name) for name in STORED} == stored, incident.pk


def test_reports_and_the_audit_chain_verify(generated):
    # Two contracts, three ended months each, closed by the real close.
    assert generated.counts["reports"] == 6 == ServiceReport.objects.count()
    assert generated.counts["credits"] == Credit.objects.count()
    assert verify_reports() == []
    assert verify_chain().ok


def test_the_command_refuses_a_second_run_with_the_same_seed(db):
    call_command("generate_scale", "--contracts", "2", "--incidents", "20", "--months", "1", "--seed", "7")
    with pytest.raises(Exception, match="exists already"):
        call_command("generate_scale", "--contracts", "2", "--incidents", "20", "--months", "1", "--seed", "7")
