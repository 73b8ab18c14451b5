"""The multi-commitment presets restate published SLAs: AWS Compute (region-level and
instance-level, not cumulative) and GitHub Enterprise Cloud per feature (quarterly), through the
real period close, on both sides of every tier bound in exact seconds and microseconds.
Fee EUR 10,000.00 a month (contracts.tests.factories)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from availability.models import Outage
from contracts.presets import PRESETS, preset_choices, preset_terms
from contracts.presets_commitments import COMPONENTS, NOT_EXPRESSED
from contracts.terms import validate_terms
from contracts.tests.factories import make_contract
from core.errors import InvalidInput
from reports.services import close_period

US = timedelta(microseconds=1)
SEC = 1_000_000
SEP_2026_US = 30 * 86_400 * SEC
Q3_2026_US = 92 * 86_400 * SEC
OCT_5 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def down_us(period_us: int, availability: str, nudge: int = 0) -> int:
    exact = period_us * (Decimal(100) - Decimal(availability)) / 100
    assert exact == int(exact), "the bound must fall on a whole microsecond"
    return int(exact) + nudge


def outage(contract: Any, component: str, *, start: datetime, micros: int) -> None:
    if micros:
        Outage.objects.create(
            contract=contract,
            component=component,
            start=start,
            end=start + micros * US,
            source=Outage.Source.MANUAL,
            reason="test",
        )


def rows(report: Any) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in report.snapshot["commitments"]}


def lines(report: Any) -> list[tuple[str, str, str]]:
    return [
        (line["ref"], line["percent"], line["amount"])
        for line in report.snapshot["credits"]["lines"]
        if line["kind"] == "availability"
    ]


def test_the_presets_validate_against_their_components_and_are_offered():
    for key, components in COMPONENTS.items():
        assert key in PRESETS and key in NOT_EXPRESSED and key in dict(preset_choices())
        validate_terms(preset_terms(key), components=components)


def test_a_contract_without_the_presets_components_is_refused_naming_the_commitment(buyer_org, vendor_org):
    with pytest.raises(InvalidInput) as exc:
        make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-AWS", preset="aws-ec2")
    assert "terms.commitments[0].components" in exc.value.errors
    assert "ec2-region" in exc.value.errors["terms.commitments[0].components"][0]


# --- AWS Compute: region-level 99.99 %, instance-level 99.5 %, monthly, not cumulative ---------------


@pytest.fixture
def aws(buyer_org, vendor_org):
    return make_contract(
        buyer=buyer_org,
        vendor=vendor_org,
        reference="C-AWS",
        preset="aws-ec2",
        covered_components=COMPONENTS["aws-ec2"],
    )


@pytest.mark.parametrize(
    ("seconds", "met", "expected"),
    [(259, True, []), (260, False, [("region", "10", "1000.00")])],
    ids=["259s-met", "260s-breached"],
)
def test_aws_99_99_percent_of_a_30_day_month_is_259_2_seconds(aws, seconds, met, expected):
    outage(aws, "ec2-region", start=datetime(2026, 9, 10, 3, tzinfo=UTC), micros=seconds * SEC)

    report = close_period(contract=aws, period="2026-09", now=OCT_5)

    region = rows(report)["region"]
    assert region["met"] is met and region["exact"] == {
        "up_us": SEP_2026_US - seconds * SEC,
        "measured_us": SEP_2026_US,
    }
    assert region["value"] == ("99.990007" if met else "99.989")  # never shown on the bound
    assert rows(report)["instance"]["status"] == "met"
    assert lines(report) == expected
    # The contract-level figure (99.99 %, every component) is reported and judged, but only the commitments pay.
    assert report.snapshot["availability"]["status"] == ("met" if met else "breached")


AWS_BOUNDS = [
    # (commitment, availability, nudge µs, credit percent)
    ("region", "99.99", 0, None),
    ("region", "99.99", 1, "10"),
    ("region", "99.0", 0, "10"),
    ("region", "99.0", 1, "30"),
    ("region", "95.0", 0, "30"),
    ("region", "95.0", 1, "100"),
    ("instance", "99.5", 0, None),
    ("instance", "99.5", 1, "10"),
    ("instance", "99.0", 0, "10"),
    ("instance", "99.0", 1, "30"),
    ("instance", "95.0", 0, "30"),
    ("instance", "95.0", 1, "100"),
]


@pytest.mark.parametrize(
    ("key", "availability", "nudge", "percent"),
    AWS_BOUNDS,
    ids=[f"{k}-{a}{'-below' if n else ''}" for k, a, n, _ in AWS_BOUNDS],
)
def test_aws_both_sides_of_every_bound(aws, key, availability, nudge, percent):
    component = "ec2-region" if key == "region" else "ec2-instance"
    outage(aws, component, start=datetime(2026, 9, 2, tzinfo=UTC), micros=down_us(SEP_2026_US, availability, nudge))

    report = close_period(contract=aws, period="2026-09", now=OCT_5)

    row = rows(report)[key]
    assert row["exact"]["measured_us"] == SEP_2026_US
    if percent is None:
        assert row["status"] == "met" and lines(report) == []
    else:
        amount = f"{Decimal(100) * Decimal(percent):.2f}"
        assert row["status"] == "breached" and row["credit_percent"] == percent
        assert lines(report) == [(key, percent, amount)]
        assert report.snapshot["credits"]["total"] == amount


@pytest.mark.parametrize(
    ("region_s", "instance_s", "owed", "total"),
    [
        (260, 13_000, "region", "1000.00"),  # 10 % and 10 %: one credit, not two (the first listed on a tie)
        (26_000, 13_000, "region", "3000.00"),  # 30 % beats 10 %
        (260, 130_000, "instance", "10000.00"),  # 100 % beats 10 %
    ],
)
def test_aws_region_and_instance_credits_are_not_cumulative(aws, region_s, instance_s, owed, total):
    outage(aws, "ec2-region", start=datetime(2026, 9, 3, tzinfo=UTC), micros=region_s * SEC)
    outage(aws, "ec2-instance", start=datetime(2026, 9, 3, tzinfo=UTC), micros=instance_s * SEC)

    report = close_period(contract=aws, period="2026-09", now=OCT_5)

    by_key = rows(report)
    assert by_key["region"]["status"] == by_key["instance"]["status"] == "breached"
    assert [ref for ref, _, _ in lines(report)] == [owed]
    assert report.snapshot["credits"]["total"] == total
    other = "instance" if owed == "region" else "region"
    assert by_key[owed]["owed"] and not by_key[other]["owed"]
    assert "Not cumulative" in by_key[other]["note"]


# --- GitHub Enterprise Cloud per feature: 99.9 % per quarter, 12.5 % of the fee each ------------------


@pytest.fixture
def github(buyer_org, vendor_org):
    return make_contract(
        buyer=buyer_org,
        vendor=vendor_org,
        reference="C-GHF",
        preset="github-enterprise-cloud-features",
        covered_components=COMPONENTS["github-enterprise-cloud-features"],
    )


GITHUB_BOUNDS = [
    ("99.9", 0, None),  # "at least 99.9 %" is met
    ("99.9", 1, ("10", "375.00")),  # 10 % of 12.5 % of EUR 30,000.00
    ("99.0", 0, ("10", "375.00")),  # the text's gap at exactly 99.0 %: the 10 % band
    ("99.0", 1, ("25", "937.50")),
]


@pytest.mark.parametrize(
    ("availability", "nudge", "expected"), GITHUB_BOUNDS, ids=["at-99.9", "below-99.9", "at-99.0", "below-99.0"]
)
def test_github_feature_both_sides_of_every_bound(github, availability, nudge, expected):
    outage(
        github, "pull-requests", start=datetime(2026, 8, 1, tzinfo=UTC), micros=down_us(Q3_2026_US, availability, nudge)
    )

    report = close_period(contract=github, period="2026-Q3", now=OCT_5)

    row = rows(report)["pull-requests"]
    assert row["exact"]["measured_us"] == Q3_2026_US and row["credit_base"] == "3750.00"
    assert rows(report)["issues"]["status"] == "met"
    if expected is None:
        assert row["status"] == "met" and lines(report) == []
    else:
        assert lines(report) == [("pull-requests", *expected)]


def test_github_a_quarter_with_two_features_down_credits_each_feature_on_its_own_share(github):
    # 99.85 % on Git operations (10 %), 98 % on Issues (25 %): cumulative, they are different features.
    outage(github, "git-operations", start=datetime(2026, 7, 9, tzinfo=UTC), micros=down_us(Q3_2026_US, "99.85"))
    outage(github, "issues", start=datetime(2026, 9, 1, tzinfo=UTC), micros=down_us(Q3_2026_US, "98"))

    report = close_period(contract=github, period="2026-Q3", now=OCT_5)

    assert rows(report)["git-operations"]["value"] == "99.850"
    assert lines(report) == [("issues", "25", "937.50"), ("git-operations", "10", "375.00")]
    assert report.snapshot["credits"]["total"] == "1312.50"
    assert report.snapshot["credits"]["period_fee"] == "30000.00"
    # Actions and Packages count requests: without request counts they have no figure.
    assert rows(report)["actions"]["status"] == "not measured" and rows(report)["actions"]["measure"] == "requests"


def test_github_actions_is_credited_on_its_executions(github, staff):
    from availability.models import RequestTally
    from availability.services import monitoring

    source, _ = monitoring.create_source(actor=staff, contract=github, name="Actions runs", kind="probe")
    # 2 failed executions of 1,000 in the quarter: 99.8 %, the 10 % band of Actions' 12.5 % share.
    for hour, (total, failed) in enumerate([(400, 0), (500, 2), (100, 0)]):
        RequestTally.objects.create(
            contract=github,
            source=source,
            component="actions",
            interval_start=datetime(2026, 8, 4, hour, tzinfo=UTC),
            interval_minutes=60,
            total=total,
            failed=failed,
            received_at=datetime(2026, 8, 4, 12, tzinfo=UTC),
        )

    report = close_period(contract=github, period="2026-Q3", now=OCT_5)

    actions = rows(report)["actions"]
    assert actions["measure"] == "requests" and actions["exact"] == {"fraction": "499/5"}
    assert actions["value"] == "99.800" and actions["status"] == "breached"
    assert lines(report) == [("actions", "10", "375.00")]
    assert rows(report)["packages"]["status"] == "not measured"  # no transactions recorded
