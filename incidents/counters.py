"""The dashboards' per-contract incident counts (``IncidentCounts``).

The incident services keep them: ``services.base.lock`` remembers what a
locked incident counted for, and ``services.base.save_with_clocks`` (the one
place every service saves an incident's state) applies the difference after
the save, in the same transaction and under the same contract lock. A new
incident counted for nothing before its first save with clocks.

``recount`` rebuilds the rows from the incidents (the repair command
``recount_incident_counters``, and the tests' oracle); ``unrecorded_breaches``
and the ``at_risk`` queryset are the time-driven parts that no service
records, counted at read time over the running targets' indexes only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet

from incidents.models import Incident, IncidentCounts

FIELDS = ("open", "breached_open")
_REMEMBERED = "_counted_as"

Contribution = tuple[int | None, tuple[int, ...]]


def contribution(incident: Incident) -> Contribution:
    """(contract id, one 0/1 per field of ``FIELDS``): what this row counts for."""
    unfinished = incident.status not in Incident.FINISHED
    breached_open = unfinished and incident.breached and not incident.excluded
    return incident.contract_id, (int(unfinished), int(breached_open))


def remember(incident: Incident) -> None:
    """Note what the row counts for as loaded (call with the row locked)."""
    incident.__dict__[_REMEMBERED] = contribution(incident)


def record(incident: Incident) -> None:
    """Apply what changed since ``remember`` (nothing remembered: a new row)
    to the contracts' counters. Call after saving, in the same transaction,
    holding the contract lock."""
    before: Contribution | None = incident.__dict__.get(_REMEMBERED)
    after = contribution(incident)
    deltas: dict[int, list[int]] = defaultdict(lambda: [0] * len(FIELDS))
    sides = [(after, 1)] if before is None else [(after, 1), (before, -1)]
    for (contract_id, values), sign in sides:
        if contract_id is not None:
            for i, value in enumerate(values):
                deltas[contract_id][i] += sign * value
    for contract_id, delta in deltas.items():
        if any(delta) and not _add(contract_id, delta):
            # No row yet (a contract whose incidents predate the counters and
            # escaped the data migration): count it whole, this save included.
            recount([contract_id])
    remember(incident)


def _add(contract_id: int, delta: list[int]) -> bool:
    changes = {name: F(name) + d for name, d in zip(FIELDS, delta, strict=True) if d}
    return bool(IncidentCounts.objects.filter(contract_id=contract_id).update(**changes))


def fresh(contract_ids: Iterable[int] | None = None) -> dict[int, tuple[int, ...]]:
    """The counts recomputed from the incident rows (contracts counting nothing are absent)."""
    unfinished = ~Q(status__in=Incident.FINISHED)
    qs = Incident.objects.order_by().values("contract_id")
    if contract_ids is not None:
        qs = qs.filter(contract_id__in=list(contract_ids))
    rows = qs.annotate(
        open=Count("pk", filter=unfinished),
        breached_open=Count("pk", filter=unfinished & Q(breached=True, excluded=False)),
    )
    out = {r["contract_id"]: (r["open"], r["breached_open"]) for r in rows}  # the order of FIELDS
    return {pk: values for pk, values in out.items() if any(values)}


def stored(contract_ids: Iterable[int] | None = None) -> dict[int, tuple[int, ...]]:
    """The maintained counts (rows of all zeros left out, to compare with ``fresh``)."""
    qs = IncidentCounts.objects.all()
    if contract_ids is not None:
        qs = qs.filter(contract_id__in=list(contract_ids))
    out: dict[int, tuple[int, ...]] = {}
    for contract_id, *values in qs.values_list("contract_id", *FIELDS):
        if any(values):
            out[contract_id] = tuple(values)
    return out


def recount(contract_ids: Iterable[int] | None = None) -> int:
    """Rebuild the counters of these contracts (all: every contract) from the
    incident rows; returns how many rows were written."""
    from contracts.models import Contract

    ids = None if contract_ids is None else list(contract_ids)
    counts = fresh(ids)
    contracts = Contract.objects.order_by("pk").values_list("pk", flat=True)
    if ids is not None:
        contracts = contracts.filter(pk__in=ids)
    rows = [
        IncidentCounts(contract_id=pk, **dict(zip(FIELDS, counts.get(pk, (0,) * len(FIELDS)), strict=True)))
        for pk in contracts
    ]
    IncidentCounts.objects.bulk_create(
        rows, batch_size=500, update_conflicts=True, unique_fields=["contract"], update_fields=list(FIELDS)
    )
    return len(rows)


def unrecorded_breaches(incidents: QuerySet[Incident], now: datetime) -> QuerySet[Incident]:
    """Unfinished incidents whose running target fell due since the last
    recompute, before the watcher (every minute) records the breach: the
    part of "breached, open" the counters cannot know yet. ``next_due_at``
    is set only on running, unbreached targets, so this reads the running
    targets' index, never the history."""
    return incidents.filter(next_due_at__lt=now, breached=False, excluded=False).exclude(status__in=Incident.FINISHED)
