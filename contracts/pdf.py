"""The SLA schedule exhibit: its tables, the context shared by the contract page and the PDF, and the PDF renderer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone

from audit import documents
from audit.models import IssuedDocument
from contracts.models import Contract, SLAVersion
from contracts.terms import ENVIRONMENTS, PARTIES, SEVERITIES, TARGETS, raci_flags
from contracts.wording import (
    CHANGE_KIND_LABELS,
    CLOCK_LABELS,
    CONTACT_ROLE_LABELS,
    ENVIRONMENT_LABELS,
    METRIC_LABELS,
    OUTCOME_LABELS,
    PARTY_LABELS,
    PERIOD_NOUNS,
    RACI_LABELS,
    ROLE_LABELS,
    TARGET_LABELS,
    WEEKDAYS,
    caps_text,
    claim_text,
    commitments_wording,
    credit_tiers,
    escalation_text,
    event_credit_text,
    fee_noun,
    holidays_text,
    human_minutes,
    measurement_text,
    notice_text,
    percent,
    playbook_trigger_text,
    plural,
    role_label,
    termination_exercise_text,
    termination_text,
    tier_range,
    weekly_hours,
)
from core.pdf import html_to_pdf

# The phrasing helpers live in contracts.wording; they stay importable from here.
__all__ = [
    "WEEKDAYS",
    "ENVIRONMENT_LABELS",
    "TARGET_LABELS",
    "CLOCK_LABELS",
    "METRIC_LABELS",
    "OUTCOME_LABELS",
    "CONTACT_ROLE_LABELS",
    "ROLE_LABELS",
    "PARTY_LABELS",
    "RACI_LABELS",
    "CHANGE_KIND_LABELS",
    "PERIOD_NOUNS",
    "human_minutes",
    "percent",
    "plural",
    "weekly_hours",
    "holidays_text",
    "tier_range",
    "fee_noun",
    "credit_tiers",
    "escalation_text",
    "role_label",
    "playbook_trigger_text",
    "notice_text",
    "termination_text",
    "termination_exercise_text",
    "claim_text",
    "caps_text",
    "severity_matrix",
    "playbook_rows",
    "raci_rows",
    "schedule_context",
    "render_schedule_pdf",
]


# -- severity matrix -----------------------------------------------------------


def severity_matrix(targets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per severity; per environment a cell of the three targets."""
    index = {(t["severity"], t["environment"]): t for t in targets}
    rows = []
    for severity in SEVERITIES:
        cells = []
        for env in ENVIRONMENTS:
            row = index.get((severity, env))
            if row is None:
                cells.append({"environment": ENVIRONMENT_LABELS[env], "lines": [], "clock": None})
                continue
            # (label, minutes, clock, prefix): the optional targets only when set,
            # on the acknowledge clock unless they name their own.
            shown = [(TARGET_LABELS[t], row[f"{t}_minutes"], row[f"{t}_clock"], "") for t in TARGETS]
            for kind, key, prefix in (("investigate", "investigate", ""), ("update", "update_interval", "every ")):
                if row.get(f"{key}_minutes") is not None:
                    clock = row.get(f"{key}_clock", row["acknowledge_clock"])
                    shown.append((TARGET_LABELS[kind], row[f"{key}_minutes"], clock, prefix))
            clocks = {clock for _label, _minutes, clock, _prefix in shown}
            uniform = clocks.pop() if len(clocks) == 1 else None
            lines = [
                {
                    "label": label,
                    "value": prefix + human_minutes(minutes, clock),
                    "clock": None if uniform else CLOCK_LABELS[clock],
                    "clock_key": clock,
                }
                for label, minutes, clock, prefix in shown
            ]
            cells.append(
                {
                    "environment": ENVIRONMENT_LABELS[env],
                    "lines": lines,
                    "clock": CLOCK_LABELS[uniform] if uniform else None,
                    "clock_key": uniform,
                }
            )
        if any(c["lines"] for c in cells):
            rows.append({"severity": severity.capitalize(), "key": severity, "cells": cells})
    return rows


# -- the whole schedule -------------------------------------------------------------


def _when(at: datetime | None, zone: str) -> str:
    if at is None:
        return ""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%-d %b %Y %H:%M} {zone}"


def playbook_rows(steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Steps grouped by severity (most severe first), each in order."""
    groups = []
    for severity in SEVERITIES:
        rows = sorted((s for s in steps if s["severity"] == severity), key=lambda s: s["order"])
        if rows:
            groups.append(
                {
                    "severity": severity.capitalize(),
                    "key": severity,
                    "steps": [
                        {
                            "order": s["order"],
                            "party": PARTY_LABELS[s["party"]],
                            "party_key": s["party"],
                            "role": role_label(s["role"]),
                            "when": playbook_trigger_text(s),
                            "action": s["action"],
                        }
                        for s in rows
                    ],
                }
            )
    return groups


def raci_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The RACI table as agreed, with the flags the terms alone can raise."""
    return [
        {
            "activity": r["activity"],
            "cells": [
                {
                    "party": party,
                    "letter": r.get(party) or "",
                    "meaning": RACI_LABELS[r.get(party) or ""],
                    "role": role_label(r.get(f"role_{party}")) if r.get(party) else "",
                }
                for party in PARTIES
            ],
            "flags": raci_flags(r),
        }
        for r in rows
    ]


def _party_acceptance(a: Any) -> str:
    return f"{a.accepted_by_name}, {a.organization} on {a.accepted_at:%-d %b %Y %H:%M} UTC"


def consent_context(version: SLAVersion, contract: Contract) -> dict[str, Any]:
    """How the version stands between the parties, for the exhibit: ``status`` (the
    words of the Status row: "Active" only when both parties accepted it, a signed
    review or a staff override put it in force), ``watermark``, and ``agreement``
    (who accepted what, or the override's reason)."""
    accepted = {a.side: a for a in version.acceptances.select_related("organization")}
    buyer, vendor = accepted.get(SLAVersion.Side.BUYER), accepted.get(SLAVersion.Side.VENDOR)
    basis = version.activation_basis
    if version.is_active:
        agreed = basis in (
            SLAVersion.Basis.ACCEPTED,
            SLAVersion.Basis.REVIEW,
            SLAVersion.Basis.OVERRIDE,
            SLAVersion.Basis.BOARD_ONLY,
        )
        status = (
            "Active (frozen)" if agreed else "In force as recorded (frozen); no acceptance by both parties on record"
        )
        watermark = ""
    else:
        wording: dict[str, str] = {
            SLAVersion.Status.DRAFT: "DRAFT — not in force; for review only",
            SLAVersion.Status.PROPOSED: "PROPOSED — not in force until both parties accept it",
        }
        status = wording.get(version.status, f"{version.get_status_display().upper()} — not in force")
        watermark = version.get_status_display().upper()
    agreement = ""
    if basis == SLAVersion.Basis.ACCEPTED and buyer and vendor:
        checksum = vendor.checksum if vendor.checksum == buyer.checksum else f"{buyer.checksum} / {vendor.checksum}"
        agreement = f"Accepted by {_party_acceptance(buyer)} and {_party_acceptance(vendor)}, checksum {checksum}."
    elif basis == SLAVersion.Basis.OVERRIDE:
        agreement = f"Activated by staff override: {version.override_reason}"
    elif basis == SLAVersion.Basis.BOARD_ONLY:
        agreement = f"Activated by staff override for a board-only contract: {version.override_reason}"
    elif basis == SLAVersion.Basis.REVIEW:
        agreement = "Activated by the governance board's signed annual review."
    elif version.is_proposed:
        done = [f"the {a.side}: {_party_acceptance(a)}" for a in (buyer, vendor) if a]
        agreement = f"Accepted so far by {'; '.join(done) or 'nobody'}; checksum {version.consent_checksum}."
    return {"status": status, "watermark": watermark, "agreement": agreement}


def schedule_context(version: SLAVersion, contract: Contract | None = None) -> dict[str, Any]:
    """Everything ``contracts/_schedule.html`` shows, as display-ready values."""
    contract = contract or version.contract
    t = version.terms
    cal = t["calendar"]
    up = t["uptime"]
    period = up["period"]
    ex = t["exclusions"]
    stops = [TARGET_LABELS[k].lower() for k in TARGETS if k in t["pause"]["stops"]]
    running = [TARGET_LABELS[k].lower() for k in TARGETS if k not in t["pause"]["stops"]]
    metrics_by_outcome: dict[str, list[dict[str, Any]]] = {}
    for m in t["metrics"]:
        metrics_by_outcome.setdefault(m["outcome"], []).append(
            {"label": METRIC_LABELS.get(m["metric"], m["metric"]), "binding": m["binding"]}
        )
    excluded = [
        label
        for key, label in (
            ("force_majeure", "Force majeure events"),
            ("third_party", "Failures of third-party services outside the vendor's control"),
            ("customer_caused", "Incidents caused by the buyer or its users"),
        )
        if ex[key]
    ]
    return {
        "version": version,
        "contract": contract,
        "is_draft": version.is_draft,
        **consent_context(version, contract),
        "effective_from": _when(version.effective_from, cal["timezone"]),
        "effective_to": _when(version.effective_to, cal["timezone"]),
        "calendar": {
            "timezone": cal["timezone"],
            "hours": weekly_hours(cal["hours"]),
            "holidays": holidays_text(cal),
            "closures": [
                {"date": c["date"], "name": c["name"]} for c in sorted(cal.get("closures", []), key=lambda c: c["date"])
            ],
        },
        "matrix": severity_matrix(t["targets"]),
        "environments": [ENVIRONMENT_LABELS[e] for e in ENVIRONMENTS],
        "pause": (
            f"Agreed pauses stop the {' and '.join(stops)} clock{'s' if len(stops) > 1 else ''}"
            + (f"; the {' and '.join(running)} clock keeps running." if running else ".")
            if stops
            else "Pauses do not stop any clock."
        ),
        "workaround": (
            "An accepted workaround counts as restoring service. A temporary workaround is valid for "
            f"{plural(t['workaround']['temporary_days'], 'day')}; if the incident is not resolved before it "
            "expires, it counts as no workaround."
            if t["workaround"]["temporary_days"]
            else "An accepted workaround counts as restoring service, without a time limit."
        ),
        "uptime": {
            "target": percent(up["target_percent"]),
            "period": f"calendar {PERIOD_NOUNS.get(period, period)}",
            "timezone": up["timezone"],
            "definition": up["downtime_definition"],
            "service_rule": (
                "The service is down when any covered component is down."
                if up["service_rule"] == "any"
                else "The service is down only when every covered component is down."
            ),
            "critical_incidents_count": up.get("critical_incidents_count", False),
            "measurement": measurement_text(up),
        },
        "tiers": credit_tiers(t["credit_tiers"], period),
        "commitments": commitments_wording(t),
        "event_credits": [event_credit_text(rule) for rule in t.get("event_credits") or []],
        "cap": " ".join(caps_text(t, period, contract.currency)),
        "caps": caps_text(t, period, contract.currency),
        "claim_window": claim_text(t, period),
        "breach_credits": [
            {
                "text": f"{b['severity'].capitalize()} incident, {b['target']} target missed",
                "credit": f"{b['percent']} % of {fee_noun(period)} per incident",
            }
            for b in t["breach_credits"]
        ],
        "exclusions": {
            "maintenance": (
                f"Scheduled maintenance of up to {human_minutes(ex['maintenance_allowance_minutes'])} per "
                f"{PERIOD_NOUNS.get(period, period)}, announced at least {plural(ex['maintenance_notice_days'], 'day')} ahead."
                if ex["maintenance_allowance_minutes"]
                else "No scheduled maintenance allowance: maintenance counts as downtime."
            ),
            "excluded": excluded,
        },
        "escalation": [
            {
                "level": row["level"],
                "contact": CONTACT_ROLE_LABELS.get(row["contact_role"], row["contact_role"]),
                "when": escalation_text(row),
            }
            for row in sorted(t["escalation"], key=lambda r: r["level"])
        ],
        "notice_rules": [
            {
                "kind": CHANGE_KIND_LABELS.get(r["change_kind"], r["change_kind"]),
                "notice": notice_text(r["days"], r.get("hours") or 0),
            }
            for r in t["notice_rules"]
        ],
        "reporting": {
            "due": f"The service report for each {PERIOD_NOUNS.get(period, period)} is due on day {t['reporting']['report_due_day']} of the following month.",
            "retention": f"Measurement data is kept for {plural(t['reporting']['retention_days'], 'day')}.",
        },
        "disputes": [
            {"stage": d["stage"], "days": plural(d["days"], "day") if d["days"] else "until decided"}
            for d in t["disputes"]
        ],
        "termination": termination_text(t["termination"], period),
        "termination_exercise": termination_exercise_text(t["termination"]),
        "metrics": [
            {"outcome": OUTCOME_LABELS.get(outcome, outcome), "metrics": rows}
            for outcome, rows in metrics_by_outcome.items()
        ],
        "playbook": playbook_rows(t.get("playbook") or []),
        "raci": raci_rows(t.get("raci") or []),
    }


def render_schedule_pdf(version: SLAVersion) -> bytes:
    """The schedule as a PDF exhibit. Needs no request (print CSS is inline). The schedule of an
    accepted version (active: both parties accepted it, or a signed review did) is issued signed and
    registered; a draft, proposal or counter-proposal is not an agreement and goes out unsigned. Renders and signs: call it with no lock held."""
    contract = version.contract
    html = render_to_string(
        "pdf/sla_schedule.html",
        {
            "sched": schedule_context(version, contract),
            "contract": contract,
            "version": version,
            "generated_at": timezone.now(),
        },
    )
    content = html_to_pdf(html)
    if version.status != SLAVersion.Status.ACTIVE:
        return content
    signed, _ = documents.issue(
        content,
        kind=IssuedDocument.Kind.SLA_SCHEDULE,
        obj=version,
        contract_id=contract.pk,
        reference=f"{contract.reference} · SLA v{version.number}",
    )
    return signed
