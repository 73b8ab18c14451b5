"""Atlassian Statuspage public API v2: ``incidents.json`` and ``summary.json``.

What counts (the vendor's own word, so it is marked vendor-reported):

* an incident is an outage of each affected component whose worst status in
  the incident (its ``components`` and its updates' ``affected_components``)
  is ``major_outage`` or ``partial_outage``: a partial outage is the vendor
  saying some customers cannot use the component, which the contract counts as
  down. When no component status says so (a resolved incident lists its
  components as operational again) the incident's ``impact`` decides:
  ``major`` or ``critical`` is an outage of every component it lists.
* ``degraded_performance`` (slow, but working) and ``under_maintenance``
  (maintenance windows are judged separately) are not outages.
* from ``started_at`` (else ``created_at``) to ``resolved_at`` (open until then).
* ``summary.json`` also gives each component's current status: a mapped
  component in major or partial outage with no incident covering it opens a
  status outage from its ``updated_at``, closed by the first snapshot showing it
  otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from availability.ingest.common import Interval, iso_time, load_object, raise_if, text

STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance")
DOWN = ("partial_outage", "major_outage")
IMPACTS = ("none", "minor", "major", "critical", "maintenance")
SEVERE_IMPACTS = ("major", "critical")
_RANK = {s: i for i, s in enumerate(("operational", "under_maintenance", "degraded_performance", *DOWN))}


@dataclass(frozen=True)
class ComponentState:
    key: str
    refs: tuple[str, ...]
    status: str
    at: Any  # datetime


@dataclass(frozen=True)
class Snapshot:
    kind: str  # "incidents" or "summary"
    page_id: str
    intervals: list[Interval]
    components: list[ComponentState]  # summary.json only
    ignored: int  # incidents that are not outages (degraded, maintenance, minor)


def _component(raw: Any, at: str, errors: dict[str, list[str]], *, status_key: str = "status") -> tuple[str, str, str]:
    if not isinstance(raw, dict):
        errors[at] = ["Must be an object with id, name and status."]
        return "", "", ""
    ident = raw.get("id", raw.get("code"))
    name = raw.get("name")
    status = raw.get(status_key)
    if not isinstance(ident, str) or not ident:
        errors[f"{at}.id"] = ["Required: the component id."]
    if not isinstance(name, str) or not name:
        errors[f"{at}.name"] = ["Required: the component name."]
    if status not in STATUSES:
        errors[f"{at}.{status_key}"] = [f"Must be one of {', '.join(STATUSES)}; got {status!r}."]
    return str(ident or ""), str(name or ""), str(status or "")


def _see(worst: dict[str, tuple[str, str, str]], ident: str, name: str, status: str) -> None:
    """Keep the worst status seen for a component."""
    key = ident or name
    if not key or status not in _RANK:
        return
    held = worst.get(key)
    if held is None or _RANK[status] > _RANK[held[2]]:
        worst[key] = (ident, name, status)


def _incidents(items: Any, errors: dict[str, list[str]]) -> tuple[list[Interval], int]:
    if not isinstance(items, list):
        errors["incidents"] = ["Must be a list of incidents."]
        return [], 0
    out: list[Interval] = []
    ignored = 0
    for i, raw in enumerate(items):
        at = f"incidents[{i}]"
        if not isinstance(raw, dict):
            errors[at] = ["Must be an object."]
            continue
        ident = raw.get("id")
        if not isinstance(ident, str) or not ident.strip() or len(ident) > 60:
            errors[f"{at}.id"] = ["Required: the incident id."]
            continue
        impact = raw.get("impact")
        if impact not in IMPACTS:
            errors[f"{at}.impact"] = [f"Must be one of {', '.join(IMPACTS)}; got {impact!r}."]
        if not isinstance(raw.get("status"), str):
            errors[f"{at}.status"] = ["Required: the incident status."]
        created = iso_time(raw.get("created_at"), f"{at}.created_at", errors)
        started = iso_time(raw.get("started_at"), f"{at}.started_at", errors, required=False)
        resolved = iso_time(raw.get("resolved_at"), f"{at}.resolved_at", errors, required=False)
        worst: dict[str, tuple[str, str, str]] = {}  # component key -> (id, name, worst status)

        components = raw.get("components", [])
        if not isinstance(components, list):
            errors[f"{at}.components"] = ["Must be a list of components."]
            components = []
        for j, comp in enumerate(components):
            _see(worst, *_component(comp, f"{at}.components[{j}]", errors))
        updates = raw.get("incident_updates", [])
        if not isinstance(updates, list):
            errors[f"{at}.incident_updates"] = ["Must be a list of updates."]
            updates = []
        for j, update in enumerate(updates):
            affected = update.get("affected_components") if isinstance(update, dict) else None
            for k, comp in enumerate(affected if isinstance(affected, list) else []):
                _see(
                    worst,
                    *_component(
                        comp, f"{at}.incident_updates[{j}].affected_components[{k}]", errors, status_key="new_status"
                    ),
                )
        if created is None or errors:
            continue
        start = min(started or created, created)
        if resolved is not None and resolved < start:
            errors[f"{at}.resolved_at"] = ["resolved_at precedes the start."]
            continue
        down = [(cid, name) for cid, name, status in worst.values() if status in DOWN]
        if not down and impact in SEVERE_IMPACTS:
            down = [(cid, name) for cid, name, _ in worst.values()]
        if not down:
            ignored += 1
            continue
        cause = f"Vendor status page: {text(raw.get('name'), 250)} ({impact})"
        for cid, name in down:
            out.append(
                Interval(
                    key=f"{ident.strip()}:{cid or name}",
                    refs=tuple(r for r in (cid, name) if r),
                    start=start,
                    end=resolved,
                    cause=cause[:300],
                )
            )
    return out, ignored


def parse_statuspage(body: bytes) -> Snapshot:
    """An ``incidents.json`` or ``summary.json`` body, validated whole."""
    data = load_object(body, "Statuspage")
    errors: dict[str, list[str]] = {}
    page = data.get("page")
    page_id = str(page.get("id", "")) if isinstance(page, dict) else ""
    if "incidents" not in data:
        errors["incidents"] = ["Required: the page's incidents (incidents.json or summary.json)."]
        raise_if(errors, "Statuspage")
    intervals, ignored = _incidents(data.get("incidents"), errors)
    states: list[ComponentState] = []
    kind = "incidents"
    if "components" in data:
        kind = "summary"
        comps = data["components"]
        if not isinstance(comps, list):
            errors["components"] = ["Must be a list of components."]
            comps = []
        for i, raw in enumerate(comps):
            ident, name, status = _component(raw, f"components[{i}]", errors)
            updated = iso_time(
                raw.get("updated_at") if isinstance(raw, dict) else None, f"components[{i}].updated_at", errors
            )
            if ident and name and status in STATUSES and updated is not None:
                if isinstance(raw, dict) and raw.get("group"):
                    continue  # a group's status only summarises its members
                states.append(ComponentState(key=ident, refs=(ident, name), status=status, at=updated))
    raise_if(errors, "Statuspage")
    return Snapshot(kind=kind, page_id=page_id, intervals=intervals, components=states, ignored=ignored)


__all__ = ["DOWN", "STATUSES", "ComponentState", "Snapshot", "parse_statuspage"]
