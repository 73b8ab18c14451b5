"""Per-event credits: a credit for each qualifying event of a period, besides
the availability tiers and the incident-target breach credits.

The terms' optional ``event_credits`` list names the events (absent: none, and
snapshots are exactly as before). The rules a contract reader needs:

- **outage**: each outage that counted in the period (an accepted exclusion
  does not count; a claimed one counts until the claim is accepted, which
  issues a new revision) and lasted at least ``min_minutes``. An outage is
  credited once, in the period it started, on its duration up to that
  period's end (an outage still running counts up to the end of the period
  or "now", whichever is earlier). Durations are compared in exact
  microseconds: 29 min 59.999999 s does not reach a 30-minute minimum.
- **maintenance_notice**: each maintenance window judged in the period that
  was announced with less notice than the terms require (``late``), or was
  recorded after the fact and not accepted by the buyer (``unaccepted``).
- **change_notice**: each change notice planned in the period that was given
  with less notice than the terms require for its kind.

``per_period_limit`` caps how many events of that rule earn a credit in one
period (the earliest events first); the contract's credit caps and minimum
still apply to the total (``reports.credits.compute_credits``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from availability.maintenance import Verdict
from availability.models import ChangeNotice, Outage
from reports.snapshot_parts import iso

EVENTS = ("outage", "maintenance_notice", "change_notice")  # the SLA schedule words them: contracts.wording


def _outage_events(
    outages: Iterable[Outage], *, start: datetime, end: datetime, now: datetime, min_minutes: int
) -> list[dict[str, Any]]:
    horizon = min(end, now)
    least = timedelta(minutes=min_minutes)
    out = []
    for o in sorted(outages, key=lambda o: (o.start, o.pk)):
        if not start <= o.start < end or o.exclusion == Outage.Exclusion.ACCEPTED:
            continue
        lasted = min(o.end or horizon, horizon) - o.start
        if lasted >= least and lasted > timedelta(0):
            minutes = Decimal(lasted // timedelta(microseconds=1)) / Decimal(60_000_000)
            out.append(
                {
                    "ref": f"outage:{o.pk}",
                    "at": o.start,
                    "detail": f"{o.component} outage of {minutes.quantize(Decimal('0.1'))} min",
                }
            )
    return out


def _maintenance_events(verdicts: Iterable[Verdict], windows: Mapping[int, Any]) -> list[dict[str, Any]]:
    out = []
    for v in verdicts:
        reasons = [r for r in v.reasons if r.startswith(("late", "unaccepted"))]
        if not reasons:
            continue
        pk = int(v.ref.split(":", 1)[1])
        w = windows.get(pk)
        out.append(
            {
                "ref": f"maintenance:{pk}",
                "at": w.start if w is not None else None,
                "detail": f"maintenance '{w.title if w is not None else v.ref}': {reasons[0].split(';')[0]}",
            }
        )
    return sorted(out, key=lambda e: (e["at"] is None, e["at"] or datetime.min.replace(tzinfo=UTC), e["ref"]))


def _change_events(notices: Iterable[ChangeNotice]) -> list[dict[str, Any]]:
    return [
        {
            "ref": f"change:{n.pk}",
            "at": n.planned_at,
            "detail": f"{n.get_kind_display().lower()} '{n.title}' announced with less than "
            f"{n.required_notice_days} days' notice",
        }
        for n in sorted(notices, key=lambda n: (n.planned_at, n.pk))
        if n.late
    ]


def event_credits_part(
    rules: Sequence[Mapping[str, Any]],
    *,
    outages: Iterable[Outage],
    verdicts: Iterable[Verdict],
    windows: Mapping[int, Any],
    notices: Iterable[ChangeNotice],
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[tuple[str, str, Decimal]]]:
    """The snapshot's ``event_credits`` rows and the credit lines
    ``(ref, description, percent)`` for ``compute_credits``."""
    outages, verdicts, notices = list(outages), list(verdicts), list(notices)
    rows: list[dict[str, Any]] = []
    lines: list[tuple[str, str, Decimal]] = []
    for index, rule in enumerate(rules):
        event = rule["event"]
        if event == "outage":
            found = _outage_events(outages, start=start, end=end, now=now, min_minutes=rule.get("min_minutes") or 0)
        elif event == "maintenance_notice":
            found = _maintenance_events(verdicts, windows)
        else:
            found = _change_events(notices)
        limit = rule.get("per_period_limit")
        percent = Decimal(rule["percent"])
        for n, item in enumerate(found):
            credited = limit is None or n < limit
            ref = f"{item['ref']}/rule{index + 1}"
            rows.append(
                {
                    "ref": ref,
                    "event": event,
                    "at": iso(item["at"]),
                    "detail": item["detail"],
                    "percent": str(percent) if credited else "0",
                    "credited": credited,
                    **({} if credited else {"note": f"over the limit of {limit} per period"}),
                }
            )
            if credited:
                lines.append((ref, f"Per-event credit: {item['detail']}", percent))
    return rows, lines
