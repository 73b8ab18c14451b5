"""Remedies besides credits that a period owes, from the terms' ``remedies`` list (pure: no Django).

Rules: ``availability_breach`` is owed once per period whose availability was measured, binding
and below target (a period "not measured" owes nothing automatically, as with credits).
``response_breach`` is owed once per breached incident of a listed severity (all severities when
the rule lists none) that missed a binding target and has no pending exclusion claim; an accepted
exclusion removes the incident from the breaches before this runs. Each owed remedy has a stable
``ref`` so a reissued report owes the same line once, never twice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

KIND_LABELS = {
    "service_expansion": "Service expansion",
    "alternative_channel": "Alternative support channel",
    "executive_escalation": "Executive escalation",
    "extra_review": "Extra service review",
    "termination_right": "Termination right",
}


def owed_remedies(
    rules: Iterable[Mapping[str, Any]],
    *,
    availability_breached: bool,
    breaches: Sequence[Mapping[str, Any]],
) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for rule in rules:
        kind, trigger, text = rule["kind"], rule["trigger"], rule["description"]
        if trigger == "availability_breach" and availability_breached:
            out.append(
                {
                    "kind": kind,
                    "trigger": trigger,
                    "ref": f"availability/{kind}",
                    "description": text,
                    "label": KIND_LABELS[kind],
                }
            )
        elif trigger == "response_breach":
            severities = set(rule.get("severities") or [])
            for b in breaches:
                if b.get("pending_claim") or (severities and b["severity"] not in severities):
                    continue
                if not any(t.get("binding", True) for t in b.get("targets", [])):
                    continue
                out.append(
                    {
                        "kind": kind,
                        "trigger": trigger,
                        "ref": f"{b['ref']}/{kind}",
                        "description": f"{text} ({b['ref']}: {b['title']})"[:300],
                        "label": KIND_LABELS[kind],
                    }
                )
    return out
