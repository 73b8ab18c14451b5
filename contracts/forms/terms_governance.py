"""The governance sections of the terms editor: escalation, notices, reporting, disputes, termination, metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from contracts.forms.base import _choices
from contracts.terms import CHANGE_KINDS, ESCALATION_TRIGGERS, METRICS, OUTCOMES


class GovernanceFields(forms.Form):
    """The ``escalation`` (rows ``esc``), ``notice_rules``, ``reporting``,
    ``disputes`` (rows ``dispute``), ``termination`` and ``metrics`` keys."""

    GOVERNANCE_GROUPS: dict[str, dict[str, Any]] = {
        "esc": {
            "path": "escalation",
            "extra": 2,
            "presence": ("level", "contact_role", "trigger", "value"),
            "required": ("level", "contact_role", "trigger", "value"),
        },
        "dispute": {"path": "disputes", "extra": 2, "presence": ("stage", "days"), "required": ("stage",)},
    }
    GOVERNANCE_SECTIONS: dict[str, tuple[str, str]] = {
        "escalation": ("escalation", "Escalation ladder"),
        "notice_rules": ("notices", "Notice of changes"),
        "reporting": ("reporting", "Reporting"),
        "disputes": ("disputes", "Dispute ladder"),
        "termination": ("termination", "Termination trigger"),
        "metrics": ("metrics", "Metrics"),
    }

    rep_due_day = forms.IntegerField(label="Report due on day (1–28) of the next month")
    rep_retention = forms.IntegerField(label="Keep data for (days)")
    term_below = forms.IntegerField(label="Periods below target")
    term_of_last = forms.IntegerField(label="Out of the last (periods)")
    term_consecutive = forms.BooleanField(label="Must be consecutive (in a row)", required=False)

    # Provided by TermsForm.
    terms: Mapping[str, Any]
    _add_group: Any
    _rows: Any
    _map: Any
    group_rows: Any

    def _add_governance_groups(self, terms: Mapping[str, Any], data: Any) -> None:
        self._add_group("esc", terms["escalation"], data, self._esc_fields)
        self._add_group("dispute", terms["disputes"], data, self._dispute_fields)

    def _add_notice_and_metric_fields(self, terms: Mapping[str, Any]) -> None:
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

    @staticmethod
    def _governance_initial(terms: Mapping[str, Any]) -> dict[str, Any]:
        rep, term = terms["reporting"], terms["termination"]
        return {
            "rep_due_day": rep["report_due_day"],
            "rep_retention": rep["retention_days"],
            "term_below": term["below_target"],
            "term_of_last": term["of_last"],
            "term_consecutive": term["consecutive"],
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

    def _build_governance(self, cd: Mapping[str, Any]) -> dict[str, Any]:
        """The ``escalation`` to ``metrics`` keys."""
        for key, field in (
            ("reporting.report_due_day", "rep_due_day"),
            ("reporting.retention_days", "rep_retention"),
            ("termination.below_target", "term_below"),
            ("termination.of_last", "term_of_last"),
            ("termination.consecutive", "term_consecutive"),
        ):
            self._map(key, field)
        escalation = self._rows(
            "esc",
            lambda i: {k: cd[f"esc_{i}_{k}"] for k in ("level", "contact_role", "trigger", "value")},
        )
        disputes = self._rows(
            "dispute", lambda i: {"stage": cd[f"dispute_{i}_stage"].strip(), "days": cd[f"dispute_{i}_days"]}
        )

        kinds = [r["change_kind"] for r in self.terms["notice_rules"]]
        kinds += [k for k in CHANGE_KINDS if k not in kinds]
        notices: list[dict[str, Any]] = []
        for kind in kinds:
            if cd.get(f"notice_{kind}") is not None:
                self._map(f"notice_rules[{len(notices)}].days", f"notice_{kind}")
                self._map(f"notice_rules[{len(notices)}]", f"notice_{kind}")
                notices.append({"change_kind": kind, "days": cd[f"notice_{kind}"]})
        names = [m["metric"] for m in self.terms["metrics"]]
        names += [m for m in METRICS if m not in names]
        metrics: list[dict[str, Any]] = []
        for metric in names:
            use = cd.get(f"m_{metric}_use")
            if use:
                self._map(f"metrics[{len(metrics)}]", f"m_{metric}_use")
                self._map(f"metrics[{len(metrics)}].binding", f"m_{metric}_use")
                self._map(f"metrics[{len(metrics)}].outcome", f"m_{metric}_outcome")
                metrics.append({"metric": metric, "outcome": cd[f"m_{metric}_outcome"], "binding": use == "binding"})

        return {
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
        }

    # -- layout helpers for the template ---------------------------------------------------------

    def esc_table(self) -> list[dict[str, Any]]:
        return self.group_rows("esc")

    def dispute_table(self) -> list[dict[str, Any]]:
        return self.group_rows("dispute")

    def notice_fields(self) -> list[forms.BoundField]:
        return [self[f"notice_{kind}"] for kind in CHANGE_KINDS]

    def metric_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"m_{m}_use"], self[f"m_{m}_outcome"]) for m in METRICS]
