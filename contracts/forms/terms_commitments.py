"""The commitment sections of the terms editor: availability, credit tiers, breach credits and exclusions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from contracts.forms.base import _choices
from contracts.terms import SEVERITIES, TARGETS


class CommitmentFields(forms.Form):
    """The ``uptime``, ``credit_tiers`` (rows ``tier``), ``credit_cap_percent``,
    ``claim_window_days``, ``breach_credits`` (rows ``breach``) and ``exclusions`` keys."""

    COMMITMENT_GROUPS: dict[str, dict[str, Any]] = {
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
    }
    COMMITMENT_SECTIONS: dict[str, tuple[str, str]] = {
        "uptime": ("uptime", "Availability"),
        "credit_tiers": ("credits", "Credit tiers"),
        "credit_cap_percent": ("credits", "Credit cap"),
        "claim_window_days": ("credits", "Claim window"),
        "breach_credits": ("credits", "Breach credits"),
        "exclusions": ("exclusions", "Exclusions"),
    }

    up_target = forms.CharField(label="Uptime target %", max_length=10)
    up_period = forms.ChoiceField(label="Measured per", choices=[("month", "Month"), ("quarter", "Quarter")])
    up_timezone = forms.CharField(label="Measurement time zone", max_length=64)
    up_definition = forms.CharField(label="Downtime definition", widget=forms.Textarea(attrs={"rows": 2}))
    up_service_rule = forms.ChoiceField(
        label="Service is down when",
        choices=[("any", "any covered component is down"), ("all", "every covered component is down")],
    )
    up_critical_count = forms.BooleanField(label="Critical production incidents count as downtime", required=False)
    up_unmeasured = forms.ChoiceField(
        label="Time without monitoring data",
        choices=[
            ("excluded", "is left out of the measured time"),
            ("available", "counts as available"),
            ("unavailable", "counts as unavailable"),
        ],
    )
    up_min_coverage = forms.CharField(label="Minimum measured coverage %", max_length=10)
    credit_cap = forms.CharField(label="Credit cap % of fee", max_length=10)
    claim_window = forms.IntegerField(label="Claim window (days)")
    ex_allowance = forms.IntegerField(label="Maintenance allowance (minutes per period)")
    ex_notice = forms.IntegerField(label="Maintenance notice (days)")
    ex_force_majeure = forms.BooleanField(label="Force majeure is excluded", required=False)
    ex_third_party = forms.BooleanField(label="Third-party failures are excluded", required=False)
    ex_customer_caused = forms.BooleanField(label="Customer-caused incidents are excluded", required=False)

    # Provided by TermsForm.
    terms: Mapping[str, Any]
    _add_group: Any
    _rows: Any
    _map: Any
    group_rows: Any

    def _add_commitment_groups(self, terms: Mapping[str, Any], data: Any) -> None:
        self._add_group("tier", terms["credit_tiers"], data, self._tier_fields)
        self._add_group("breach", terms["breach_credits"], data, self._breach_fields)

    @staticmethod
    def _commitment_initial(terms: Mapping[str, Any]) -> dict[str, Any]:
        up, ex = terms["uptime"], terms["exclusions"]
        return {
            "up_target": up["target_percent"],
            "up_period": up["period"],
            "up_timezone": up["timezone"],
            "up_definition": up["downtime_definition"],
            "up_service_rule": up["service_rule"],
            "up_critical_count": up.get("critical_incidents_count", False),
            "up_unmeasured": up.get("unmeasured", "excluded"),
            "up_min_coverage": up.get("minimum_coverage_percent", "90"),
            "credit_cap": terms["credit_cap_percent"],
            "claim_window": terms["claim_window_days"],
            "ex_allowance": ex["maintenance_allowance_minutes"],
            "ex_notice": ex["maintenance_notice_days"],
            "ex_force_majeure": ex["force_majeure"],
            "ex_third_party": ex["third_party"],
            "ex_customer_caused": ex["customer_caused"],
        }

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

    def _build_commitments(self, cd: Mapping[str, Any]) -> dict[str, Any]:
        """The ``uptime`` to ``exclusions`` keys."""
        for key, field in (
            ("uptime.target_percent", "up_target"),
            ("uptime.period", "up_period"),
            ("uptime.timezone", "up_timezone"),
            ("uptime.downtime_definition", "up_definition"),
            ("uptime.service_rule", "up_service_rule"),
            ("uptime.critical_incidents_count", "up_critical_count"),
            ("uptime.unmeasured", "up_unmeasured"),
            ("uptime.minimum_coverage_percent", "up_min_coverage"),
            ("credit_cap_percent", "credit_cap"),
            ("claim_window_days", "claim_window"),
            ("exclusions.maintenance_allowance_minutes", "ex_allowance"),
            ("exclusions.maintenance_notice_days", "ex_notice"),
        ):
            self._map(key, field)
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
        return {
            "uptime": {
                "target_percent": cd["up_target"].strip(),
                "period": cd["up_period"],
                "timezone": cd["up_timezone"].strip(),
                "downtime_definition": cd["up_definition"].strip(),
                "service_rule": cd["up_service_rule"],
                "critical_incidents_count": cd["up_critical_count"],
                **self._measurement(cd),
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
        }

    def _measurement(self, cd: Mapping[str, Any]) -> dict[str, Any]:
        """The optional measurement keys: written when the document had them or the editor changes the default."""
        before = self.terms.get("uptime", {}) if self.terms else {}
        values = {"unmeasured": cd["up_unmeasured"], "minimum_coverage_percent": cd["up_min_coverage"].strip()}
        defaults = {"unmeasured": "excluded", "minimum_coverage_percent": "90"}
        return {k: v for k, v in values.items() if k in before or v != defaults[k]}

    def tier_table(self) -> list[dict[str, Any]]:
        return self.group_rows("tier")

    def breach_table(self) -> list[dict[str, Any]]:
        return self.group_rows("breach")
