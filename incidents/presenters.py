"""How an incident reads on a page: countdowns, durations in words, the clock cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.pdf import human_minutes
from contracts.terms import Terms
from incidents.models import (
    TARGET_KINDS,
    Incident,
)


def span_text(delta: timedelta) -> str:
    """A duration the way the countdown shows it (countdown.js formats alike):
    "<1m", "42m", "3h 05m", "2d 4h"."""
    minutes = int(abs(delta).total_seconds()) // 60
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m" if mins else "<1m"


@dataclass(frozen=True)
class Countdown:
    """The live SLA countdown of one running target."""

    target: str
    due: datetime
    risk: datetime | None
    now: datetime

    @property
    def over(self) -> bool:
        return self.now > self.due

    @property
    def at_risk(self) -> bool:
        return not self.over and self.risk is not None and self.risk <= self.now

    @property
    def css(self) -> str:
        return "countdown-bad" if self.over else "countdown-warn" if self.at_risk else "countdown-ok"

    @property
    def text(self) -> str:
        span = span_text(self.due - self.now)
        return f"over by {span}" if self.over else f"{span} left"

    @property
    def due_iso(self) -> str:
        return self.due.astimezone(UTC).isoformat()

    @property
    def risk_iso(self) -> str:
        return self.risk.astimezone(UTC).isoformat() if self.risk else ""


def next_countdown(incident: Incident, now: datetime) -> Countdown | None:
    """The earliest-due target still running, from the stored per-target due
    times (a target the watcher already marked breached keeps counting "over
    by"); amber once the stored ``next_risk_at`` has passed."""
    if incident.is_finished:
        return None
    running = []
    for kind in TARGET_KINDS:
        fields = incident.target_fields(kind)
        if fields["due_at"] is not None and fields["met_at"] is None:
            running.append((fields["due_at"], kind))
    if not running:
        return None
    due, kind = min(running)
    return Countdown(target=kind, due=due, risk=incident.next_risk_at, now=now)


def zone_of(incident: Incident) -> str:
    try:
        name = incident.sla_version.terms["calendar"]["timezone"]
        ZoneInfo(name)
    except (KeyError, TypeError, ZoneInfoNotFoundError):
        return "UTC"
    return name


def when_parts(value: datetime | None, zone: str) -> dict[str, str] | None:
    """A time in the contract's calendar zone, and in UTC when that differs."""
    if value is None:
        return None
    local = value.astimezone(ZoneInfo(zone))
    utc = value.astimezone(UTC)
    return {
        "local": f"{local:%a %d %b %Y %H:%M} {local.tzname()}",
        "utc": "" if local.utcoffset() == timedelta(0) and zone == "UTC" else f"{utc:%d %b %H:%M} UTC",
        "iso": utc.isoformat(),
    }


def clock_cards(incident: Incident, now: datetime, countdown: Countdown | None) -> list[dict[str, Any]]:
    terms = Terms(incident.sla_version.terms)
    zone = zone_of(incident)
    cards = []
    for kind in TARGET_KINDS:
        f = incident.target_fields(kind)
        target = terms.target(incident.severity, incident.environment, kind)
        card: dict[str, Any] = {
            "kind": kind,
            "title": kind.capitalize(),
            "target": human_minutes(target.minutes, target.clock) if target else None,
            "clock": ("24x7" if target.clock == "24x7" else "business hours") if target else "",
            "due": when_parts(f["due_at"], zone),
            "met": when_parts(f["met_at"], zone),
            "elapsed": span_text(f["elapsed"]) if f["elapsed"] is not None else None,
            "countdown": None,
            "paused_stops": incident.is_paused and terms.pause_stops(kind),
        }
        if target is None:
            card["state"], card["badge"] = "No target", ""
        elif f["met_at"] is not None:
            card["state"], card["badge"] = ("Met late", "badge-bad") if f["breached"] else ("Met", "badge-ok")
        elif f["due_at"] is None:
            card["state"], card["badge"] = ("Paused", "") if incident.is_paused else ("Not running", "")
        else:
            running = Countdown(target=kind, due=f["due_at"], risk=None, now=now)
            if countdown is not None and countdown.target == kind:
                running = countdown
            card["countdown"] = running
            if f["breached"] or running.over:
                card["state"], card["badge"] = "Breached", "badge-bad"
            elif running.at_risk:
                card["state"], card["badge"] = "At risk", "badge-warn"
            else:
                card["state"], card["badge"] = "Running", "badge-info"
        cards.append(card)
    return cards
