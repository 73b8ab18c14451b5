"""Per-event credits (terms ``event_credits``): a credit for each outage over a minimum duration,
each maintenance window or change notice without the agreed notice, through the real period close,
on both sides of the minimum in exact microseconds, with a per-period limit and the contract's caps.
Fee EUR 10,000.00 a month (contracts.tests.factories); enterprise-24x7 terms otherwise."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from accounts.tests.factories import UserFactory
from availability.models import ChangeNotice, MaintenanceWindow, Outage
from contracts import services as contract_services
from contracts.pdf import schedule_context
from contracts.terms import validate_terms
from contracts.terms.rules import TermsError
from contracts.tests.factories import make_contract
from reports.services import close_period

US = timedelta(microseconds=1)
OCT_5 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
SEP = datetime(2026, 9, 1, tzinfo=UTC)


def contract_with(buyer_org: Any, vendor_org: Any, rules: list[dict[str, Any]], **terms: Any) -> Any:
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-EV", activate=False)
    staff: Any = UserFactory(username="ev-staff", is_staff=True)
    version = contract.sla_versions.get(number=1)
    doc = copy.deepcopy(version.terms)
    doc["event_credits"] = rules
    doc.update(terms)
    contract_services.sla_version_update(actor=staff, version=version, terms=doc)
    contract_services.sla_version_activate(actor=staff, version=contract.sla_versions.get(number=1))
    contract.refresh_from_db()
    return contract


def outage(contract: Any, *, start: datetime, micros: int | None, component: str = "api", **extra: Any) -> Outage:
    return Outage.objects.create(
        contract=contract,
        component=component,
        start=start,
        end=None if micros is None else start + micros * US,
        source=Outage.Source.MANUAL,
        reason="test",
        **extra,
    )


def event_lines(report: Any) -> list[tuple[str, str, str]]:
    return [
        (line["ref"], line["percent"], line["amount"])
        for line in report.snapshot["credits"]["lines"]
        if line["kind"] == "event_breach"
    ]


@pytest.mark.parametrize(("micros", "credited"), [(30 * 60_000_000 - 1, False), (30 * 60_000_000, True)])
def test_an_outage_earns_its_credit_from_the_exact_minimum_duration(buyer_org, vendor_org, micros, credited):
    contract = contract_with(buyer_org, vendor_org, [{"event": "outage", "percent": "2", "min_minutes": 30}])
    o = outage(contract, start=SEP + timedelta(days=3), micros=micros)

    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    assert event_lines(report) == ([(f"outage:{o.pk}/rule1", "2", "200.00")] if credited else [])
    # The ledger carries each event as its own line, of its own kind.
    assert report.credits.filter(kind="event_breach").count() == (1 if credited else 0)


def test_an_outage_counts_once_in_the_period_it_started_and_an_accepted_exclusion_never(buyer_org, vendor_org):
    contract = contract_with(buyer_org, vendor_org, [{"event": "outage", "percent": "1"}])
    across = outage(contract, start=datetime(2026, 8, 31, 23, 50, tzinfo=UTC), micros=20 * 60_000_000)
    inside = outage(contract, start=SEP + timedelta(days=9), micros=60_000_000)
    outage(
        contract,
        start=SEP + timedelta(days=10),
        micros=3_600_000_000,
        exclusion=Outage.Exclusion.ACCEPTED,
        exclusion_kind="force_majeure",
    )

    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    assert [ref for ref, _, _ in event_lines(report)] == [f"outage:{inside.pk}/rule1"]
    assert across.pk not in [int(r["ref"].split(":")[1].split("/")[0]) for r in report.snapshot["event_credits"]]


def test_the_limit_per_period_credits_the_earliest_events_and_says_so(buyer_org, vendor_org):
    contract = contract_with(buyer_org, vendor_org, [{"event": "outage", "percent": "1.5", "per_period_limit": 2}])
    made = [outage(contract, start=SEP + timedelta(days=d), micros=60_000_000) for d in (20, 2, 11)]
    earliest = sorted(made, key=lambda o: o.start)

    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    assert event_lines(report) == [(f"outage:{o.pk}/rule1", "1.5", "150.00") for o in earliest[:2]]
    last = report.snapshot["event_credits"][2]
    assert last["credited"] is False and last["note"] == "over the limit of 2 per period"


def test_late_notices_earn_credits_and_the_caps_apply_to_the_total(buyer_org, vendor_org):
    rules = [
        {"event": "maintenance_notice", "percent": "4"},
        {"event": "change_notice", "percent": "3"},
        {"event": "outage", "percent": "0.5"},
    ]
    contract = contract_with(buyer_org, vendor_org, rules, credit_cap_percent="5")
    late_window = MaintenanceWindow.objects.create(
        contract=contract,
        title="DB upgrade",
        start=SEP + timedelta(days=4),
        end=SEP + timedelta(days=4, hours=1),
        announced_at=SEP + timedelta(days=3, hours=23),
    )
    on_time = MaintenanceWindow.objects.create(
        contract=contract,
        title="Patch",
        start=SEP + timedelta(days=20),
        end=SEP + timedelta(days=20, hours=1),
        announced_at=SEP,
    )
    late_change = ChangeNotice.objects.create(
        contract=contract,
        kind="major_release",
        title="Old API retired",
        impact="The v1 API goes away.",
        planned_at=SEP + timedelta(days=15),
        announced_at=SEP + timedelta(days=14),
        required_notice_days=90,
        late=True,
    )

    report = close_period(contract=contract, period="2026-09", now=OCT_5)

    refs = [ref for ref, _, _ in event_lines(report)]
    assert f"maintenance:{late_window.pk}/rule1" in refs and f"maintenance:{on_time.pk}/rule1" not in refs
    assert f"change:{late_change.pk}/rule2" in refs
    credits = report.snapshot["credits"]
    # 4 % + 3 % of EUR 10,000; the late window's hour also counts as downtime (99.86 %), which pays its tier.
    assert [(ln["kind"], ln["amount"]) for ln in credits["lines"]] == [
        ("availability", "500.00"),
        ("event_breach", "400.00"),
        ("event_breach", "300.00"),
    ]
    assert Decimal(credits["total_before_cap"]) == Decimal("1200.00")
    assert credits["capped"] is True and Decimal(credits["total"]) == Decimal("500.00")


def test_terms_without_event_credits_keep_their_snapshot_keys(buyer_org, vendor_org):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-PLAIN")
    outage(contract, start=SEP + timedelta(days=3), micros=3_600_000_000)
    report = close_period(contract=contract, period="2026-09", now=OCT_5)
    assert "event_credits" not in report.snapshot
    assert not [line for line in report.snapshot["credits"]["lines"] if line["kind"] == "event_breach"]


def test_the_rules_are_validated_by_path_and_worded_in_the_schedule(buyer_org, vendor_org):
    contract = contract_with(
        buyer_org, vendor_org, [{"event": "outage", "percent": "2", "min_minutes": 30, "per_period_limit": 3}]
    )
    version = contract.sla_versions.get(number=1)
    text = " ".join(schedule_context(version, contract)["event_credits"])
    assert text == (
        "2 % of the period fee for each outage lasting at least 30 minutes (credited in the period it starts), "
        "for at most 3 per period."
    )
    bad = copy.deepcopy(version.terms)
    bad["event_credits"] = [{"event": "change_notice", "percent": "120", "min_minutes": 5}]
    with pytest.raises(TermsError) as exc:
        validate_terms(bad)
    assert set(exc.value.errors) >= {"event_credits[0].percent", "event_credits[0].min_minutes"}
    bad["event_credits"] = [{"event": "uptime", "percent": "1"}]
    with pytest.raises(TermsError) as exc:
        validate_terms(bad)
    assert any(k.startswith("event_credits[0]") for k in exc.value.errors)


def test_random_outages_against_a_brute_force_count(buyer_org, vendor_org):
    """Random outages (some across the period start, some open, some excluded): the credited set
    equals a direct scan of the rows with the rule written out longhand."""
    rng = random.Random(20261206)
    rule = {"event": "outage", "percent": "0.25", "min_minutes": 7, "per_period_limit": 9}
    contract = contract_with(buyer_org, vendor_org, [rule])
    now = datetime(2026, 9, 25, tzinfo=UTC)  # the period is still running: open outages count up to now
    made = []
    for _ in range(30):
        start = SEP + timedelta(seconds=rng.randint(-3 * 86_400, 28 * 86_400))
        micros = None if rng.random() < 0.1 else rng.choice([rng.randint(1, 20 * 60_000_000), 7 * 60_000_000])
        excluded = rng.random() < 0.15
        made.append(
            outage(
                contract,
                start=start,
                micros=micros,
                **({"exclusion": Outage.Exclusion.ACCEPTED, "exclusion_kind": "third_party"} if excluded else {}),
            )
        )
    from reports.snapshot import gather

    snap = gather(contract, "2026-09", now=now)

    expected = []
    for o in sorted(made, key=lambda o: (o.start, o.pk)):
        if o.start < SEP or o.start >= datetime(2026, 10, 1, tzinfo=UTC) or o.start > now:
            continue
        if o.exclusion == Outage.Exclusion.ACCEPTED:
            continue
        if (min(o.end or now, now) - o.start) >= timedelta(minutes=7):
            expected.append(f"outage:{o.pk}/rule1")
    got = [r["ref"] for r in snap["event_credits"] if r["credited"]]
    assert got == expected[:9]
    assert [r["ref"] for r in snap["event_credits"]] == expected
