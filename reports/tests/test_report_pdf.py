"""The report PDF, rendered for real by WeasyPrint and read back with pypdf."""

from __future__ import annotations

import hashlib
import io
import os
import re
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from availability.models import ChangeNotice, MaintenanceWindow
from reports.services import close_period, render_report_pdf, store_pdf
from reports.tests.factories import add_incident, add_outage, at, downtime_for

NOV_5 = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def _rich_period(contract) -> None:
    """A period with something in every section."""
    for month in range(4, 10):  # earlier reports feed the 12-period chart
        add_outage(contract, start=at(3, month=month), minutes=10 * month)
        close_period(contract=contract, period=f"2026-{month:02d}", now=NOV_5)
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    add_incident(contract, opened_at=at(10, 0, 10), resolve_after=290, title="Payments API returns 502", satisfaction=2)
    add_incident(contract, opened_at=at(10, 1, 0), resolve_after=300, title="Settlement batch stuck", satisfaction=3)
    add_incident(contract, opened_at=at(14, 9), severity="high", resolve_after=200, satisfaction=5)
    add_incident(contract, opened_at=at(20, 9), severity="medium", environment="non_production", resolve_after=2000)
    add_incident(contract, opened_at=at(30, 22), severity="low", resolve_after=None, satisfaction=None)
    MaintenanceWindow.objects.create(
        contract=contract,
        title="Database upgrade",
        components=["api"],
        start=at(18, 1),
        end=at(18, 3),
        actual_end=at(18, 3, 40),
        announced_at=at(1),
    )
    ChangeNotice.objects.create(
        contract=contract,
        kind="major_release",
        title="Release 7.0",
        planned_at=at(22, 6),
        impact="New checkout flow",
        announced_at=at(15),
        required_notice_days=30,
        late=True,
    )


def test_pdf_shows_parties_period_figures_and_checksum(contract):
    _rich_period(contract)
    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    content = render_report_pdf(report)

    assert content.startswith(b"%PDF")
    out = os.environ.get("REPORT_PDF_OUT")
    if out:  # for looking at it: REPORT_PDF_OUT=var/report.pdf pytest ...
        with open(out, "wb") as handle:
            handle.write(content)
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", "", text)
    assert "Northwind Bank" in text and "Acme Cloud" in text
    assert "October 2026" in text
    assert report.snapshot["availability"]["value"] == "98.410"  # 669.6 min outage + 40 min maintenance overrun
    assert "98.410 %" in text
    assert "EUR 1,400.00" in text
    assert report.checksum in flat
    assert "Release7.0" in flat and "Databaseupgrade" in flat
    assert len(reader.pages) >= 3
    assert "Page 1 of" in text


def test_store_pdf_once_with_its_hash(contract):
    add_outage(contract, start=at(10), minutes=30)
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    stored = store_pdf(report)
    with stored.pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == stored.pdf_sha256
    name = stored.pdf.name
    assert store_pdf(stored).pdf.name == name  # a second call renders nothing new


def test_report_due_and_period_helpers():
    from core import periods

    p = periods.parse("2026-Q4", zone="Europe/Berlin")
    assert p.start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    assert p.end == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert periods.report_due_date(p, 5).isoformat() == "2027-01-05"
    assert p.end - p.start == timedelta(days=92, hours=1)
