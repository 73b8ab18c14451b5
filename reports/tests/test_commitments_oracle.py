"""Service commitments through the period snapshot, against a brute-force oracle: for random
outage sets on three commitments sharing components (different service rules, credit bases and
a non-cumulative group), each commitment's availability and the total credit equal a
second-by-second computation; the figure shown never sits across a bound. Also: a quarterly
commitment in monthly reports, the report page, the PDF text and the API."""

from __future__ import annotations

import copy
import io
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from availability.models import Outage
from contracts.models import SLAVersion
from contracts.pdf import render_schedule_pdf
from contracts.presets import preset_terms
from contracts.terms import validate_terms
from contracts.tests.factories import make_contract
from reports.services import close_period, render_report_pdf
from reports.snapshot import gather

SEP_1 = datetime(2026, 9, 1, tzinfo=UTC)
SEP_SECONDS = 30 * 86_400
OCT_5 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
COMPONENTS = ["api", "web", "reporting"]


def tier(lower: str | None, upper: str, percent: str) -> dict[str, Any]:
    return {"lower": lower, "lower_inclusive": True, "upper": upper, "upper_inclusive": False, "percent": percent}


COMMITMENTS: list[dict[str, Any]] = [
    {
        "key": "a",
        "name": "API and web",
        "components": ["api", "web"],
        "target_percent": "99.9",
        "window": "month",
        "service_rule": "any",
        "credit_tiers": [tier("99.0", "99.9", "10"), tier("95.0", "99.0", "25"), tier(None, "95.0", "50")],
        "fee_share_percent": "60",
    },
    {
        "key": "b",
        "name": "Web and reporting together",
        "components": ["web", "reporting"],
        "target_percent": "99.5",
        "window": "month",
        "service_rule": "all",
        "credit_tiers": [tier("99.0", "99.5", "10"), tier("95.0", "99.0", "30"), tier(None, "95.0", "100")],
        "fee_share_percent": "40",
        "group": "g",
    },
    {
        "key": "c",
        "name": "API alone",
        "components": ["api"],
        "target_percent": "99.0",
        "window": "month",
        "service_rule": "any",
        "credit_tiers": [tier("95.0", "99.0", "20"), tier(None, "95.0", "40")],
        "fee_share_percent": "100",
        "group": "g",
    },
]
CAP_PERCENT = "30"


def set_terms(contract: Any, commitments: list[dict[str, Any]], **uptime: Any) -> dict[str, Any]:
    terms = copy.deepcopy(preset_terms("enterprise-24x7"))
    terms["uptime"].update(unmeasured="available", minimum_coverage_percent="0", **uptime)
    terms.update(credit_tiers=[], credit_cap_percent=CAP_PERCENT, commitments=commitments)
    terms.pop("credit_caps", None)
    terms.pop("credit_minimum", None)
    validate_terms(terms, components=COMPONENTS)
    SLAVersion.objects.filter(contract=contract, number=1).update(terms=terms)
    return terms


@pytest.fixture
def contract(buyer_org, vendor_org):
    c = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-COMMIT")
    set_terms(c, COMMITMENTS)
    return c


def _cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def oracle(outages: list[tuple[str, int, int]]) -> tuple[dict[str, tuple[int, str]], Decimal]:
    """Per commitment (seconds down, credit percent), and the total credit, second by second."""
    down_at: dict[str, set[int]] = {name: set() for name in COMPONENTS}
    for component, start, length in outages:
        seconds = range(start, min(start + length, SEP_SECONDS))
        for name in COMPONENTS if component == "*" else [component]:
            down_at[name].update(seconds)
    out: dict[str, tuple[int, str]] = {}
    earned: list[tuple[str, str, Fraction]] = []
    for c in COMMITMENTS:
        sets = [down_at[name] for name in c["components"]]
        down = set.union(*sets) if c["service_rule"] == "any" else set.intersection(*sets)
        availability = Fraction(100 * (SEP_SECONDS - len(down)), SEP_SECONDS)
        percent = "0"
        if availability < Fraction(c["target_percent"]):
            for t in c["credit_tiers"]:
                low_ok = t["lower"] is None or availability >= Fraction(t["lower"])
                if low_ok and availability < Fraction(t["upper"]):
                    percent = t["percent"]
                    break
        out[c["key"]] = (len(down), percent)
        if percent != "0":
            exact = Fraction(10_000) * Fraction(c["fee_share_percent"]) * Fraction(percent) / 10_000
            earned.append((c["key"], c.get("group", ""), exact))
    best: dict[str, Fraction] = {}
    for _, group, exact in earned:
        if group:
            best[group] = max(best.get(group, Fraction(0)), exact)
    owed: list[Decimal] = []
    taken: set[str] = set()
    for _, group, exact in earned:
        if group and (group in taken or exact != best[group]):
            continue
        taken.add(group) if group else None
        owed.append(_cents(exact))
    total = min(sum(owed, Decimal(0)), Decimal(10_000) * Decimal(CAP_PERCENT) / 100)
    return out, total.quantize(Decimal("0.01"))


def bounds_of(c: dict[str, Any]) -> list[Fraction]:
    out = [Fraction(c["target_percent"])]
    for t in c["credit_tiers"]:
        out.extend(Fraction(t[k]) for k in ("lower", "upper") if t[k] is not None)
    return out


def side(a: Fraction, b: Fraction) -> int:
    return (a > b) - (a < b)


# Outages within the month's first four days, up to 40 hours long: every tier of every commitment is reachable.
OUTAGE = st.tuples(st.sampled_from([*COMPONENTS, "*"]), st.integers(0, 4 * 86_400), st.integers(1, 40 * 3_600))


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outages=st.lists(OUTAGE, max_size=6))
def test_commitments_and_their_credits_equal_a_second_by_second_oracle(contract, outages):
    Outage.objects.filter(contract=contract).delete()
    for component, start, length in outages:
        Outage.objects.create(
            contract=contract,
            component=component,
            start=SEP_1 + timedelta(seconds=start),
            end=SEP_1 + timedelta(seconds=start + length),
            source=Outage.Source.MANUAL,
            reason="test",
        )

    snapshot = gather(contract, "2026-09", now=OCT_5)

    expected, total = oracle(outages)
    rows = {row["key"]: row for row in snapshot["commitments"]}
    for c in COMMITMENTS:
        row = rows[c["key"]]
        down, percent = expected[c["key"]]
        assert row["exact"] == {"up_us": (SEP_SECONDS - down) * 1_000_000, "measured_us": SEP_SECONDS * 1_000_000}
        assert row["credit_percent"] == percent
        exact = Fraction(100 * (SEP_SECONDS - down), SEP_SECONDS)
        shown = Fraction(Decimal(row["value"]))
        assert all(side(shown, b) == side(exact, b) for b in bounds_of(c)), row["value"]
        assert row["status"] == ("met" if exact >= Fraction(c["target_percent"]) else "breached")
    assert Decimal(snapshot["credits"]["total"]) == total


def test_a_non_cumulative_group_owes_only_its_largest_credit_and_the_cap_applies_to_the_total(contract):
    # api down 6 % of the month: a 50 % of 60 % (3,000.00) and c 40 % of 100 % (4,000.00); web and
    # reporting down together 3 %: b 30 % of 40 % (1,200.00), less than c in the same group.
    for component, hours in (("api", 21.6), ("*", 21.6)):
        Outage.objects.create(
            contract=contract,
            component=component,
            start=SEP_1 + timedelta(days=10 if component == "api" else 2),
            end=SEP_1 + timedelta(days=10 if component == "api" else 2, hours=hours),
            source=Outage.Source.MANUAL,
            reason="test",
        )

    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    credits = report.snapshot["credits"]
    assert [(line["ref"], line["amount"], line["payable"]) for line in credits["lines"]] == [
        ("a", "3000.00", "3000.00"),
        ("c", "4000.00", "0.00"),  # owed, but the 30 % cap (3,000.00) is used up by the line before it
    ]
    assert credits["total_before_cap"] == "7000.00" and credits["total"] == "3000.00" and credits["capped"]
    rows = {row["key"]: row for row in report.snapshot["commitments"]}
    assert rows["b"]["status"] == "breached" and rows["b"]["amount"] == "1200.00"
    assert not rows["b"]["owed"] and rows["b"]["note"] == "Not cumulative with API alone, whose larger credit is owed."
    assert rows["c"]["owed"] and rows["c"]["payable"] == "0.00"


def test_a_quarterly_commitment_is_judged_in_the_quarters_last_monthly_report(contract):
    quarterly = [{**COMMITMENTS[0], "window": "quarter", "fee_share_percent": "100"}]
    set_terms(contract, quarterly)
    # 0.2 % of Q3 2026 (92 days) down in July: 15,897.6 s.
    Outage.objects.create(
        contract=contract,
        component="web",
        start=datetime(2026, 7, 10, tzinfo=UTC),
        end=datetime(2026, 7, 10, tzinfo=UTC) + timedelta(seconds=15_897, microseconds=600_000),
        source=Outage.Source.MANUAL,
        reason="test",
    )

    july = close_period(contract=contract, period="2026-07", now=OCT_5)
    september = close_period(contract=contract, period="2026-09", now=OCT_5)

    assert july.snapshot["commitments"][0]["status"] == "not due" and july.snapshot["credits"]["lines"] == []
    row = september.snapshot["commitments"][0]
    assert row["window_label"] == "2026-Q3" and row["exact"]["measured_us"] == 92 * 86_400 * 1_000_000
    assert row["value"] == "99.800" and row["status"] == "breached" and row["credit_percent"] == "10"
    # 10 % of the quarter's fee (3 x 10,000.00); September's cap is 30 % of its own fee, the same amount.
    assert row["amount"] == "3000.00" and september.snapshot["credits"]["total"] == "3000.00"


def test_the_report_page_the_pdf_and_the_api_show_the_commitments(contract, client_for, buyer):
    Outage.objects.create(
        contract=contract,
        component="api",
        start=SEP_1 + timedelta(days=3),
        end=SEP_1 + timedelta(days=3, hours=2),
        source=Outage.Source.MANUAL,
        reason="test",
    )
    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    page = client_for(buyer).get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Service commitments" in page and "API and web" in page and "Web and reporting together" in page
    detail = client_for(buyer).get(f"/api/reports/{report.pk}/").json()
    assert [c["key"] for c in detail["commitments"]] == ["a", "b", "c"]
    assert detail["commitments"][0]["status"] == "breached" and detail["commitments"][1]["status"] == "met"


def test_reports_without_commitments_keep_their_keys(buyer_org, vendor_org, client_for, buyer):
    plain = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-PLAIN")
    report = close_period(contract=plain, period="2026-09", now=OCT_5)
    assert "commitments" not in report.snapshot
    assert client_for(buyer).get(f"/api/reports/{report.pk}/").json()["commitments"] is None


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_report_pdf_and_the_sla_schedule_pdf_state_the_commitments(contract):
    Outage.objects.create(
        contract=contract,
        component="web",
        start=SEP_1 + timedelta(days=3),
        end=SEP_1 + timedelta(days=3, hours=2),
        source=Outage.Source.MANUAL,
        reason="test",
    )
    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    text = " ".join(_text(render_report_pdf(report)).split())
    assert "Service commitments" in text and "API and web" in text and "99.722 %" in text
    schedule = " ".join(_text(render_schedule_pdf(contract.sla_versions.get(number=1))).split())
    assert "API and web: 99.9 % per calendar month for api, web" in schedule
    assert "≥ 99.0 % and < 99.9 %: 10 % of 60 % of the monthly fee" in schedule
    assert "Not cumulative with API alone" in schedule
