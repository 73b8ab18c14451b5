"""The SLA terms editor: every field of a terms document as HTML inputs.

The forms parse input into the document the services take and route the
services' field errors (``terms.<path>``) back to the inputs; the rules
themselves live in ``contracts.terms``. Each section's inputs live in a mixin:
``terms_coverage`` (calendar, matrix), ``terms_commitments`` (availability,
credits, exclusions), ``terms_governance`` (escalation to metrics) and
``playbook`` (playbook, RACI); this module holds the form and its row machinery.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from django import forms

from contracts.forms.base import StyledForm, _int
from contracts.forms.playbook import PlaybookFieldsMixin
from contracts.forms.terms_commitments import CommitmentFields
from contracts.forms.terms_coverage import CoverageFields
from contracts.forms.terms_governance import GovernanceFields

_ROW_LIMIT = 40


KEPT_AS_IS = ("credit_caps", "credit_minimum", "claim_deadline", "commitments", "event_credits")
KEPT_TERMINATION = ("threshold_percent", "exercise_window_days")


class TermsForm(PlaybookFieldsMixin, CoverageFields, CommitmentFields, GovernanceFields, StyledForm):
    """Every field of a terms document as HTML inputs.

    Rows (shifts, matrix cells, tiers, ...) become numbered inputs; a row left
    blank is dropped. ``build_terms()`` returns the document and remembers
    which input each path came from, so ``apply_errors()`` can put
    ``terms.targets[3].restore_minutes`` next to the right box.
    """

    GROUPS: dict[str, dict[str, Any]] = {
        **CommitmentFields.COMMITMENT_GROUPS,
        **GovernanceFields.GOVERNANCE_GROUPS,
        **PlaybookFieldsMixin.PLAYBOOK_GROUPS,
    }

    change_summary = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Summary of changes"
    )
    # The inputs in page order, whatever order the section mixins are inherited in.
    field_order = [
        "change_summary",
        *CoverageFields.base_fields,
        *CommitmentFields.base_fields,
        *GovernanceFields.base_fields,
    ]

    def __init__(self, *args: Any, terms: Mapping[str, Any], change_summary: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms = terms
        self._paths: dict[str, str] = {}
        self.section_errors: dict[str, list[str]] = {}
        self._section_summary: list[tuple[str, str, str]] = []
        data = self.data if self.is_bound else {}

        self._add_coverage_fields(terms, data)
        self._add_commitment_groups(terms, data)
        self._add_governance_groups(terms, data)
        self._add_playbook_groups(terms, data)
        self._add_notice_and_metric_fields(terms)

        if not self.is_bound:
            self.initial.update(
                {
                    "change_summary": change_summary,
                    **self._coverage_initial(terms),
                    **self._commitment_initial(terms),
                    **self._governance_initial(terms),
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

    def _row_used(self, prefix: str, i: int) -> bool:
        return any(
            self.cleaned_data.get(f"{prefix}_{i}_{c}") not in (None, "") for c in self.GROUPS[prefix]["presence"]
        )

    # -- parsing -------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = cast("dict[str, Any]", super().clean())
        self._clean_coverage(cleaned)
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
        doc = {
            # Clauses the editor has no fields for yet are kept as they are, not dropped on save.
            **{k: self.terms[k] for k in KEPT_AS_IS if k in self.terms},
            **self._build_coverage(cd),
            **self._build_commitments(cd),
            **self._build_governance(cd),
            **self.build_playbook(),
        }
        kept = {k: v for k, v in (self.terms.get("termination") or {}).items() if k in KEPT_TERMINATION}
        doc["termination"] = {**kept, **doc["termination"]}
        notice_hours = {r["change_kind"]: r["hours"] for r in self.terms.get("notice_rules", []) if r.get("hours")}
        for row in doc["notice_rules"]:
            if row["change_kind"] in notice_hours:
                row["hours"] = notice_hours[row["change_kind"]]
        return doc

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
        **CoverageFields.COVERAGE_SECTIONS,
        **CommitmentFields.COMMITMENT_SECTIONS,
        **GovernanceFields.GOVERNANCE_SECTIONS,
        **PlaybookFieldsMixin.PLAYBOOK_SECTIONS,
    }
    ANCHORS = {"disputes": "s-reporting"}

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
            routed = self._route_calendar(message)
            if routed is not None:
                return routed
        probe = path
        while probe:
            if probe in self._paths:
                return self._paths[probe], message
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return None, message

    # -- layout helpers for the template ---------------------------------------------------------

    def group_rows(self, prefix: str) -> list[dict[str, Any]]:
        columns = [c for c in self.fields if c.startswith(f"{prefix}_0_")]
        suffixes = [c.removeprefix(f"{prefix}_0_") for c in columns]
        return [
            {"number": i + 1, "fields": {s: self[f"{prefix}_{i}_{s}"] for s in suffixes}}
            for i in range(getattr(self, f"{prefix}_count"))
        ]

    def error_list(self) -> list[tuple[str, str, str]]:
        """(anchor, label, message) for every error, in form order, for the summary at the top."""
        out = [("", "", str(e)) for e in self.non_field_errors()]
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                out.append((self[name].id_for_label, field.label or name, message))
        return out + self._section_summary
