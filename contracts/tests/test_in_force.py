"""Which SLA version governs instant t: ``SLAVersionQuerySet.in_force_at`` and
its in-memory twin ``contracts.versions.in_force_among``, their boundaries,
gaps, drafts and named fallbacks, and that the two always agree."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from contracts import services
from contracts.models import Contract, SLAVersion
from contracts.tests.factories import make_contract
from contracts.versions import FROZEN, InForceFallback, in_force_among

pytestmark = pytest.mark.django_db

F = InForceFallback
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def bare(buyer_org, vendor_org) -> Contract:
    """A contract with no SLA version at all: each test lays its own timeline."""
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-BARE", activate=False)
    contract.sla_versions.all().delete()
    return contract


def lay(contract: Contract, *spans: tuple[int | None, int | None, str]) -> list[SLAVersion]:
    """Versions 1, 2, ... with (from day, to day, status); None = open."""
    return [
        SLAVersion.objects.create(
            contract=contract,
            number=n,
            status=status,
            effective_from=None if a is None else day(a),
            effective_to=None if b is None else day(b),
            terms={},
        )
        for n, (a, b, status) in enumerate(spans, start=1)
    ]


def number(version: SLAVersion | None) -> int | None:
    return version.number if version else None


def both(contract: Contract, at: datetime, fallback: InForceFallback = F.NONE) -> int | None:
    """The queryset's answer, after checking the in-memory one says the same."""
    db = number(SLAVersion.objects.for_contract(contract).in_force_at(at, fallback=fallback))
    memory = number(in_force_among(list(contract.sla_versions.all()), at, fallback=fallback))
    assert db == memory, (at, fallback, db, memory)
    return db


def test_the_frozen_status_is_the_models():
    assert FROZEN == SLAVersion.Status.ACTIVE


def test_effective_from_is_in_force_and_effective_to_is_not(buyer, contract):
    t2 = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    v2 = services.sla_version_amend(actor=buyer, contract=contract)
    services.sla_version_activate(actor=buyer, version=v2, effective_from=t2)
    v1 = contract.sla_versions.get(number=1)
    assert v1.effective_to == t2

    assert both(contract, v1.effective_from) == 1
    assert both(contract, v1.effective_from - TICK) is None
    assert both(contract, t2 - TICK) == 1
    assert both(contract, t2) == 2  # v1's effective_to is v2's, not v1's
    assert both(contract, datetime(2040, 1, 1, tzinfo=UTC)) == 2
    assert services.version_in_force(contract, t2).number == 2  # the service says the same


def test_a_gap_between_versions_has_no_version_in_force(bare):
    lay(bare, (0, 10, FROZEN), (20, None, FROZEN))
    assert both(bare, day(10) - TICK) == 1
    assert both(bare, day(10)) is None
    assert both(bare, day(20) - TICK) is None
    assert both(bare, day(20)) == 2
    # The fallbacks answer whenever nothing is in force, in a gap as before the first version.
    assert both(bare, day(15), F.EARLIEST_FROZEN) == 1
    assert both(bare, day(15), F.LATEST_FROZEN) == 2


def test_each_fallback_before_the_first_version(bare):
    lay(bare, (0, 10, FROZEN), (10, 20, FROZEN), (20, None, FROZEN))
    before = day(-1)
    assert both(bare, before, F.NONE) is None
    assert both(bare, before, F.EARLIEST_FROZEN) == 1
    assert both(bare, before, F.LATEST_FROZEN) == 3
    # A version in force wins over every fallback.
    for fallback in F:
        assert both(bare, day(12), fallback) == 2


def test_a_contract_without_frozen_versions_has_none_whatever_the_fallback(bare):
    assert [both(bare, day(0), fallback) for fallback in F] == [None, None, None]
    lay(bare, (None, None, "draft"))
    assert [both(bare, day(0), fallback) for fallback in F] == [None, None, None]


def test_drafts_are_never_in_force(bare):
    # A draft carrying dates (a prepared amendment) is still not in force, nor a fallback.
    lay(bare, (0, 10, FROZEN), (5, None, "draft"), (-30, None, "draft"))
    assert both(bare, day(7)) == 1
    assert both(bare, day(12)) is None
    assert both(bare, day(12), F.LATEST_FROZEN) == 1
    assert both(bare, day(-5), F.EARLIEST_FROZEN) == 1


def test_on_an_overlap_the_later_starting_version_wins(bare):
    # sla_version_activate never lets this happen; the rule still has one answer.
    lay(bare, (0, None, FROZEN), (10, 30, FROZEN))
    assert both(bare, day(5)) == 1
    assert both(bare, day(10)) == 2
    assert both(bare, day(30)) == 1


def test_only_the_contracts_versions_count(bare, contract):
    lay(bare, (0, None, FROZEN))
    assert both(bare, day(-300)) is None
    assert number(SLAVersion.objects.for_contract(contract).in_force_at(day(-300))) == 1  # the fixture's v1


def test_one_query_and_a_second_only_for_a_fallback(bare, django_assert_num_queries):
    lay(bare, (0, None, FROZEN))
    versions = SLAVersion.objects.for_contract(bare)
    with django_assert_num_queries(1):
        assert versions.in_force_at(day(1), fallback=F.LATEST_FROZEN).number == 1
    with django_assert_num_queries(2):
        assert versions.in_force_at(day(-1), fallback=F.EARLIEST_FROZEN).number == 1


@dataclass(frozen=True)
class Row:
    """A version as the pure rule sees it, without a database."""

    number: int
    status: str
    effective_from: datetime | None
    effective_to: datetime | None


def _timeline(rng: random.Random) -> list[tuple[int | None, int | None, str]]:
    """Up to five versions: tiled, with gaps, overlapping or open-ended, some drafts."""
    spans: list[tuple[int | None, int | None, str]] = []
    start = rng.randint(-3, 3)
    for _ in range(rng.randint(0, 5)):
        if rng.random() < 0.2:
            spans.append((rng.choice([None, start]), None, "draft"))
            continue
        length = rng.randint(1, 6)
        end = None if rng.random() < 0.25 else start + length
        spans.append((start, end, FROZEN))
        start = start + rng.choice([length, length, length + rng.randint(1, 3), max(1, length - 2)])
    return spans


def test_the_queryset_and_the_in_memory_rule_agree_on_generated_timelines(bare):
    rng = random.Random(20261001)
    checked = 0
    for _ in range(60):
        bare.sla_versions.all().delete()
        spans = _timeline(rng)
        lay(bare, *spans)
        loaded = list(bare.sla_versions.all())
        shuffled = rng.sample(loaded, len(loaded))  # the in-memory rule ignores input order
        edges = {d for a, b, _ in spans for d in (a, b) if d is not None} | {-5, 40}
        instants = sorted({day(d) + delta for d in edges for delta in (-TICK, timedelta(0), TICK, timedelta(hours=7))})
        for at in instants:
            for fallback in F:
                db = SLAVersion.objects.for_contract(bare).in_force_at(at, fallback=fallback)
                assert number(db) == number(in_force_among(shuffled, at, fallback=fallback)), (spans, at, fallback)
                # An independent oracle: the frozen spans holding ``at``, the latest-starting first.
                holding = [
                    (a, n)
                    for n, (a, b, status) in enumerate(spans, start=1)
                    if status == FROZEN and day(a) <= at and (b is None or at < day(b))
                ]
                if holding:
                    assert number(db) == max(holding)[1]
                elif fallback is F.NONE or all(s != FROZEN for *_, s in spans):
                    assert db is None
                checked += 1
    assert checked > 1000


def test_the_rule_reads_plain_objects_and_versions_that_tile_time_leave_no_instant_uncovered():
    rng = random.Random(7)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, 200), rng.randint(1, 6)))
        rows = [
            Row(n, FROZEN, day(a), day(b) if b is not None else None)
            for n, (a, b) in enumerate(zip(cuts, [*cuts[1:], None], strict=True), start=1)
        ]
        for d in range(cuts[0], 220):
            at = day(d) + timedelta(hours=rng.randint(0, 23))
            found = in_force_among(rows, at)
            assert found is not None
            assert found.effective_from <= at and (found.effective_to is None or at < found.effective_to)
        assert in_force_among(rows, day(cuts[0]) - TICK) is None
        assert in_force_among(rows, day(cuts[0]) - TICK, fallback=F.EARLIEST_FROZEN) is rows[0]
        assert in_force_among(rows, day(cuts[0]) - TICK, fallback=F.LATEST_FROZEN) is rows[-1]
