"""The vendor presets restate published SLAs: each vendor's own worked example and both sides of
every tier bound, through the real period close (outages with exact microseconds). Fee EUR
10,000.00 a month (contracts.tests.factories), so a quarter's fee is EUR 30,000.00."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from availability.models import Outage
from contracts.models import SLAVersion
from contracts.presets import PRESETS, preset_choices, preset_terms
from contracts.presets_vendors import NOT_EXPRESSED
from contracts.serializers import ContractCreateSerializer
from contracts.terms import validate_terms
from contracts.tests.factories import make_contract
from contracts.tests.test_views import create_payload
from reports.services import close_period

US = timedelta(microseconds=1)
VENDOR_KEYS = ["github-enterprise-cloud", "atlassian-cloud-premium", "atlassian-cloud-enterprise", "small-saas-99-5"]

Q3_2026_US = 92 * 86_400 * 1_000_000  # 1 Jul to 1 Oct 2026, UTC
SEP_2026_US = 30 * 86_400 * 1_000_000
OCT_2026_BERLIN_US = 745 * 3_600 * 1_000_000  # 1 Oct 00:00 CEST to 1 Nov 00:00 CET


def down_us(period_us: int, availability: str, nudge: int = 0) -> int:
    """Microseconds down for exactly ``availability`` % over the period, plus ``nudge`` µs (more
    downtime: just below the figure; less: just above)."""
    exact = period_us * (Decimal(100) - Decimal(availability)) / 100
    assert exact == int(exact), "the bound must fall on a whole microsecond"
    return int(exact) + nudge


def outage(contract: Any, *, start: datetime, micros: int) -> None:
    if micros:
        Outage.objects.create(
            contract=contract,
            component=contract.covered_components[0],
            start=start,
            end=start + micros * US,
            source=Outage.Source.MANUAL,
            reason="test",
        )


def credit(report: Any) -> tuple[bool | None, list[tuple[str, str]], str]:
    snap = report.snapshot
    lines = [(line["percent"], line["amount"]) for line in snap["credits"]["lines"] if line["kind"] == "availability"]
    return snap["availability"]["met"], lines, snap["credits"]["total"]


# --- listed everywhere, valid ---------------------------------------------------------------------


def test_every_vendor_preset_validates_and_is_offered_wherever_templates_are_listed(
    client_for, buyer, buyer_org, vendor_org
):
    for key in VENDOR_KEYS:
        validate_terms(preset_terms(key))
        assert key in PRESETS and key in NOT_EXPRESSED
    assert [k for k, _ in preset_choices()][:2] == ["enterprise-24x7", "business-hours"]  # the defaults stay first
    assert set(VENDOR_KEYS) <= {k for k, _ in preset_choices()}
    assert set(VENDOR_KEYS) <= set(ContractCreateSerializer().fields["preset"].choices)
    page = client_for(buyer).get(reverse("contracts:create")).content.decode()
    for key in VENDOR_KEYS:
        assert f'value="{key}"' in page and PRESETS[key]["label"] in page
    response = client_for(buyer).post(
        reverse("contracts:create"), create_payload(buyer_org, vendor_org, preset="github-enterprise-cloud")
    )
    assert response.status_code == 302
    v1 = SLAVersion.objects.get(contract__reference="NW-2025-014")
    assert v1.preset == "github-enterprise-cloud" and v1.terms == preset_terms("github-enterprise-cloud")
    # A copy each time: editing a draft never edits the preset.
    preset_terms("github-enterprise-cloud")["credit_tiers"].clear()
    assert len(preset_terms("github-enterprise-cloud")["credit_tiers"]) == 2


# --- GitHub Enterprise Cloud: 99.9 % per calendar quarter -------------------------------------------

OCT_5 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def github(buyer_org, vendor_org):
    return make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-GH", preset="github-enterprise-cloud")


def test_github_a_quarter_at_99_85_percent_earns_10_percent_of_the_quarter(github):
    # 0.15 % of Q3 2026's 132,480 minutes: 198.72 minutes down.
    outage(github, start=datetime(2026, 8, 3, 12, tzinfo=UTC), micros=down_us(Q3_2026_US, "99.85"))

    report = close_period(contract=github, period="2026-Q3", now=OCT_5)

    assert report.snapshot["availability"]["value"] == "99.850"
    assert credit(report) == (False, [("10", "3000.00")], "3000.00")
    assert report.snapshot["credits"]["period_fee"] == "30000.00"
    # Claims within 30 days after the quarter: to the end of 30 October, UTC.
    assert report.snapshot["credits"]["claim_deadline"].startswith("2026-10-30T23:59:59")


@pytest.mark.parametrize(
    ("availability", "nudge", "expected"),
    [
        ("99.9", 0, (True, [], "0.00")),  # "at least 99.9 %" is met (the commitment wins)
        ("99.9", 1, (False, [("10", "3000.00")], "3000.00")),
        ("99.0", -1, (False, [("10", "3000.00")], "3000.00")),
        ("99.0", 0, (False, [("10", "3000.00")], "3000.00")),  # the text's gap: joins the 10 % band
        ("99.0", 1, (False, [("25", "7500.00")], "7500.00")),
    ],
    ids=["at-99.9", "below-99.9", "above-99.0", "at-99.0", "below-99.0"],
)
def test_github_both_sides_of_every_bound(github, availability, nudge, expected):
    outage(github, start=datetime(2026, 7, 20, tzinfo=UTC), micros=down_us(Q3_2026_US, availability, nudge))

    report = close_period(contract=github, period="2026-Q3", now=OCT_5)

    assert report.snapshot["availability"]["exact"]["measured_us"] == Q3_2026_US
    assert credit(report) == expected


# --- Atlassian Cloud Premium 99.9 % and Enterprise 99.95 %, monthly in UTC -----------------------------


def _atlassian(buyer_org, vendor_org, plan: str) -> Any:
    return make_contract(buyer=buyer_org, vendor=vendor_org, reference=f"C-{plan}", preset=f"atlassian-cloud-{plan}")


@pytest.mark.parametrize("plan", ["premium", "enterprise"])
def test_atlassian_published_example_60_minutes_in_a_30_day_month_is_99_86_percent_and_10_percent(
    buyer_org, vendor_org, plan
):
    contract = _atlassian(buyer_org, vendor_org, plan)
    outage(contract, start=datetime(2026, 9, 9, 14, tzinfo=UTC), micros=60 * 60 * 1_000_000)

    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    assert report.snapshot["availability"]["value"].startswith("99.86")
    assert credit(report) == (False, [("10", "1000.00")], "1000.00")
    # Claims within 15 days after the month: to the end of 15 October, UTC.
    assert report.snapshot["credits"]["claim_deadline"].startswith("2026-10-15T23:59:59")


ATLASSIAN_BOUNDS = [
    # (plan, availability, nudge µs, (met, lines, total))
    ("premium", "99.9", 0, (True, [], "0.00")),
    ("premium", "99.9", 1, (False, [("10", "1000.00")], "1000.00")),
    ("enterprise", "99.95", 0, (True, [], "0.00")),
    ("enterprise", "99.95", 1, (False, [("10", "1000.00")], "1000.00")),
    ("enterprise", "99.9", 0, (False, [("10", "1000.00")], "1000.00")),  # met on Premium, not on Enterprise
    ("premium", "99.0", 0, (False, [("10", "1000.00")], "1000.00")),
    ("premium", "99.0", 1, (False, [("25", "2500.00")], "2500.00")),
    ("enterprise", "99.0", 0, (False, [("10", "1000.00")], "1000.00")),
    ("enterprise", "99.0", 1, (False, [("25", "2500.00")], "2500.00")),
    ("premium", "95.0", 0, (False, [("25", "2500.00")], "2500.00")),
    ("premium", "95.0", 1, (False, [("50", "5000.00")], "5000.00")),
    ("enterprise", "95.0", 1, (False, [("50", "5000.00")], "5000.00")),
]


@pytest.mark.parametrize(
    ("plan", "availability", "nudge", "expected"),
    ATLASSIAN_BOUNDS,
    ids=[f"{p}-{a}{'-below' if n else ''}" for p, a, n, _ in ATLASSIAN_BOUNDS],
)
def test_atlassian_both_sides_of_every_bound(buyer_org, vendor_org, plan, availability, nudge, expected):
    contract = _atlassian(buyer_org, vendor_org, plan)
    outage(contract, start=datetime(2026, 9, 2, tzinfo=UTC), micros=down_us(SEP_2026_US, availability, nudge))

    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    assert report.snapshot["availability"]["exact"]["measured_us"] == SEP_2026_US
    assert credit(report) == expected


# --- a small SaaS vendor: 99.5 % a month, caps, minimum, termination -----------------------------------


def _saas(buyer_org, vendor_org, **overrides: Any) -> Any:
    return make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-SAAS", preset="small-saas-99-5", **overrides)


def _berlin(year: int, month: int, day: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(year, month, day, 12, tzinfo=ZoneInfo("Europe/Berlin"))


NOV_5 = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
SAAS_BOUNDS = [
    ("99.5", 0, (True, [], "0.00")),
    ("99.5", 1, (False, [("5", "500.00")], "500.00")),
    ("99.0", 0, (False, [("5", "500.00")], "500.00")),
    ("99.0", 1, (False, [("10", "1000.00")], "1000.00")),
    ("98.0", 0, (False, [("10", "1000.00")], "1000.00")),
    ("98.0", 1, (False, [("20", "2000.00")], "2000.00")),
    ("95.0", 0, (False, [("20", "2000.00")], "2000.00")),
    ("95.0", 1, (False, [("30", "3000.00")], "3000.00")),
]


@pytest.mark.parametrize(
    ("availability", "nudge", "expected"), SAAS_BOUNDS, ids=[f"{a}{'-below' if n else ''}" for a, n, _ in SAAS_BOUNDS]
)
def test_small_saas_both_sides_of_every_bound(buyer_org, vendor_org, availability, nudge, expected):
    contract = _saas(buyer_org, vendor_org)
    outage(contract, start=_berlin(2026, 10, 12), micros=down_us(OCT_2026_BERLIN_US, availability, nudge))

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    assert report.snapshot["availability"]["exact"]["measured_us"] == OCT_2026_BERLIN_US
    assert credit(report) == expected
    # Claims by the end of the following month, Berlin time (CET: 22:59:59 UTC).
    assert report.snapshot["credits"]["claim_deadline"].startswith("2026-11-30T22:59:59")


def test_small_saas_a_credit_below_the_minimum_is_not_owed(buyer_org, vendor_org):
    contract = _saas(buyer_org, vendor_org, monthly_fee=Decimal("990.00"))
    outage(contract, start=_berlin(2026, 10, 12), micros=down_us(OCT_2026_BERLIN_US, "99.2"))

    report = close_period(contract=contract, period="2026-10", now=NOV_5)

    c = report.snapshot["credits"]
    assert (c["total_before_cap"], c["below_minimum"], c["total"]) == ("49.50", True, "0.00")  # 5 % of 990


def test_small_saas_the_year_cap_of_10_percent_of_the_annual_fee_binds(buyer_org, vendor_org):
    # Contract year from 1 Jan 2026; cap 10 % of EUR 120,000 = 12,000: four months at 30 % use it up.
    contract = _saas(buyer_org, vendor_org, start_date=date(2026, 1, 1))
    totals = []
    for month in (6, 7, 8, 9, 10):
        outage(contract, start=_berlin(2026, month, 3), micros=6 * 86_400 * 1_000_000)  # ~80 %: the 30 % band
        report = close_period(contract=contract, period=f"2026-{month:02d}", now=NOV_5)
        totals.append((Decimal(report.snapshot["credits"]["total"]), report.snapshot["credits"]["cap_rule"]))
    assert totals == [(Decimal(3000), "")] * 4 + [(Decimal(0), "year_percent")]


def test_small_saas_three_of_six_months_below_99_opens_a_30_day_termination_right(buyer_org, vendor_org):
    contract = _saas(buyer_org, vendor_org)
    # May to October 2026: 99.2 % (below the 99.5 % target, above the 99.0 % threshold) never counts.
    plan = {5: "98.9", 6: "99.2", 7: "98.0", 8: "99.2", 9: "99.2", 10: "98.5"}
    raised = []
    for month, availability in plan.items():
        first = _berlin(2026, month, 1).replace(hour=0)
        nxt = _berlin(2026, month + 1, 1).replace(hour=0)
        period_us = int((nxt - first).total_seconds()) * 1_000_000
        outage(contract, start=_berlin(2026, month, 10), micros=down_us(period_us, availability))
        now = datetime(2026, month + 1, 5, 9, tzinfo=UTC)
        report = close_period(contract=contract, period=f"2026-{month:02d}", now=now)
        raised.append(report.snapshot["termination"]["triggered"])
    assert raised == [False, False, False, False, False, True]
    t = report.snapshot["termination"]
    assert [w["below_target"] for w in t["window"]] == [True, False, True, False, False, True]
    assert (t["threshold_percent"], t["exercise_window_days"]) == ("99.0", 30)
    contract.refresh_from_db()
    right = contract.termination_rights.get()
    assert contract.termination_right is True
    # Raised on 5 November (Berlin), exercisable for 30 days: to the end of 5 December there.
    assert right.expires_at == datetime(2026, 12, 5, 22, 59, 59, 999_999, tzinfo=UTC)
