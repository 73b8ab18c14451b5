"""The playbook and RACI sections of the terms editor.

Both are optional keys of the terms document (``playbook``, ``raci``); a
document that never had them keeps not having them unless a row is filled in.
``TermsForm`` mixes this in: the rows use the form's repeating-row machinery
(``_add_group``, ``_row_used``, ``_map``) so the services' errors
(``terms.playbook[2].role``) land next to the input they came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from contracts.forms.base import _choices
from contracts.terms import (
    CONTACT_ROLES,
    MEMBER_ROLES,
    PARTIES,
    PLAYBOOK_TRIGGERS,
    RACI_LETTERS,
    SEVERITIES,
    TARGETS,
)

ROLE_LABELS = {
    "incident_manager": "Incident manager",
    "escalation_contact": "Escalation contact",
    "executive_sponsor": "Executive sponsor",
    "billing": "Billing contact",
    "contract_manager": "Contract manager",
    "operations": "Operations",
    "account_manager": "Account manager",
    "support_engineer": "Support engineer",
}
TRIGGER_LABELS = {
    "on_open": "When opened",
    "on_acknowledge": "When acknowledged",
    "share_elapsed": "At % of target",
    "on_breach": "On breach of target",
}
RACI_CHOICES = [(letter, letter or "—") for letter in RACI_LETTERS[:-1]]


def role_choices(party: str | None = None) -> list[Any]:
    """Grouped: contact roles (either side), then each side's membership roles."""
    groups: list[Any] = [("", "—"), ("Contract contacts", [(r, ROLE_LABELS[r]) for r in CONTACT_ROLES])]
    for side in PARTIES if party is None else (party,):
        groups.append((f"{side.capitalize()} members", [(r, ROLE_LABELS[r]) for r in MEMBER_ROLES[side]]))
    return groups


class PlaybookFieldsMixin:
    """Rows for ``playbook`` steps (prefix ``play``) and ``raci`` activities (prefix ``raci``)."""

    PLAYBOOK_GROUPS: dict[str, dict[str, Any]] = {
        "play": {
            "path": "playbook",
            "extra": 3,
            "presence": ("severity", "order", "party", "role", "trigger", "value", "target", "action"),
            # The role is left to the terms rule, whose message says why a step needs one.
            "required": ("severity", "order", "party", "trigger", "action"),
        },
        "raci": {
            "path": "raci",
            "extra": 2,
            "presence": ("activity", "buyer", "role_buyer", "vendor", "role_vendor"),
            "required": ("activity",),
        },
    }
    PLAYBOOK_SECTIONS: dict[str, tuple[str, str]] = {
        "playbook": ("playbook", "Incident playbook"),
        "raci": ("raci", "Roles and responsibilities"),
    }

    # Provided by TermsForm.
    terms: Mapping[str, Any]
    cleaned_data: dict[str, Any]
    _add_group: Any
    _row_used: Any
    _map: Any
    group_rows: Any

    def _add_playbook_groups(self, terms: Mapping[str, Any], data: Any) -> None:
        steps = sorted(
            terms.get("playbook") or [],
            key=lambda s: (
                SEVERITIES.index(s["severity"]) if s.get("severity") in SEVERITIES else 9,
                s.get("order", 0),
            ),
        )
        self._add_group("play", steps, data, self._play_fields)
        self._add_group("raci", list(terms.get("raci") or []), data, self._raci_fields)

    @staticmethod
    def _play_fields(i: int, row: Mapping[str, Any] | None) -> dict[str, forms.Field]:
        row = row or {}
        n = i + 1
        return {
            "severity": forms.ChoiceField(
                label=f"Step row {n} severity",
                required=False,
                choices=_choices(SEVERITIES),
                initial=row.get("severity", ""),
            ),
            "order": forms.IntegerField(
                label=f"Step row {n} order",
                required=False,
                initial=row.get("order"),
                widget=forms.NumberInput(attrs={"min": 1, "max": 99, "class": "narrow-input"}),
            ),
            "party": forms.ChoiceField(
                label=f"Step row {n} party", required=False, choices=_choices(PARTIES), initial=row.get("party", "")
            ),
            "role": forms.ChoiceField(
                label=f"Step row {n} role", required=False, choices=role_choices(), initial=row.get("role", "")
            ),
            "trigger": forms.ChoiceField(
                label=f"Step row {n} trigger",
                required=False,
                choices=_choices(PLAYBOOK_TRIGGERS, TRIGGER_LABELS),
                initial=row.get("trigger", ""),
            ),
            "value": forms.IntegerField(
                label=f"Step row {n} % elapsed",
                required=False,
                initial=row.get("value"),
                widget=forms.NumberInput(attrs={"min": 1, "max": 100, "class": "narrow-input"}),
            ),
            "target": forms.ChoiceField(
                label=f"Step row {n} target",
                required=False,
                choices=_choices(TARGETS),
                initial=row.get("target") or "",
            ),
            "action": forms.CharField(
                label=f"Step row {n} action",
                required=False,
                max_length=500,
                initial=row.get("action", ""),
                widget=forms.Textarea(attrs={"rows": 2, "class": "action-input"}),
            ),
        }

    @staticmethod
    def _raci_fields(i: int, row: Mapping[str, Any] | None) -> dict[str, forms.Field]:
        row = row or {}
        n = i + 1
        fields: dict[str, forms.Field] = {
            "activity": forms.CharField(
                label=f"Activity {n}", required=False, max_length=200, initial=row.get("activity", "")
            )
        }
        for party in PARTIES:
            fields[party] = forms.ChoiceField(
                label=f"Activity {n} {party} letter",
                required=False,
                choices=[("", "—"), *RACI_CHOICES],
                initial=row.get(party, ""),
            )
            fields[f"role_{party}"] = forms.ChoiceField(
                label=f"Activity {n} {party} role",
                required=False,
                choices=role_choices(party),
                initial=row.get(f"role_{party}") or "",
            )
        return fields

    def build_playbook(self) -> dict[str, Any]:
        """The ``playbook`` and ``raci`` keys from valid input; a key the
        document never had stays absent while its rows are empty."""
        cd = self.cleaned_data
        steps: list[dict[str, Any]] = []
        for i in range(self.play_count):  # type: ignore[attr-defined]
            if not self._row_used("play", i):
                continue
            where = f"playbook[{len(steps)}]"
            self._map(where, f"play_{i}_action")
            for column in self.PLAYBOOK_GROUPS["play"]["presence"]:
                self._map(f"{where}.{column}", f"play_{i}_{column}")
            step: dict[str, Any] = {
                "severity": cd[f"play_{i}_severity"],
                "order": cd[f"play_{i}_order"],
                "party": cd[f"play_{i}_party"],
                "action": cd[f"play_{i}_action"].strip(),
                "trigger": cd[f"play_{i}_trigger"],
                "value": cd[f"play_{i}_value"],
                "target": cd[f"play_{i}_target"] or None,
            }
            if cd[f"play_{i}_role"]:
                step["role"] = cd[f"play_{i}_role"]
            steps.append(step)
        rows: list[dict[str, Any]] = []
        for i in range(self.raci_count):  # type: ignore[attr-defined]
            if not self._row_used("raci", i):
                continue
            where = f"raci[{len(rows)}]"
            self._map(where, f"raci_{i}_activity")
            for column in self.PLAYBOOK_GROUPS["raci"]["presence"]:
                self._map(f"{where}.{column}", f"raci_{i}_{column}")
            rows.append(
                {
                    "activity": cd[f"raci_{i}_activity"].strip(),
                    "buyer": cd[f"raci_{i}_buyer"],
                    "vendor": cd[f"raci_{i}_vendor"],
                    "role_buyer": cd[f"raci_{i}_role_buyer"] or None,
                    "role_vendor": cd[f"raci_{i}_role_vendor"] or None,
                }
            )
        out: dict[str, Any] = {}
        if steps or "playbook" in self.terms:
            out["playbook"] = steps
        if rows or "raci" in self.terms:
            out["raci"] = rows
        return out

    def play_table(self) -> list[dict[str, Any]]:
        return self.group_rows("play")

    def raci_table(self) -> list[dict[str, Any]]:
        return self.group_rows("raci")
