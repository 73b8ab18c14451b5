"""The SLA terms editor: every field of a terms document as HTML inputs.

The forms parse input into the document the services take and route the
services' field errors (``terms.<path>``) back to the inputs; the rules
themselves live in ``contracts.terms``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django import forms

from contracts.forms.base import StyledForm, _choices, _int
from contracts.forms.playbook import PlaybookFieldsMixin
from contracts.terms import (
    CHANGE_KINDS,
    CLOCKS,
    ENVIRONMENTS,
    ESCALATION_TRIGGERS,
    METRICS,
    OUTCOMES,
    SEVERITIES,
    TARGETS,
)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLOCK_CHOICES = [(c, {"24x7": "24x7", "coverage": "Business hours"}.get(c, c)) for c in CLOCKS]
ENV_LABELS = {"production": "production", "non_production": "non-production"}
_ROW_LIMIT = 40


class TermsForm(PlaybookFieldsMixin, StyledForm):
    """Every field of a terms document as HTML inputs.

    Rows (shifts, matrix cells, tiers, ...) become numbered inputs; a row left
    blank is dropped. ``build_terms()`` returns the document and remembers
    which input each path came from, so ``apply_errors()`` can put
    ``terms.targets[3].restore_minutes`` next to the right box.
    """

    GROUPS: dict[str, dict[str, Any]] = {
        "tier": {
            "path": "credit_tiers",
            "extra": 3,
            "presence": ("lower", "upper", "percent"),
            "required": ("percent",),
        },
        "breach": {
            "path": "breach_credits",
            "extra": 2,
            "presence": ("severity", "target", "percent"),
            "required": ("severity", "target", "percent"),
        },
        "esc": {
            "path": "escalation",
            "extra": 2,
            "presence": ("level", "contact_role", "trigger", "value"),
            "required": ("level", "contact_role", "trigger", "value"),
        },
        "dispute": {"path": "disputes", "extra": 2, "presence": ("stage", "days"), "required": ("stage",)},
        **PlaybookFieldsMixin.PLAYBOOK_GROUPS,
    }

    change_summary = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Summary of changes"
    )
    cal_timezone = forms.CharField(label="Time zone", max_length=64, help_text="IANA name, e.g. Europe/Berlin.")
    cal_country = forms.CharField(
        label="Holiday country", required=False, max_length=8, help_text="ISO code (DE); blank: no holidays."
    )
    cal_subdivision = forms.CharField(label="Subdivision", required=False, max_length=16, help_text="e.g. BE.")
    cal_closures = forms.CharField(
        label="Closures",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-24 Christmas Eve"}),
        help_text="One per line: YYYY-MM-DD Name.",
    )
    pause_stops = forms.MultipleChoiceField(
        label="Pauses stop these clocks",
        required=False,
        choices=[(t, t.capitalize()) for t in TARGETS],
        widget=forms.CheckboxSelectMultiple,
    )
    workaround_days = forms.IntegerField(
        label="Temporary workaround valid for (days)", required=False, help_text="Blank: no limit."
    )
    up_target = forms.CharField(label="Uptime target %", max_length=10)
    up_period = forms.ChoiceField(label="Measured per", choices=[("month", "Month"), ("quarter", "Quarter")])
    up_timezone = forms.CharField(label="Measurement time zone", max_length=64)
    up_definition = forms.CharField(label="Downtime definition", widget=forms.Textarea(attrs={"rows": 2}))
    up_service_rule = forms.ChoiceField(
        label="Service is down when",
        choices=[("any", "any covered component is down"), ("all", "every covered component is down")],
    )
    up_critical_count = forms.BooleanField(label="Critical production incidents count as downtime", required=False)
    credit_cap = forms.CharField(label="Credit cap % of fee", max_length=10)
    claim_window = forms.IntegerField(label="Claim window (days)")
    ex_allowance = forms.IntegerField(label="Maintenance allowance (minutes per period)")
    ex_notice = forms.IntegerField(label="Maintenance notice (days)")
    ex_force_majeure = forms.BooleanField(label="Force majeure is excluded", required=False)
    ex_third_party = forms.BooleanField(label="Third-party failures are excluded", required=False)
    ex_customer_caused = forms.BooleanField(label="Customer-caused incidents are excluded", required=False)
    rep_due_day = forms.IntegerField(label="Report due on day (1–28) of the next month")
    rep_retention = forms.IntegerField(label="Keep data for (days)")
    term_below = forms.IntegerField(label="Periods below target")
    term_of_last = forms.IntegerField(label="Out of the last (periods)")
    term_consecutive = forms.BooleanField(label="Must be consecutive (in a row)", required=False)

    def __init__(self, *args: Any, terms: Mapping[str, Any], change_summary: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms = terms
        self._paths: dict[str, str] = {}
        self.section_errors: dict[str, list[str]] = {}
        self._section_summary: list[tuple[str, str, str]] = []
        data = self.data if self.is_bound else {}
        cal = terms["calendar"]

        per_day = [sum(1 for h in cal["hours"] if h["weekday"] == d) for d in range(7)]
        self.hours_slots = _int(data.get("hours_slots"), max(2, *per_day), low=1, high=6) if data else max(2, *per_day)
        self.fields["hours_slots"] = forms.IntegerField(widget=forms.HiddenInput, initial=self.hours_slots)
        slots: dict[tuple[int, int], Mapping[str, Any]] = {}
        for h in cal["hours"]:
            slot = sum(1 for (d, _s) in slots if d == h["weekday"])
            slots[(h["weekday"], slot)] = h
        for d in range(7):
            for s in range(self.hours_slots):
                shift = slots.get((d, s), {})
                for end in ("start", "end"):
                    self.fields[f"h_{d}_{s}_{end}"] = forms.CharField(
                        label=f"{WEEKDAY_NAMES[d]} shift {s + 1} {end}",
                        required=False,
                        initial=shift.get(end, ""),
                        widget=forms.TimeInput(attrs={"type": "time"}),
                    )

        targets = {(t["severity"], t["environment"]): t for t in terms["targets"]}
        for sev in SEVERITIES:
            for env in ENVIRONMENTS:
                row = targets.get((sev, env), {})
                for kind in TARGETS:
                    name = f"t_{sev}_{env}_{kind}"
                    self.fields[f"{name}_minutes"] = forms.IntegerField(
                        label=f"{sev.capitalize()} / {ENV_LABELS[env]}: {kind} (minutes)",
                        required=False,
                        initial=row.get(f"{kind}_minutes"),
                        widget=forms.NumberInput(attrs={"min": 1, "class": "minutes"}),
                    )
                    self.fields[f"{name}_clock"] = forms.ChoiceField(
                        label=f"{sev.capitalize()} / {ENV_LABELS[env]}: {kind} clock",
                        choices=CLOCK_CHOICES,
                        initial=row.get(f"{kind}_clock", "24x7"),
                    )

        self._add_group("tier", terms["credit_tiers"], data, self._tier_fields)
        self._add_group("breach", terms["breach_credits"], data, self._breach_fields)
        self._add_group("esc", terms["escalation"], data, self._esc_fields)
        self._add_group("dispute", terms["disputes"], data, self._dispute_fields)
        self._add_playbook_groups(terms, data)

        notices = {r["change_kind"]: r["days"] for r in terms["notice_rules"]}
        for kind in CHANGE_KINDS:
            self.fields[f"notice_{kind}"] = forms.IntegerField(
                label=f"{kind.replace('_', ' ').capitalize()} notice (days)", required=False, initial=notices.get(kind)
            )
        metrics = {m["metric"]: m for m in terms["metrics"]}
        for metric in METRICS:
            m = metrics.get(metric)
            self.fields[f"m_{metric}_use"] = forms.ChoiceField(
                label=f"{metric.capitalize()}",
                required=False,
                choices=[("binding", "Binding"), ("aspirational", "Aspirational (reported only)"), ("", "Not tracked")],
                initial="" if m is None else ("binding" if m["binding"] else "aspirational"),
            )
            self.fields[f"m_{metric}_outcome"] = forms.ChoiceField(
                label=f"{metric.capitalize()} protects",
                choices=_choices(OUTCOMES, blank=False),
                initial=(m or {}).get("outcome", "operational_continuity"),
            )

        if not self.is_bound:
            up, ex, rep, term = terms["uptime"], terms["exclusions"], terms["reporting"], terms["termination"]
            self.initial.update(
                {
                    "change_summary": change_summary,
                    "cal_timezone": cal["timezone"],
                    "cal_country": cal.get("country") or "",
                    "cal_subdivision": cal.get("subdivision") or "",
                    "cal_closures": "\n".join(f"{c['date']} {c['name']}" for c in cal.get("closures", [])),
                    "pause_stops": list(terms["pause"]["stops"]),
                    "workaround_days": terms["workaround"]["temporary_days"],
                    "up_target": up["target_percent"],
                    "up_period": up["period"],
                    "up_timezone": up["timezone"],
                    "up_definition": up["downtime_definition"],
                    "up_service_rule": up["service_rule"],
                    "up_critical_count": up.get("critical_incidents_count", False),
                    "credit_cap": terms["credit_cap_percent"],
                    "claim_window": terms["claim_window_days"],
                    "ex_allowance": ex["maintenance_allowance_minutes"],
                    "ex_notice": ex["maintenance_notice_days"],
                    "ex_force_majeure": ex["force_majeure"],
                    "ex_third_party": ex["third_party"],
                    "ex_customer_caused": ex["customer_caused"],
                    "rep_due_day": rep["report_due_day"],
                    "rep_retention": rep["retention_days"],
                    "term_below": term["below_target"],
                    "term_of_last": term["of_last"],
                    "term_consecutive": term["consecutive"],
                }
            )

    # -- repeating rows ------------------------------------------------------------------

    def _add_group(self, prefix: str, rows: list[Mapping[str, Any]], data: Any, make: Any) -> None:
        spec = self.GROUPS[prefix]
        default = len(rows) + spec["extra"]
        count = _int(data.get(f"{prefix}_rows"), default, low=0, high=_ROW_LIMIT) if data else default
        setattr(self, f"{prefix}_count", count)
        self.fields[f"{prefix}_rows"] = forms.IntegerField(widget=forms.HiddenInput, initial=count)
        for i in range(count):
            row = rows[i] if i < len(rows) else None
            for column, field in make(i, row).items():
                self.fields[f"{prefix}_{i}_{column}"] = field

    @staticmethod
    def _tier_fields(i: int, row: Mapping[str, Any] | None) -> dict[str, forms.Field]:
        row = row or {}
        n = i + 1
        return {
            "lower_op": forms.ChoiceField(
                label=f"Tier {n} lower bound",
                choices=[(">=", "≥"), (">", ">")],
                initial=">" if row and not row.get("lower_inclusive", True) else ">=",
            ),
            "lower": forms.CharField(
                label=f"Tier {n} from %", required=False, initial=row.get("lower") or "", max_length=10
            ),
            "upper_op": forms.ChoiceField(
                label=f"Tier {n} upper bound",
                choices=[("<", "<"), ("<=", "≤")],
                initial="<=" if row.get("upper_inclusive") else "<",
            ),
            "upper": forms.CharField(
                label=f"Tier {n} to %", required=False, initial=row.get("upper") or "", max_length=10
            ),
            "percent": forms.CharField(
                label=f"Tier {n} credit %", required=False, initial=row.get("percent") or "", max_length=10
            ),
        }

    @staticmethod
    def _breach_fields(i: int, row: Mapping[str, Any] | None) -> dict[str, forms.Field]:
        row = row or {}
        n = i + 1
        return {
            "severity": forms.ChoiceField(
                label=f"Breach credit {n} severity",
                required=False,
                choices=_choices(SEVERITIES),
                initial=row.get("severity", ""),
            ),
            "target": forms.ChoiceField(
                label=f"Breach credit {n} target",
                required=False,
                choices=_choices(TARGETS),
                initial=row.get("target", ""),
            ),
            "percent": forms.CharField(
                label=f"Breach credit {n} %", required=False, initial=row.get("percent", ""), max_length=10
            ),
        }

    @staticmethod
    def _esc_fields(i: int, row: Mapping[str, Any] | None) -> dict[str, forms.Field]:
        row = row or {}
        n = i + 1
        return {
            "level": forms.IntegerField(label=f"Escalation row {n} level", required=False, initial=row.get("level")),
            "contact_role": forms.ChoiceField(
                label=f"Escalation row {n} contact",
                required=False,
                choices=_choices(("incident_manager", "escalation_contact", "executive_sponsor")),
                initial=row.get("contact_role", ""),
            ),
            "trigger": forms.ChoiceField(
                label=f"Escalation row {n} trigger",
                required=False,
                choices=_choices(
                    ESCALATION_TRIGGERS,
                    {
                        "share_elapsed": "Share of target elapsed (%)",
                        "breach": "On breach",
                        "past_breach": "Minutes past breach",
                    },
                ),
                initial=row.get("trigger", ""),
            ),
            "value": forms.IntegerField(label=f"Escalation row {n} value", required=False, initial=row.get("value")),
        }

    @staticmethod
    def _dispute_fields(i: int, row: Mapping[str, Any] | None) -> dict[str, forms.Field]:
        row = row or {}
        n = i + 1
        return {
            "stage": forms.CharField(
                label=f"Dispute stage {n}", required=False, initial=row.get("stage", ""), max_length=200
            ),
            "days": forms.IntegerField(label=f"Dispute stage {n} days", required=False, initial=row.get("days")),
        }

    def _row_used(self, prefix: str, i: int) -> bool:
        return any(
            self.cleaned_data.get(f"{prefix}_{i}_{c}") not in (None, "") for c in self.GROUPS[prefix]["presence"]
        )

    # -- parsing -------------------------------------------------------------------------

    def clean_cal_closures(self) -> list[dict[str, str]]:
        closures, problems = [], []
        for n, line in enumerate((self.cleaned_data["cal_closures"] or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            day, _, name = line.partition(" ")
            try:
                date.fromisoformat(day)
            except ValueError:
                problems.append(f"Line {n}: '{day}' is not a date as YYYY-MM-DD.")
                continue
            if not name.strip():
                problems.append(f"Line {n}: give the closure a name after the date.")
                continue
            closures.append({"date": day, "name": name.strip()})
        if problems:
            raise forms.ValidationError(problems)
        return closures

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for key, value in list(cleaned.items()):
            if isinstance(value, str) and key.startswith("h_") and re.fullmatch(r"\d\d:\d\d:\d\d", value):
                cleaned[key] = value[:5]  # some browsers send seconds
        for d in range(7):
            for s in range(self.hours_slots):
                start, end = f"h_{d}_{s}_start", f"h_{d}_{s}_end"
                if bool(cleaned.get(start)) != bool(cleaned.get(end)) and start in cleaned and end in cleaned:
                    missing = end if cleaned.get(start) else start
                    self.add_error(missing, "Give both a start and an end time, or neither.")
        for sev in SEVERITIES:
            for env in ENVIRONMENTS:
                names = [f"t_{sev}_{env}_{k}_minutes" for k in TARGETS]
                given = [n for n in names if cleaned.get(n) is not None]
                if given and len(given) < len(names):
                    for n in names:
                        if cleaned.get(n) is None and n not in self.errors:
                            self.add_error(n, "Give all three targets for this row, or leave all three blank.")
        for prefix, spec in self.GROUPS.items():
            for i in range(getattr(self, f"{prefix}_count")):
                if self._row_used(prefix, i):
                    for column in spec["required"]:
                        name = f"{prefix}_{i}_{column}"
                        if cleaned.get(name) in (None, "") and name not in self.errors:
                            self.add_error(name, "Required when the row is used (clear the row to remove it).")
        return cleaned

    # -- the document ----------------------------------------------------------------------

    def _map(self, path: str, field: str) -> None:
        self._paths[path] = field

    def build_terms(self) -> dict[str, Any]:
        """The terms document from valid input."""
        cd = self.cleaned_data
        self._paths = {}
        hours = []
        for d in range(7):
            for s in range(self.hours_slots):
                start, end = cd.get(f"h_{d}_{s}_start"), cd.get(f"h_{d}_{s}_end")
                if start or end:
                    path = f"calendar.hours[{len(hours)}]"
                    self._map(path, f"h_{d}_{s}_start")
                    self._map(f"{path}.weekday", f"h_{d}_{s}_start")
                    self._map(f"{path}.start", f"h_{d}_{s}_start")
                    self._map(f"{path}.end", f"h_{d}_{s}_end")
                    hours.append({"weekday": d, "start": start, "end": end})
        for i in range(len(cd["cal_closures"])):
            self._map(f"calendar.closures[{i}]", "cal_closures")
            self._map(f"calendar.closures[{i}].date", "cal_closures")
            self._map(f"calendar.closures[{i}].name", "cal_closures")
        for key, field in (
            ("calendar.timezone", "cal_timezone"),
            ("calendar.country", "cal_country"),
            ("calendar.subdivision", "cal_subdivision"),
            ("calendar.closures", "cal_closures"),
            ("calendar.hours", "h_0_0_start"),
            ("pause.stops", "pause_stops"),
            ("workaround.temporary_days", "workaround_days"),
            ("uptime.target_percent", "up_target"),
            ("uptime.period", "up_period"),
            ("uptime.timezone", "up_timezone"),
            ("uptime.downtime_definition", "up_definition"),
            ("uptime.service_rule", "up_service_rule"),
            ("uptime.critical_incidents_count", "up_critical_count"),
            ("credit_cap_percent", "credit_cap"),
            ("claim_window_days", "claim_window"),
            ("exclusions.maintenance_allowance_minutes", "ex_allowance"),
            ("exclusions.maintenance_notice_days", "ex_notice"),
            ("reporting.report_due_day", "rep_due_day"),
            ("reporting.retention_days", "rep_retention"),
            ("termination.below_target", "term_below"),
            ("termination.of_last", "term_of_last"),
            ("termination.consecutive", "term_consecutive"),
        ):
            self._map(key, field)

        order = [(t["severity"], t["environment"]) for t in self.terms["targets"]]
        order += [(s, e) for s in SEVERITIES for e in ENVIRONMENTS if (s, e) not in order]
        targets = []
        for sev, env in order:
            name = f"t_{sev}_{env}"
            if cd.get(f"{name}_acknowledge_minutes") is None:
                continue
            path = f"targets[{len(targets)}]"
            self._map(path, f"{name}_acknowledge_minutes")
            row: dict[str, Any] = {"severity": sev, "environment": env}
            for kind in TARGETS:
                row[f"{kind}_minutes"] = cd[f"{name}_{kind}_minutes"]
                self._map(f"{path}.{kind}_minutes", f"{name}_{kind}_minutes")
            for kind in TARGETS:
                row[f"{kind}_clock"] = cd[f"{name}_{kind}_clock"]
                self._map(f"{path}.{kind}_clock", f"{name}_{kind}_clock")
            targets.append(row)

        tiers = self._rows(
            "tier",
            lambda i: {
                "lower": cd[f"tier_{i}_lower"].strip() or None,
                "lower_inclusive": cd[f"tier_{i}_lower_op"] == ">=",
                "upper": cd[f"tier_{i}_upper"].strip() or None,
                "upper_inclusive": cd[f"tier_{i}_upper_op"] == "<=",
                "percent": cd[f"tier_{i}_percent"].strip(),
            },
            {"lower_inclusive": "lower_op", "upper_inclusive": "upper_op"},
        )
        breach = self._rows(
            "breach",
            lambda i: {
                "severity": cd[f"breach_{i}_severity"],
                "target": cd[f"breach_{i}_target"],
                "percent": cd[f"breach_{i}_percent"].strip(),
            },
        )
        escalation = self._rows(
            "esc",
            lambda i: {k: cd[f"esc_{i}_{k}"] for k in ("level", "contact_role", "trigger", "value")},
        )
        disputes = self._rows(
            "dispute", lambda i: {"stage": cd[f"dispute_{i}_stage"].strip(), "days": cd[f"dispute_{i}_days"]}
        )

        kinds = [r["change_kind"] for r in self.terms["notice_rules"]]
        kinds += [k for k in CHANGE_KINDS if k not in kinds]
        notices = []
        for kind in kinds:
            if cd.get(f"notice_{kind}") is not None:
                self._map(f"notice_rules[{len(notices)}].days", f"notice_{kind}")
                self._map(f"notice_rules[{len(notices)}]", f"notice_{kind}")
                notices.append({"change_kind": kind, "days": cd[f"notice_{kind}"]})
        names = [m["metric"] for m in self.terms["metrics"]]
        names += [m for m in METRICS if m not in names]
        metrics = []
        for metric in names:
            use = cd.get(f"m_{metric}_use")
            if use:
                self._map(f"metrics[{len(metrics)}]", f"m_{metric}_use")
                self._map(f"metrics[{len(metrics)}].binding", f"m_{metric}_use")
                self._map(f"metrics[{len(metrics)}].outcome", f"m_{metric}_outcome")
                metrics.append({"metric": metric, "outcome": cd[f"m_{metric}_outcome"], "binding": use == "binding"})

        return {
            "calendar": {
                "timezone": cd["cal_timezone"].strip(),
                "country": cd["cal_country"].strip().upper() or None,
                "subdivision": cd["cal_subdivision"].strip().upper() or None,
                "hours": hours,
                "closures": cd["cal_closures"],
            },
            "targets": targets,
            "pause": {"stops": [t for t in TARGETS if t in cd["pause_stops"]]},
            "workaround": {"temporary_days": cd["workaround_days"]},
            "uptime": {
                "target_percent": cd["up_target"].strip(),
                "period": cd["up_period"],
                "timezone": cd["up_timezone"].strip(),
                "downtime_definition": cd["up_definition"].strip(),
                "service_rule": cd["up_service_rule"],
                "critical_incidents_count": cd["up_critical_count"],
            },
            "credit_tiers": tiers,
            "credit_cap_percent": cd["credit_cap"].strip(),
            "claim_window_days": cd["claim_window"],
            "breach_credits": breach,
            "exclusions": {
                "maintenance_allowance_minutes": cd["ex_allowance"],
                "maintenance_notice_days": cd["ex_notice"],
                "force_majeure": cd["ex_force_majeure"],
                "third_party": cd["ex_third_party"],
                "customer_caused": cd["ex_customer_caused"],
            },
            "escalation": escalation,
            "notice_rules": notices,
            "reporting": {"report_due_day": cd["rep_due_day"], "retention_days": cd["rep_retention"]},
            "disputes": disputes,
            "termination": {
                "below_target": cd["term_below"],
                "of_last": cd["term_of_last"],
                "consecutive": cd["term_consecutive"],
            },
            "metrics": metrics,
            **self.build_playbook(),
        }

    def _rows(self, prefix: str, make: Any, renamed: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        path = self.GROUPS[prefix]["path"]
        rows: list[dict[str, Any]] = []
        for i in range(getattr(self, f"{prefix}_count")):
            if not self._row_used(prefix, i):
                continue
            row = make(i)
            where = f"{path}[{len(rows)}]"
            first = next(iter(self.GROUPS[prefix]["presence"]))
            self._map(where, f"{prefix}_{i}_{first}")
            for key in row:
                self._map(f"{where}.{key}", f"{prefix}_{i}_{(renamed or {}).get(key, key)}")
            rows.append(row)
        return rows

    # -- errors from the service -------------------------------------------------------------

    # Top-level key -> (section on the page, its title); the page's anchors are "s-<section>".
    SECTIONS: dict[str, tuple[str, str]] = {
        "calendar": ("calendar", "Coverage calendar"),
        "targets": ("matrix", "Severity matrix"),
        "pause": ("matrix", "Pauses"),
        "workaround": ("matrix", "Workarounds"),
        "uptime": ("uptime", "Availability"),
        "credit_tiers": ("credits", "Credit tiers"),
        "credit_cap_percent": ("credits", "Credit cap"),
        "claim_window_days": ("credits", "Claim window"),
        "breach_credits": ("credits", "Breach credits"),
        "exclusions": ("exclusions", "Exclusions"),
        "escalation": ("escalation", "Escalation ladder"),
        "notice_rules": ("notices", "Notice of changes"),
        "reporting": ("reporting", "Reporting"),
        "disputes": ("disputes", "Dispute ladder"),
        "termination": ("termination", "Termination trigger"),
        "metrics": ("metrics", "Metrics"),
        **PlaybookFieldsMixin.PLAYBOOK_SECTIONS,
    }
    ANCHORS = {"disputes": "s-reporting"}
    _CALENDAR_PREFIX = re.compile(r"^(timezone|country|subdivision|shifts|closures)(\[\d+\])?(\.\w+)?: ")

    def apply_errors(self, errors: Mapping[str, list[str]]) -> None:
        """Put InvalidInput errors (``terms.<path>``) on the inputs they came from."""
        for key, messages in errors.items():
            path = key.removeprefix("terms.")
            for message in messages:
                field, text = self._route(path, message)
                section = self.SECTIONS.get(re.split(r"[.\[]", path)[0])
                if field is not None:
                    self.add_error(field, text)
                elif section is not None:
                    self.section_errors.setdefault(section[0], []).append(text)
                    self._section_summary.append((self.ANCHORS.get(section[0], f"s-{section[0]}"), section[1], text))
                else:
                    self.add_error(None, f"{path}: {text}")

    def _route(self, path: str, message: str) -> tuple[str | None, str]:
        if path.startswith("calendar."):
            # Calendar rule errors arrive under calendar.timezone, naming their field in the text.
            match = self._CALENDAR_PREFIX.match(message)
            if match:
                field = {
                    "timezone": "cal_timezone",
                    "country": "cal_country",
                    "subdivision": "cal_subdivision",
                    "shifts": "h_0_0_start",
                    "closures": "cal_closures",
                }[match.group(1)]
                text = message[match.end() :]
                text = text[:1].upper() + text[1:]
                if match.group(1) == "shifts" and "non-empty" in text:
                    text = "Give at least one shift of coverage."
                return field, text
        probe = path
        while probe:
            if probe in self._paths:
                return self._paths[probe], message
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return None, message

    # -- layout helpers for the template ---------------------------------------------------------

    def hours_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "day": WEEKDAY_NAMES[d],
                "shifts": [(self[f"h_{d}_{s}_start"], self[f"h_{d}_{s}_end"]) for s in range(self.hours_slots)],
            }
            for d in range(7)
        ]

    def matrix_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "severity": sev.capitalize(),
                "cells": [
                    [
                        (kind.capitalize(), self[f"t_{sev}_{env}_{kind}_minutes"], self[f"t_{sev}_{env}_{kind}_clock"])
                        for kind in TARGETS
                    ]
                    for env in ENVIRONMENTS
                ],
            }
            for sev in SEVERITIES
        ]

    def group_rows(self, prefix: str) -> list[dict[str, Any]]:
        columns = [c for c in self.fields if c.startswith(f"{prefix}_0_")]
        suffixes = [c.removeprefix(f"{prefix}_0_") for c in columns]
        return [
            {"number": i + 1, "fields": {s: self[f"{prefix}_{i}_{s}"] for s in suffixes}}
            for i in range(getattr(self, f"{prefix}_count"))
        ]

    def tier_table(self) -> list[dict[str, Any]]:
        return self.group_rows("tier")

    def breach_table(self) -> list[dict[str, Any]]:
        return self.group_rows("breach")

    def esc_table(self) -> list[dict[str, Any]]:
        return self.group_rows("esc")

    def dispute_table(self) -> list[dict[str, Any]]:
        return self.group_rows("dispute")

    def notice_fields(self) -> list[forms.BoundField]:
        return [self[f"notice_{kind}"] for kind in CHANGE_KINDS]

    def metric_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"m_{m}_use"], self[f"m_{m}_outcome"]) for m in METRICS]

    def error_list(self) -> list[tuple[str, str, str]]:
        """(anchor, label, message) for every error, in form order, for the summary at the top."""
        out = [("", "", str(e)) for e in self.non_field_errors()]
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                out.append((self[name].id_for_label, field.label or name, message))
        return out + self._section_summary
