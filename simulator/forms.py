"""Simulator forms: the candidates (existing drafts, amendments, earlier
versions, presets, and one term set edited on the spot), the window, the
sensitivity sweep; and the buyer's portfolio replay.

The edit form is compact (what is negotiated: targets, calendar, uptime
target, tiers, cap, breach credits, exclusions, termination), prefilled from
the terms in force; ``changes()`` returns only what differs from them, so a
saved scenario says exactly what was tried."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from contracts.forms.base import StyledForm, _choices
from contracts.models import SLAVersion
from contracts.presets import preset_choices
from contracts.terms import ENVIRONMENTS, SEVERITIES, TARGETS
from simulator.engine import MAX_PERIODS
from simulator.sensitivity import parameter_choices
from simulator.terms import format_hours, parse_hours

TIER_ROWS, BREACH_ROWS = 5, 4
ENV_LABELS = {"production": "production", "non_production": "non-production"}


def _int_field(label: str, **kw: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=1, widget=forms.NumberInput(attrs={"class": "minutes"}), **kw
    )


class SimulationForm(StyledForm):
    window_last = forms.ChoiceField(label="Window ends with")
    window_periods = forms.IntegerField(label="Periods", min_value=1, max_value=MAX_PERIODS, initial=12)
    versions = forms.MultipleChoiceField(label="SLA versions", required=False, widget=forms.CheckboxSelectMultiple)
    amendments = forms.MultipleChoiceField(
        label="Amendments under review", required=False, widget=forms.CheckboxSelectMultiple
    )
    presets = forms.MultipleChoiceField(
        label="Presets", required=False, widget=forms.CheckboxSelectMultiple, choices=preset_choices()
    )
    edit_on = forms.BooleanField(label="Try terms edited on the spot", required=False, initial=True)
    edit_label = forms.CharField(
        label="Name of the edited terms", max_length=120, required=False, initial="Edited terms"
    )
    clock = forms.ChoiceField(
        label="Clocks",
        required=False,
        choices=[("", "As each target says"), ("24x7", "All 24x7"), ("coverage", "All on the coverage hours")],
    )
    coverage_hours = forms.CharField(
        label="Coverage hours", max_length=300, help_text="e.g. Mon-Fri 08:00-18:00; Sat 09:00-13:00, or 24x7."
    )
    uptime_target = forms.CharField(label="Uptime target %", max_length=10)
    cap = forms.CharField(label="Credit cap % of fee", max_length=10)
    ex_allowance = forms.IntegerField(label="Maintenance allowance (min per period)", min_value=0)
    ex_notice = forms.IntegerField(label="Maintenance notice (days)", min_value=0)
    ex_force_majeure = forms.BooleanField(label="Force majeure excluded", required=False)
    ex_third_party = forms.BooleanField(label="Third-party failures excluded", required=False)
    ex_customer_caused = forms.BooleanField(label="Customer-caused incidents excluded", required=False)
    term_below = forms.IntegerField(label="Periods below target", min_value=1)
    term_of_last = forms.IntegerField(label="Out of the last", min_value=1)
    term_consecutive = forms.BooleanField(label="In a row", required=False)
    sens_parameter = forms.ChoiceField(label="Sweep", required=False)
    sens_from = forms.DecimalField(label="From", required=False)
    sens_to = forms.DecimalField(label="To", required=False)
    sens_steps = forms.IntegerField(label="Points", required=False, min_value=2, max_value=100, initial=25)
    scenario_name = forms.CharField(label="Scenario name", max_length=200, required=False)

    def __init__(self, *args: Any, contract: Any, base: SLAVersion, period_labels: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from reviews.models import Amendment

        self.base_terms = base.terms
        t = base.terms
        self.fields["window_last"].choices = [(p, p) for p in period_labels]
        self.fields["window_last"].initial = period_labels[0] if period_labels else None
        versions = SLAVersion.objects.filter(contract=contract).exclude(pk=base.pk).order_by("-number")
        self.fields["versions"].choices = [
            (str(v.pk), f"SLA v{v.number} ({'draft' if v.is_draft else 'earlier version'})") for v in versions
        ]
        amendments = Amendment.objects.filter(
            review__contract=contract, status=Amendment.Status.PROPOSED
        ).select_related("sla_version")
        self.fields["amendments"].choices = [
            (str(a.pk), f"{a.title} (SLA v{a.sla_version.number})") for a in amendments
        ]
        rows = {(r["severity"], r["environment"]): r for r in t["targets"]}
        self.target_rows = []
        for sev in SEVERITIES:
            for env in ENVIRONMENTS:
                row = rows.get((sev, env), {})
                names = []
                for kind in TARGETS:
                    name = f"t_{sev}_{env}_{kind}"
                    self.fields[name] = _int_field(
                        f"{sev} / {ENV_LABELS[env]} {kind}", initial=row.get(f"{kind}_minutes")
                    )
                    names.append(name)
                self.target_rows.append({"severity": sev, "environment": ENV_LABELS[env], "names": names})
        for i in range(TIER_ROWS):
            tier = t["credit_tiers"][i] if i < len(t["credit_tiers"]) else {}
            self.fields[f"tier_{i}_lower_op"] = forms.ChoiceField(
                choices=[(">=", "≥"), (">", ">")], initial=">=" if tier.get("lower_inclusive", True) else ">"
            )
            self.fields[f"tier_{i}_lower"] = forms.CharField(
                required=False, max_length=10, initial=tier.get("lower") or ""
            )
            self.fields[f"tier_{i}_upper_op"] = forms.ChoiceField(
                choices=[("<", "<"), ("<=", "≤")], initial="<=" if tier.get("upper_inclusive") else "<"
            )
            self.fields[f"tier_{i}_upper"] = forms.CharField(
                required=False, max_length=10, initial=tier.get("upper") or ""
            )
            self.fields[f"tier_{i}_percent"] = forms.CharField(
                required=False, max_length=10, initial=tier.get("percent") or ""
            )
        for i in range(BREACH_ROWS):
            row = t["breach_credits"][i] if i < len(t["breach_credits"]) else {}
            self.fields[f"breach_{i}_severity"] = forms.ChoiceField(
                required=False, choices=_choices(SEVERITIES), initial=row.get("severity", "")
            )
            self.fields[f"breach_{i}_target"] = forms.ChoiceField(
                required=False, choices=_choices(TARGETS), initial=row.get("target", "")
            )
            self.fields[f"breach_{i}_percent"] = forms.CharField(
                required=False, max_length=10, initial=row.get("percent", "")
            )
        self.fields["sens_parameter"].choices = [("", "No sweep"), *parameter_choices(t)]
        if not self.is_bound:
            ex, term = t["exclusions"], t["termination"]
            self.initial.update(
                coverage_hours=format_hours(t["calendar"]["hours"]),
                uptime_target=t["uptime"]["target_percent"],
                cap=t["credit_cap_percent"],
                ex_allowance=ex["maintenance_allowance_minutes"],
                ex_notice=ex["maintenance_notice_days"],
                ex_force_majeure=ex["force_majeure"],
                ex_third_party=ex["third_party"],
                ex_customer_caused=ex["customer_caused"],
                term_below=term["below_target"],
                term_of_last=term["of_last"],
                term_consecutive=term["consecutive"],
            )

    def targets_table(self) -> list[dict[str, Any]]:
        return [{**row, "fields": [self[n] for n in row["names"]]} for row in self.target_rows]

    def tier_rows(self) -> list[list[Any]]:
        return [
            [self[f"tier_{i}_{c}"] for c in ("lower_op", "lower", "upper_op", "upper", "percent")]
            for i in range(TIER_ROWS)
        ]

    def breach_rows(self) -> list[list[Any]]:
        return [[self[f"breach_{i}_{c}"] for c in ("severity", "target", "percent")] for i in range(BREACH_ROWS)]

    # -- the candidates ----------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        """The edits that differ from the terms in force (valid input only)."""
        cd, t = self.cleaned_data, self.base_terms
        out: dict[str, Any] = {}
        rows = {(r["severity"], r["environment"]): r for r in t["targets"]}
        targets = []
        for sev in SEVERITIES:
            for env in ENVIRONMENTS:
                old = rows.get((sev, env), {})
                new = {f"{k}_minutes": cd.get(f"t_{sev}_{env}_{k}") for k in TARGETS}
                if all(v is None for v in new.values()):
                    continue
                diff = {k: v for k, v in new.items() if v is not None and v != old.get(k)}
                if diff:
                    targets.append({"severity": sev, "environment": env, **diff})
        if targets:
            out["targets"] = targets
        if cd.get("clock"):
            out["clock"] = cd["clock"]
        if parse_hours(cd["coverage_hours"]) != sorted(
            t["calendar"]["hours"], key=lambda h: (h["weekday"], h["start"])
        ):
            out["coverage_hours"] = cd["coverage_hours"].strip()
        if cd["uptime_target"].strip() != t["uptime"]["target_percent"]:
            out["uptime_target"] = cd["uptime_target"].strip()
        tiers = [
            {
                "lower": cd[f"tier_{i}_lower"].strip() or None,
                "lower_inclusive": cd[f"tier_{i}_lower_op"] == ">=",
                "upper": cd[f"tier_{i}_upper"].strip() or None,
                "upper_inclusive": cd[f"tier_{i}_upper_op"] == "<=",
                "percent": cd[f"tier_{i}_percent"].strip(),
            }
            for i in range(TIER_ROWS)
            if cd[f"tier_{i}_percent"].strip()
        ]
        if tiers != t["credit_tiers"]:
            out["credit_tiers"] = tiers
        if cd["cap"].strip() != t["credit_cap_percent"]:
            out["credit_cap_percent"] = cd["cap"].strip()
        breach = [
            {
                "severity": cd[f"breach_{i}_severity"],
                "target": cd[f"breach_{i}_target"],
                "percent": cd[f"breach_{i}_percent"].strip(),
            }
            for i in range(BREACH_ROWS)
            if cd[f"breach_{i}_severity"] and cd[f"breach_{i}_target"] and cd[f"breach_{i}_percent"].strip()
        ]
        if breach != t["breach_credits"]:
            out["breach_credits"] = breach
        ex = {
            "maintenance_allowance_minutes": cd["ex_allowance"],
            "maintenance_notice_days": cd["ex_notice"],
            **{k: cd[f"ex_{k}"] for k in ("force_majeure", "third_party", "customer_caused")},
        }
        ex = {k: v for k, v in ex.items() if v != t["exclusions"][k]}
        if ex:
            out["exclusions"] = ex
        term = {"below_target": cd["term_below"], "of_last": cd["term_of_last"], "consecutive": cd["term_consecutive"]}
        term = {k: v for k, v in term.items() if v != t["termination"][k]}
        if term:
            out["termination"] = term
        return out

    def clean_coverage_hours(self) -> str:
        from simulator.terms import CandidateError

        value = self.cleaned_data["coverage_hours"]
        try:
            parse_hours(value)
        except CandidateError as exc:
            raise forms.ValidationError(exc.errors["coverage_hours"]) from None
        return value

    def inputs(self) -> dict[str, Any]:
        """The simulation inputs (the JSON shape of ``services.simulations``)."""
        cd = self.cleaned_data
        candidates: list[dict[str, Any]] = [{"amendment": int(pk)} for pk in cd["amendments"]]
        candidates += [{"version": int(pk)} for pk in cd["versions"]]
        candidates += [{"preset": key} for key in cd["presets"]]
        edited = None
        if cd["edit_on"]:
            candidates.append({"label": cd["edit_label"].strip() or "Edited terms", "changes": self.changes()})
            edited = len(candidates)
        inputs: dict[str, Any] = {
            "window": {"last": cd["window_last"], "periods": cd["window_periods"]},
            "candidates": candidates[:10],
        }
        if cd.get("sens_parameter"):
            inputs["sensitivity"] = {
                "parameter": cd["sens_parameter"],
                "start": None if cd.get("sens_from") is None else str(cd["sens_from"]),
                "stop": None if cd.get("sens_to") is None else str(cd["sens_to"]),
                "steps": cd.get("sens_steps") or 25,
                "base": edited if edited and edited <= 10 else 0,
            }
        return inputs

    FIELD_OF = {
        "uptime.target_percent": "uptime_target",
        "credit_cap_percent": "cap",
        "calendar.hours": "coverage_hours",
        "coverage_hours": "coverage_hours",
        "exclusions.maintenance_allowance_minutes": "ex_allowance",
        "exclusions.maintenance_notice_days": "ex_notice",
        "termination.below_target": "term_below",
        "termination.of_last": "term_of_last",
        "window.last": "window_last",
        "window.periods": "window_periods",
        "sensitivity.parameter": "sens_parameter",
        "sensitivity.start": "sens_from",
        "sensitivity.stop": "sens_to",
    }

    def place_errors(self, errors: Mapping[str, list[str]], terms_rows: list[tuple[str, str]]) -> None:
        """Put the service's errors (``candidates[3].targets[0].restore_minutes``)
        next to the inputs of the edited terms when they are theirs."""
        for key, messages in errors.items():
            path = key.split(".", 1)[1] if key.startswith("candidates[") and "." in key else key
            field = self.FIELD_OF.get(path)
            if field is None and path.startswith("targets["):
                index = int(path[8 : path.index("]")])
                kind = next((k for k in TARGETS if k in path), "acknowledge")
                if index < len(terms_rows):
                    field = f"t_{terms_rows[index][0]}_{terms_rows[index][1]}_{kind}"
            if field is None and path.startswith("credit_tiers["):
                field = f"tier_{path[13 : path.index(']')]}_percent"
            for message in messages:
                self.add_error(
                    field if field in self.fields else None, message if field in self.fields else f"{path}: {message}"
                )


class AttachForm(forms.Form):
    amendment = forms.ChoiceField(label="Amendment")

    def __init__(self, *args: Any, amendments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amendment"].choices = [(str(a.pk), f"{a.review.label}: {a.title}") for a in amendments]


class PortfolioForm(StyledForm):
    vendor = forms.ChoiceField(label="All contracts of vendor", required=False)
    contracts = forms.MultipleChoiceField(
        label="Or these contracts", required=False, widget=forms.CheckboxSelectMultiple
    )
    source = forms.ChoiceField(label="Yardstick")
    label = forms.CharField(label="Name of the yardstick", max_length=120, required=False)
    critical_ack = _int_field("Critical / production acknowledge (min)")
    critical_restore = _int_field("Critical / production restore (min)")
    uptime_target = forms.CharField(label="Uptime target %", max_length=10, required=False)
    cap = forms.CharField(label="Credit cap %", max_length=10, required=False)
    periods = forms.IntegerField(label="Periods", min_value=1, max_value=MAX_PERIODS, initial=12)
    scenario_name = forms.CharField(label="Scenario name", max_length=200, required=False)

    def __init__(self, *args: Any, contracts: list[Any], versions: list[SLAVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        vendors = sorted({(c.vendor_id, c.vendor.name) for c in contracts}, key=lambda v: v[1])
        self.fields["vendor"].choices = [("", "—"), *((str(pk), name) for pk, name in vendors)]
        self.fields["contracts"].choices = [(str(c.pk), f"{c.reference} · {c.vendor.name}") for c in contracts]
        self.fields["source"].choices = [
            ("own", "Each contract's own terms in force, with the changes below"),
            *((f"preset:{key}", f"Preset: {label}") for key, label in preset_choices()),
            *(
                (f"version:{v.pk}", f"{v.contract.reference} SLA v{v.number}{' (draft)' if v.is_draft else ''}")
                for v in versions
            ),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("vendor") and not cleaned.get("contracts"):
            self.add_error("vendor", "Choose a vendor or some contracts.")
        return cleaned

    def inputs(self) -> dict[str, Any]:
        cd = self.cleaned_data
        spec: dict[str, Any] = {"label": cd["label"].strip()}
        kind, _, value = cd["source"].partition(":")
        if kind == "preset":
            spec["preset"] = value
        elif kind == "version":
            spec["version"] = int(value)
        changes: dict[str, Any] = {}
        row = {
            k: cd[f]
            for k, f in (("acknowledge_minutes", "critical_ack"), ("restore_minutes", "critical_restore"))
            if cd.get(f)
        }
        if row:
            changes["targets"] = [{"severity": "critical", "environment": "production", **row}]
        if cd["uptime_target"].strip():
            changes["uptime_target"] = cd["uptime_target"].strip()
            changes["tiers_follow_target"] = True
        if cd["cap"].strip():
            changes["credit_cap_percent"] = cd["cap"].strip()
        if changes:
            spec["changes"] = changes
        if not spec["label"]:
            spec["label"] = dict(self.fields["source"].choices)[cd["source"]].split(",")[0] + (
                " (edited)" if changes else ""
            )
        return {
            "vendor": int(cd["vendor"]) if cd.get("vendor") else None,
            "contracts": [int(pk) for pk in cd.get("contracts") or []],
            "candidate": spec,
            "periods": cd["periods"],
        }
