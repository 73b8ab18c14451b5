"""Which SLA version governs instant ``t``: the rule, in memory. Pure Python.

A frozen (activated) version is in force over ``[effective_from,
effective_to)``; ``effective_to`` is empty while no later version has been
activated. Drafts are never in force. Activation closes the previous version
at the new one's start (``contracts.services.sla_version_activate``), so the
frozen versions of a contract tile time from the first effective date on; if
two spans ever overlapped, the later-starting version (then the higher
number) wins.

``SLAVersion.objects.for_contract(c).in_force_at(t, fallback=...)`` asks the
database the same question; this module answers it over versions a caller
already holds (the simulator, a report's snapshot, a bulk job), with no
query. ``contracts/tests/test_in_force.py`` checks that both always agree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

__all__ = ["FROZEN", "InForceFallback", "VersionSpan", "in_force_among"]

FROZEN = "active"  # SLAVersion.Status.ACTIVE: activated, hence frozen


class InForceFallback(enum.Enum):
    """What to answer when no frozen version is in force at ``t``.

    Given how versions tile time, that happens before the first version's
    effective date (or when a contract has no frozen version at all: then
    every fallback answers None).
    """

    #: None: the caller treats "no SLA yet" as a fact (an incident cannot be
    #: opened, a period without terms is not reported on).
    NONE = "none"
    #: The earliest frozen version: facts recorded before the first effective
    #: date (outages, monitoring data, changes announced early) are read
    #: under the first terms the contract had.
    EARLIEST_FROZEN = "earliest_frozen"
    #: The latest frozen version: a page, a packet or a ladder must show some
    #: terms, and the most recently agreed ones are the best stand-in.
    LATEST_FROZEN = "latest_frozen"


class VersionSpan(Protocol):
    """What the rule reads of a version (``SLAVersion`` satisfies it)."""

    @property
    def status(self) -> str: ...

    @property
    def number(self) -> int: ...

    @property
    def effective_from(self) -> datetime | None: ...

    @property
    def effective_to(self) -> datetime | None: ...


V = TypeVar("V", bound=VersionSpan)


def in_force_among(
    versions: Iterable[V], at: datetime, *, fallback: InForceFallback = InForceFallback.NONE
) -> V | None:
    """The frozen version among ``versions`` (one contract's) in force at
    ``at``, else what ``fallback`` says. Order of ``versions`` does not matter."""
    frozen = sorted(
        ((v.effective_from, v.number, v) for v in versions if v.status == FROZEN and v.effective_from is not None),
        key=lambda span: (span[0], span[1]),
    )
    found = None
    for start, _number, version in frozen:
        end = version.effective_to
        if start <= at and (end is None or at < end):
            found = version  # on an overlap, the later-starting one wins
    if found is not None or not frozen or fallback is InForceFallback.NONE:
        return found
    return frozen[0][2] if fallback is InForceFallback.EARLIEST_FROZEN else frozen[-1][2]
