"""The availability page and API read closed periods from their stored reports and
run a fixed number of queries, whatever the number of months, outages, components,
maintenance windows and change notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from availability.models import MonitoringSource
from availability.report import ClosedPeriod, PeriodReport, TermsBook, history, history_chart, period_report
from availability.services import periods as av
from availability.services import sources as monitoring
from contracts.tests.factories import make_contract
from core.periods import Period, last_n, period_of
from reports.services.reports import close_period
from reports.tests.factories import add_outage

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
# Pinned, the same for every size: session, user, memberships, the terms with their contract (the
# viewer's board seat, calendar feed and outage count read with it), stored reports, and one query
# per table for the facts of the open and selected periods and the page's lists (availability.selectors):
# outages (those that count and the table's page), windows (judged and upcoming), discrepancies
# (decided and the period's), the sources with their no-data spans, silent probes and critical
# incidents, and the change notices with their messages.
PAGE_QUERIES = 10
# Session, user, memberships, contract, terms and the period's facts (six tables).
API_QUERIES = 11
ENDED = last_n(period_of(NOW, kind="month", zone="UTC"), 12)[:-1]  # Dec 2025 .. Oct 2026


def month(p: Period, day: int, hour: int = 10) -> datetime:
    return p.start.replace(day=day, hour=hour)


def world(
    clock, buyer, vendor, *, reference: str, closed: int, outages: int, components: list[str], sources: int
):  # fmt: skip
    """A contract with ``sources`` accepted probe sources, ``outages`` outages spread over the
    year (every other one from a source), a maintenance window and a change notice in the
    closed months, and the last ``closed`` ended months closed into reports."""
    contract = make_contract(
        buyer=buyer.memberships.get().organization,
        vendor=vendor.memberships.get().organization,
        reference=reference,
        covered_components=components,
    )
    probes = []
    for i in range(sources):
        source, _ = monitoring.register_source(
            actor=vendor, contract=contract, name=f"Probe {i}", kind=MonitoringSource.Kind.PROBE
        )
        probes.append(monitoring.accept_source(actor=buyer, source=source))
    for i in range(outages):
        p = ENDED[i % len(ENDED)]
        add_outage(
            contract,
            start=month(p, 3 + i // len(ENDED)),
            minutes=20 + i,
            component=components[i % len(components)],
            monitoring_source=probes[i % len(probes)] if i % 2 else None,
        )
    for p in ENDED[-max(2, closed) :] + [period_of(NOW, kind="month", zone="UTC")]:
        clock.set(month(p, 1, 8))
        av.schedule_maintenance(
            actor=vendor, contract=contract, title=f"Patch {p.label}", start=month(p, 2, 1), end=month(p, 2, 2)
        )
        av.announce_change(
            actor=vendor, contract=contract, kind="security_patch", title=f"Fix {p.label}",
            planned_at=month(p, 4, 6), impact="Restart",
        )  # fmt: skip
    clock.set(NOW)
    av.schedule_maintenance(
        actor=vendor,
        contract=contract,
        title="Next",
        start=NOW + timedelta(days=9),
        end=NOW + timedelta(days=9, hours=1),
    )
    for p in ENDED[len(ENDED) - closed :]:
        close_period(contract=contract, period=p.label, now=NOW)
    return contract


@pytest.fixture
def small(clock, buyer, vendor):
    return world(clock, buyer, vendor, reference="C-S", closed=2, outages=2, components=["api"], sources=1)


@pytest.fixture
def large(clock, buyer, vendor):
    return world(
        clock, buyer, vendor,
        reference="C-L", closed=11, outages=20, components=["api", "web", "reporting", "search"], sources=3,
    )  # fmt: skip


def page(contract, period: str = "") -> str:
    return f"/availability/contracts/{contract.pk}/" + (f"?period={period}" if period else "")


def api(contract, period: str) -> str:
    return f"/api/contracts/{contract.pk}/availability/?period={period}"


@pytest.mark.parametrize("persona", ["buyer", "vendor"])
def test_page_and_api_run_a_fixed_number_of_queries(request, persona, small, large, client_for, count_queries):
    client = client_for(request.getfixturevalue(persona))
    counts: dict[str, list[int]] = {}
    for contract in (small, large):
        for name, url in [
            ("page", page(contract)),
            ("page, closed month", page(contract, "2026-10")),
            ("api, open month", api(contract, "2026-11")),
            ("api, closed month", api(contract, "2026-10")),
        ]:
            assert client.get(url).status_code == 200  # the session's first use is not the page's cost
            counts.setdefault(name, []).append(count_queries(lambda u=url: client.get(u)))
    assert counts == {
        "page": [PAGE_QUERIES] * 2,
        "page, closed month": [PAGE_QUERIES] * 2,
        "api, open month": [API_QUERIES] * 2,
        "api, closed month": [API_QUERIES] * 2,
    }


def old_figures(contract) -> dict[str, Decimal | None]:
    """Each month of the chart computed live, as the page did before it read stored reports."""
    book = TermsBook.load([contract.pk])
    out = {}
    for p in last_n(period_of(NOW, kind="month", zone="UTC"), 12):
        report = period_report(contract, p, book=book, now=NOW)
        out[p.label] = report.figure if report else None
    return out


def test_the_chart_shows_the_stored_figures_of_closed_months(clock, contract, staff):
    for i, p in enumerate(ENDED):
        add_outage(contract, start=month(p, 5), minutes=7 * i + 3)
    add_outage(contract, start=month(period_of(NOW, kind="month", zone="UTC"), 2), minutes=11)
    clock.set(NOW)
    unreported = {"2026-08", "2026-10"}  # August never closed; October awaits its close
    for p in ENDED:
        if p.label not in unreported:
            close_period(contract=contract, period=p.label, now=NOW)
    before = old_figures(contract)

    rows = history(contract, book=TermsBook.load([contract.pk]), now=NOW).rows
    by_label = {r.period.label: r for r in rows if isinstance(r, PeriodReport | ClosedPeriod)}
    assert len(by_label) == 12
    for label, row in by_label.items():
        if label == "2026-08":
            assert isinstance(row, ClosedPeriod) and not row.reported and row.figure is None
        elif label in ("2026-10", "2026-11"):  # still open: live
            assert isinstance(row, PeriodReport) and row.figure == before[label]
        else:
            assert isinstance(row, ClosedPeriod) and row.reported and row.figure == before[label], label
    assert all(v is not None and v < 100 for k, v in before.items() if k != "2026-08")

    svg = history_chart(rows, target=Decimal("99.9"), title="t")
    assert "August 2026: no report" in svg and "August 2026: 100" not in svg
    assert f"September 2026: {before['2026-09']} %" in svg
    assert f"October 2026: {before['2026-10']} %" in svg and f"November 2026 so far: {before['2026-11']} %" in svg


def test_a_month_without_a_report_is_never_read_as_fully_available(clock, contract, buyer, client_for):
    """Nothing recorded in July: computed live it read 100 %; with no report it has no figure."""
    clock.set(NOW)
    close_period(contract=contract, period="2026-09", now=NOW)
    before = old_figures(contract)
    assert before["2026-07"] == 100
    html = client_for(buyer).get(page(contract)).content.decode()
    assert "July 2026: no report" in html and "July 2026: 100" not in html
    assert f"September 2026: {before['2026-09']} %" in html  # closed: as its report states it, digit for digit
