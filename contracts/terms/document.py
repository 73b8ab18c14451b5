"""Typed, read-only access to a validated terms document: its calendar, targets and clauses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from contracts.calendars import Closure, CoverageCalendar, Shift
from contracts.terms.commitments import Commitment, commitments_of
from contracts.terms.vocabulary import SEVERITIES


def calendar_of(data: Mapping[str, Any]) -> CoverageCalendar:
    from datetime import date, time

    cal = data["calendar"]
    return CoverageCalendar(
        timezone=cal["timezone"],
        shifts=tuple(
            Shift(weekday=h["weekday"], start=time.fromisoformat(h["start"]), end=time.fromisoformat(h["end"]))
            for h in cal["hours"]
        ),
        country=cal.get("country") or None,
        subdivision=cal.get("subdivision") or None,
        closures=tuple(Closure(day=date.fromisoformat(c["date"]), name=c["name"]) for c in cal.get("closures", [])),
    )


@dataclass(frozen=True)
class Target:
    minutes: int
    clock: str  # "24x7" or "coverage"

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Terms:
    """A read-only, typed view of a validated terms document."""

    data: Mapping[str, Any]

    @cached_property
    def calendar(self) -> CoverageCalendar:
        return calendar_of(self.data)

    @cached_property
    def _targets(self) -> dict[tuple[str, str, str], Target]:
        return {
            (row["severity"], row["environment"], kind): Target(
                minutes=row[f"{kind}_minutes"], clock=row[f"{kind}_clock"]
            )
            for row in self.data["targets"]
            for kind in ("acknowledge", "restore", "resolve")
        } | {
            # Optional targets: their clock defaults to the acknowledge clock.
            (row["severity"], row["environment"], kind): Target(
                minutes=row[f"{key}_minutes"], clock=row.get(f"{key}_clock", row["acknowledge_clock"])
            )
            for row in self.data["targets"]
            for kind, key in (("investigate", "investigate"), ("update", "update_interval"))
            if row.get(f"{key}_minutes") is not None
        }

    def target(self, severity: str, environment: str, kind: str) -> Target | None:
        return self._targets.get((severity, environment, kind))

    def pause_stops(self, kind: str) -> bool:
        return kind in self.data["pause"]["stops"]

    @property
    def temporary_workaround_days(self) -> int | None:
        return self.data["workaround"]["temporary_days"]

    @property
    def uptime_target(self) -> Decimal:
        return Decimal(self.data["uptime"]["target_percent"])

    @cached_property
    def commitments(self) -> list[Commitment]:
        """The service commitments (empty: the single ``uptime`` commitment)."""
        return commitments_of(self.data)

    @property
    def credit_cap(self) -> Decimal:
        return Decimal(self.data["credit_cap_percent"])

    def binding(self, metric: str) -> bool:
        return any(m["metric"] == metric and m["binding"] for m in self.data["metrics"])

    def escalation_levels(self) -> list[Mapping[str, Any]]:
        return sorted(self.data["escalation"], key=lambda r: r["level"])

    def playbook(self, severity: str | None = None) -> list[Mapping[str, Any]]:
        """The playbook steps (of one severity), in order."""
        steps = [s for s in self.data.get("playbook") or [] if severity is None or s["severity"] == severity]
        return sorted(steps, key=lambda s: (SEVERITIES.index(s["severity"]), s["order"]))

    @property
    def raci(self) -> list[Mapping[str, Any]]:
        return list(self.data.get("raci") or [])

    def notice_days(self, change_kind: str) -> int | None:
        """The whole days of the notice rule (a rule in hours rounds up to the day it falls in)."""
        period = self.notice_period(change_kind)
        if period is None:
            return None
        return period.days + (1 if period.seconds else 0)

    def notice_period(self, change_kind: str) -> timedelta | None:
        """The notice the rule for ``change_kind`` requires: its days plus its hours (optional)."""
        for row in self.data["notice_rules"]:
            if row["change_kind"] == change_kind:
                return timedelta(days=row["days"], hours=row.get("hours") or 0)
        return None
