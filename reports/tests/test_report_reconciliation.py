"""The service report names the sources that counted and shows the
reconciliation between them; the close marks open discrepancies disputed, and
a dispute about that time opens in one step."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from availability.models import Discrepancy, Outage
from availability.services import reconciliation as rec
from availability.services import sources
from core.errors import Conflict, InvalidInput
from disputes.models import Dispute
from disputes.services.discrepancies import discrepancy_dispute_open
from reports.services import close_period, render_report_pdf
from reports.tests.factories import at

pytestmark = pytest.mark.django_db

NOV_5 = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def _down(contract, source, start: datetime, minutes: int) -> None:
    Outage.objects.create(
        contract=contract,
        component="api",
        start=start,
        end=start + timedelta(minutes=minutes),
        source=Outage.Source.MONITORING,
        monitoring_source=source,
    )


@pytest.fixture
def reconciled(clock, contract, buyer, vendor):
    """October 2026: the buyer's probes saw 30 minutes down the status page did not (left open),
    the status page 20 minutes the probes did not (split by agreement)."""
    clock.set(datetime(2026, 9, 20, tzinfo=UTC))
    probes, _ = sources.register_source(actor=buyer, contract=contract, name="Buyer probes", kind="probe")
    sources.accept_source(actor=vendor, source=probes)
    status, _ = sources.register_source(actor=vendor, contract=contract, name="Acme status page", kind="statuspage")
    sources.accept_source(actor=buyer, source=status)
    _down(contract, probes, at(10, 10), 30)
    _down(contract, status, at(12, 8), 20)
    clock.set(datetime(2026, 10, 20, tzinfo=UTC))
    rec.reconcile_open_periods(now=clock.now)
    split = Discrepancy.objects.get(start=at(12, 8))
    rec.propose_resolution(actor=buyer, discrepancy=split, resolution="split", reason="Both partly right.")
    rec.accept_resolution(actor=vendor, discrepancy=split)
    clock.set(NOV_5)
    return probes, status


def test_the_close_freezes_sources_and_reconciliation_and_the_pdf_shows_them(contract, buyer, vendor, reconciled):
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    s = report.snapshot
    assert s["schema"] == 3
    api = next(row for row in s["sources"] if row["component"] == "api")
    assert [(x["name"], x["kind"], x["side"], x["accepted_by"]) for x in api["sources"]] == [
        ("Acme status page", "statuspage", "vendor", buyer.get_full_name() or buyer.username),
        ("Buyer probes", "probe", "buyer", vendor.get_full_name() or vendor.username),
    ]
    r = s["reconciliation"]
    assert (r["items"], r["resolved"], r["disputed"], r["disputed_seconds"]) == (2, 1, 1, 1800)
    assert Discrepancy.objects.get(start=at(10, 10)).reason == rec.CLOSE_REASON
    # 30 disputed minutes count as the buyer's probes saw them, plus half the split 20
    assert s["availability"]["downtime_minutes"] == "40.000"

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render_report_pdf(report))).pages)
    flat = re.sub(r"\s+", " ", text)
    assert "Sources that counted" in flat and "Buyer probes (probe, buyer, accepted by" in flat
    assert "Acme status page (statuspage, vendor" in flat
    assert "2 discrepancies between sources; 1 resolved by agreement, 1 disputed (30 min disputed time)" in flat
    assert "resolved: split, half counts" in flat and rec.CLOSE_REASON in flat


def test_an_old_snapshot_without_the_keys_still_renders(contract, reconciled):
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    for key in ("sources", "reconciliation"):
        report.snapshot.pop(key)
    report.snapshot["schema"] = 2
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render_report_pdf(report))).pages)
    assert "October 2026" in text and "Sources that counted" not in text


def test_a_dispute_about_disputed_time_opens_in_one_step(contract, buyer, reconciled):
    item = Discrepancy.objects.get(start=at(10, 10))
    with pytest.raises(Conflict):  # open: resolve it or mark it disputed first
        discrepancy_dispute_open(actor=buyer, discrepancy=item, statement="x")
    item = rec.dispute_discrepancy(actor=buyer, discrepancy=item, reason="Probes are right.")
    with pytest.raises(Conflict):  # the period has not closed: no report to dispute yet
        discrepancy_dispute_open(actor=buyer, discrepancy=item, statement="x")
    close_period(contract=contract, period="2026-10", now=NOV_5)
    item.refresh_from_db()
    with pytest.raises(InvalidInput):
        discrepancy_dispute_open(actor=buyer, discrepancy=item, statement=" ")
    dispute = discrepancy_dispute_open(actor=buyer, discrepancy=item, statement="Our probes saw the outage.")
    assert dispute.subject_type == Dispute.Subject.REPORT_LINE and dispute.subject_id.endswith(f"discrepancy {item.pk}")
    assert "Disputed time: api" in dispute.title


def test_the_one_step_form_opens_the_dispute(client_for, contract, buyer, reconciled):
    close_period(contract=contract, period="2026-10", now=NOV_5)
    item = Discrepancy.objects.get(start=at(10, 10))
    path = f"/ledger/discrepancies/{item.pk}/dispute/"
    refused = client_for(buyer).post(path, {"statement": ""})
    assert refused.status_code == 302 and "#reconciliation" in refused["Location"]
    opened = client_for(buyer).post(path, {"statement": "Our probes saw it."})
    dispute = Dispute.objects.get()
    assert opened.status_code == 302 and opened["Location"].endswith(f"/disputes/{dispute.pk}/")
