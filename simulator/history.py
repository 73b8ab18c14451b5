"""The recorded history the simulator replays, read once per run.

A fixed number of queries whatever the number of candidates, periods or
sweep points: the SLA versions, the incidents opened in the span with their
pauses and exclusion claims, and the availability facts (outages, critical
incidents, maintenance windows, no-data spans). Everything after this is
pure Python over these rows.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from availability.data import Facts, load_facts
from contracts.models import Contract, SLAVersion
from incidents.clocks import Interval
from incidents.models import TARGET_KINDS, ExclusionClaim, Incident, IncidentPause
from incidents.sla import met_at

__all__ = ["History", "IncidentFacts", "load_history"]

_FIELDS = (
    "id", "contract", "sla_version", "title", "severity", "environment", "component", "status",
    "opened_at", "acknowledged_at", "workaround", "workaround_accepted_at", "workaround_expires_at",
    "resolved_at", "excluded", "satisfaction",
)  # fmt: skip


@dataclass(frozen=True)
class IncidentFacts:
    """What happened to one incident; nothing here depends on the terms."""

    pk: int
    title: str
    severity: str
    environment: str
    status: str
    opened_at: datetime
    version_id: int
    met: tuple[datetime | None, ...]  # per TARGET_KINDS: when the target was met, as recorded
    pauses: tuple[Interval, ...]
    excluded: bool  # an accepted exclusion claim
    excluded_kind: str | None  # that claim's kind (None: not known)
    pending_claim: bool
    satisfaction: int | None

    @property
    def ref(self) -> str:
        return f"INC-{self.pk}"


@dataclass
class History:
    contract: Contract
    versions: list[SLAVersion]  # frozen, in effect order
    start: datetime
    end: datetime
    now: datetime
    incidents: list[IncidentFacts]  # opened in [start, end), by opening time
    facts: Facts  # availability facts touching [start, end)
    claim_kinds: dict[int, str]  # incident pk -> kind of its newest accepted claim
    components: list[str]

    def __post_init__(self) -> None:
        self._opened = [i.opened_at for i in self.incidents]

    def opened_between(self, start: datetime, end: datetime) -> list[IncidentFacts]:
        return self.incidents[bisect.bisect_left(self._opened, start) : bisect.bisect_left(self._opened, end)]

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end


def load_history(
    contract: Contract, *, start: datetime, end: datetime, now: datetime, versions: list[SLAVersion] | None = None
) -> History:
    """Everything recorded for ``contract`` that a period in [start, end) can
    be judged on, as of ``now``. Eight queries (seven with ``versions``)."""
    if versions is None:
        versions = list(SLAVersion.objects.filter(contract=contract).frozen().order_by("effective_from", "number"))
    rows: list[Any] = list(
        Incident.objects.reportable()
        .filter(contract=contract, opened_at__gte=start, opened_at__lt=end)
        .only(*_FIELDS)
        .order_by("opened_at", "pk")
    )
    pauses: dict[int, list[Interval]] = {}
    for incident_id, started, ended in (
        IncidentPause.objects.filter(
            incident__contract=contract, incident__opened_at__gte=start, incident__opened_at__lt=end
        )
        .order_by("started_at", "pk")
        .values_list("incident_id", "started_at", "ended_at")
    ):
        pauses.setdefault(incident_id, []).append(Interval(start=started, end=ended))
    accepted: dict[int, str] = {}
    pending: set[int] = set()
    for incident_id, kind, status in (
        ExclusionClaim.objects.filter(
            incident__contract=contract,
            status__in=[ExclusionClaim.Status.PENDING, ExclusionClaim.Status.ACCEPTED],
        )
        .order_by("-claimed_at", "-pk")
        .values_list("incident_id", "kind", "status")
    ):
        if status == ExclusionClaim.Status.PENDING:
            pending.add(incident_id)
        else:
            accepted.setdefault(incident_id, kind)  # newest first, as the report reads them
    incidents = [
        IncidentFacts(
            pk=r.pk,
            title=r.title,
            severity=r.severity,
            environment=r.environment,
            status=r.status,
            opened_at=r.opened_at,
            version_id=r.sla_version_id,
            met=tuple(met_at(r, kind, now) for kind in TARGET_KINDS),
            pauses=tuple(pauses.get(r.pk, ())),
            excluded=r.excluded,
            excluded_kind=accepted.get(r.pk),
            pending_claim=r.pk in pending,
            satisfaction=r.satisfaction,
        )
        for r in rows
    ]
    facts = load_facts(contract, start=start, end=min(end, now), critical_incidents=True)
    return History(
        contract=contract,
        versions=versions,
        start=start,
        end=end,
        now=now,
        incidents=incidents,
        facts=facts,
        claim_kinds=accepted,
        components=list(contract.covered_components) or ["service"],
    )
