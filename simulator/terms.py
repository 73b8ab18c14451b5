"""Candidate terms for the negotiation simulator: where they come from (a
draft SLA version, an amendment under review, an earlier version, a preset,
a whole terms document) and the edits made on the spot on top of them.

Every candidate ends as a complete terms document that passed
``contracts.terms.validate_terms``: the simulator judges history by the same
rules a signed version would be held to.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from contracts.models import Contract, SLAVersion
from contracts.presets import PRESETS, preset_terms
from contracts.terms import ENVIRONMENTS, SEVERITIES, TARGETS, TermsError, validate_terms
from contracts.versions import InForceFallback, in_force_among

__all__ = [
    "CandidateError",
    "CandidateTerms",
    "apply_changes",
    "format_hours",
    "in_force_version",
    "parse_hours",
    "resolve_candidate",
    "shift_tiers_to_target",
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SOURCES = ("in_force", "draft", "amendment", "version", "preset", "terms", "edited")


class CandidateError(ValueError):
    """A candidate cannot be built; ``errors`` maps field paths to messages."""

    def __init__(self, message: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class CandidateTerms:
    """One term set to replay history under."""

    label: str
    terms: Mapping[str, Any]  # a complete, validated terms document
    source: str = "edited"  # one of SOURCES
    ref: str = ""  # where it came from, in words ("SLA v3 (draft)")
    changes: Mapping[str, Any] = field(default_factory=dict)  # the on-the-spot edits, as given


def in_force_version(
    contract: Contract, at: datetime, versions: Sequence[SLAVersion] | None = None
) -> SLAVersion | None:
    """The frozen version in force at ``at`` (else the latest frozen one: the
    simulator always starts from some agreed terms)."""
    if versions is None:
        return SLAVersion.objects.for_contract(contract).in_force_at(at, fallback=InForceFallback.LATEST_FROZEN)
    return in_force_among(versions, at, fallback=InForceFallback.LATEST_FROZEN)


# -- coverage hours as text ---------------------------------------------------------------

_SHIFT = re.compile(r"^([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})$")


def parse_hours(text: str) -> list[dict[str, Any]]:
    """ "Mon-Fri 08:00-18:00; Sat 09:00-13:00" -> the calendar's ``hours``.
    "24x7" means every day, all day (00:00-00:00)."""
    text = (text or "").strip().lower()
    if text in ("24x7", "24/7", "always"):
        return [{"weekday": d, "start": "00:00", "end": "00:00"} for d in range(7)]
    hours: list[dict[str, Any]] = []
    for part in filter(None, (p.strip() for p in re.split(r"[;\n]", text))):
        m = _SHIFT.match(part)
        if m is None or m.group(1) not in DAYS or (m.group(2) and m.group(2) not in DAYS):
            raise CandidateError(
                "Coverage hours are not understood.",
                {"coverage_hours": [f"'{part}': write shifts as 'Mon-Fri 08:00-18:00; Sat 09:00-13:00', or '24x7'."]},
            )
        first = DAYS.index(m.group(1))
        last = DAYS.index(m.group(2)) if m.group(2) else first
        if last < first:
            raise CandidateError(
                "Coverage hours are not understood.", {"coverage_hours": [f"'{part}': days run backwards."]}
            )
        hours += [{"weekday": d, "start": m.group(3), "end": m.group(4)} for d in range(first, last + 1)]
    if not hours:
        raise CandidateError("Give the coverage hours.", {"coverage_hours": ["For example 'Mon-Fri 08:00-18:00'."]})
    return sorted(hours, key=lambda h: (h["weekday"], h["start"]))


def format_hours(hours: Sequence[Mapping[str, Any]]) -> str:
    """The inverse of ``parse_hours``: consecutive days with equal shifts grouped."""
    by_day: dict[int, list[tuple[str, str]]] = {}
    for h in sorted(hours, key=lambda h: (h["weekday"], h["start"])):
        by_day.setdefault(h["weekday"], []).append((h["start"], h["end"]))
    if len(by_day) == 7 and all(v == [("00:00", "00:00")] for v in by_day.values()):
        return "24x7"
    parts: list[str] = []
    days = sorted(by_day)
    i = 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1 and by_day[days[j + 1]] == by_day[days[i]]:
            j += 1
        span = DAY_NAMES[days[i]] if i == j else f"{DAY_NAMES[days[i]]}-{DAY_NAMES[days[j]]}"
        parts += [f"{span} {a}-{b}" for a, b in by_day[days[i]]]
        i = j + 1
    return "; ".join(parts)


# -- edits on the spot ---------------------------------------------------------------------


def _decimal(value: Any, path: str) -> str:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise CandidateError(
            "Please correct the candidate terms.", {path: ["Must be a number such as 99.9."]}
        ) from None
    return format(number.normalize(), "f") if number == number.to_integral() else str(number)


def shift_tiers_to_target(tiers: Sequence[Mapping[str, Any]], old: Decimal, new: Decimal) -> list[dict[str, Any]]:
    """Credit tiers kept coherent with a moved uptime target: when the top
    tier starts paying just below the old target, it starts just below the new
    one; tiers that would lie wholly at or above the new target are dropped."""
    rows = [dict(t) for t in tiers]
    if not rows or rows[0]["upper"] is None or Decimal(rows[0]["upper"]) != old:
        return rows
    kept = []
    for row in rows:
        lower = None if row["lower"] is None else Decimal(row["lower"])
        if lower is not None and lower >= new:  # nothing of it lies below the new target
            continue
        kept.append(row)
    if kept:
        kept[0] = {**kept[0], "upper": _decimal(new, "uptime_target"), "upper_inclusive": rows[0]["upper_inclusive"]}
    return kept


def apply_changes(terms: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``terms`` with the on-the-spot ``changes`` applied, validated.

    Keys (all optional): ``targets`` (rows of severity, environment and any
    of ``<kind>_minutes`` / ``<kind>_clock``), ``clock`` ("24x7" or "coverage"
    for every target), ``coverage_hours`` (text, see ``parse_hours``),
    ``calendar`` (a whole calendar), ``uptime_target``, ``uptime`` (fields of
    the uptime section), ``credit_tiers``, ``credit_cap_percent``,
    ``breach_credits``, ``exclusions`` (fields), ``termination`` (fields),
    ``pause_stops``."""
    doc = copy.deepcopy(dict(terms))
    known = {
        "targets", "clock", "coverage_hours", "calendar", "uptime_target", "uptime", "credit_tiers",
        "credit_cap_percent", "breach_credits", "exclusions", "termination", "pause_stops", "tiers_follow_target",
    }  # fmt: skip
    unknown = sorted(set(changes) - known)
    if unknown:
        raise CandidateError("Unknown changes.", {k: ["Not a field the simulator can change."] for k in unknown})
    rows = {(r["severity"], r["environment"]): r for r in doc["targets"]}
    for i, row in enumerate(changes.get("targets") or []):
        key = (row.get("severity"), row.get("environment"))
        if key[0] not in SEVERITIES or key[1] not in ENVIRONMENTS:
            raise CandidateError("Please correct the targets.", {f"targets[{i}]": ["Name a severity and environment."]})
        current = rows.get(key)
        if current is None:
            current = {"severity": key[0], "environment": key[1]}
            doc["targets"].append(current)
            rows[key] = current
        for kind in TARGETS:
            for suffix in ("minutes", "clock"):
                if row.get(f"{kind}_{suffix}") is not None:
                    current[f"{kind}_{suffix}"] = row[f"{kind}_{suffix}"]
    if changes.get("clock"):
        for row in doc["targets"]:
            for kind in TARGETS:
                row[f"{kind}_clock"] = changes["clock"]
    if changes.get("calendar"):
        doc["calendar"] = copy.deepcopy(changes["calendar"])
    if changes.get("coverage_hours"):
        doc["calendar"]["hours"] = parse_hours(changes["coverage_hours"])
    if changes.get("uptime"):
        doc["uptime"].update(changes["uptime"])
    if changes.get("credit_tiers") is not None:
        doc["credit_tiers"] = copy.deepcopy(list(changes["credit_tiers"]))
    if changes.get("uptime_target") not in (None, ""):
        new = _decimal(changes["uptime_target"], "uptime_target")
        old = Decimal(doc["uptime"]["target_percent"])
        if changes.get("tiers_follow_target") and changes.get("credit_tiers") is None:
            doc["credit_tiers"] = shift_tiers_to_target(doc["credit_tiers"], old, Decimal(new))
        doc["uptime"]["target_percent"] = new
    if changes.get("credit_cap_percent") not in (None, ""):
        doc["credit_cap_percent"] = _decimal(changes["credit_cap_percent"], "credit_cap_percent")
    if changes.get("breach_credits") is not None:
        doc["breach_credits"] = copy.deepcopy(list(changes["breach_credits"]))
    for section in ("exclusions", "termination"):
        if changes.get(section):
            doc[section].update(changes[section])
    if changes.get("pause_stops") is not None:
        doc["pause"] = {"stops": [t for t in TARGETS if t in changes["pause_stops"]]}
    try:
        validate_terms(doc)
    except TermsError as exc:
        raise CandidateError("The candidate terms are not valid.", exc.errors) from None
    return doc


# -- where a candidate comes from ----------------------------------------------------------------


def resolve_candidate(
    contract: Contract, spec: Mapping[str, Any], *, now: datetime, versions: Any = None, position: int = 1
) -> CandidateTerms:
    """A candidate from its description: at most one of ``version`` (an SLA
    version id of this contract: a draft or an earlier one), ``amendment`` (an
    annual-review amendment id of this contract), ``preset`` (a preset key) or
    ``terms`` (a whole document); none means the terms in force. ``changes``
    are applied on top. ``versions``: a queryset of SLA versions the person
    may see, for a version of another contract (the portfolio's yardstick)."""
    from reviews.models import Amendment

    chosen = [k for k in ("version", "amendment", "preset", "terms") if spec.get(k) not in (None, "")]
    if len(chosen) > 1:
        raise CandidateError("Choose one source.", {"source": [f"Give one of {', '.join(chosen)}, not several."]})
    source = chosen[0] if chosen else "in_force"
    if source == "version":
        qs = versions if versions is not None else SLAVersion.objects.filter(contract=contract)
        version = qs.filter(pk=spec["version"]).select_related("contract").first()
        if version is None:
            raise CandidateError("No such SLA version.", {"version": ["Not an SLA version you may see."]})
        terms, ref = version.terms, f"SLA v{version.number}{' (draft)' if version.is_draft else ''}"
        if version.contract_id != contract.pk:
            ref = f"{version.contract.reference} {ref}"
        source = "draft" if version.is_draft else "version"
    elif source == "amendment":
        amendment = (
            Amendment.objects.filter(pk=spec["amendment"], review__contract=contract)
            .select_related("sla_version", "review")
            .first()
        )
        if amendment is None:
            raise CandidateError("No such amendment.", {"amendment": ["Not an amendment of this contract."]})
        terms, ref = amendment.sla_version.terms, f"Amendment “{amendment.title}” (SLA v{amendment.sla_version.number})"
    elif source == "preset":
        if spec["preset"] not in PRESETS:
            raise CandidateError("No such preset.", {"preset": [f"One of: {', '.join(PRESETS)}."]})
        terms, ref = preset_terms(spec["preset"]), f"Preset {PRESETS[spec['preset']]['label']}"
    elif source == "terms":
        terms, ref = spec["terms"], "Terms document"
    else:
        version = in_force_version(contract, now)
        if version is None:
            raise CandidateError(f"{contract.reference} has no SLA in force.", {"contract": ["No active SLA."]})
        terms, ref = version.terms, f"SLA v{version.number} in force"
    changes = dict(spec.get("changes") or {})
    if changes:
        doc = apply_changes(terms, changes)
        source = "edited"
    else:
        doc = copy.deepcopy(dict(terms))
        try:
            validate_terms(doc)
        except TermsError as exc:
            raise CandidateError("The terms are not valid.", exc.errors) from None
    label = (spec.get("label") or "").strip() or (f"Edited {ref}" if changes else ref) or f"Candidate {position}"
    return CandidateTerms(label=label[:120], terms=doc, source=source, ref=ref, changes=changes)
