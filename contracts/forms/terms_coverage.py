"""The coverage sections of the terms editor: calendar, severity matrix, pauses and workarounds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django import forms

from contracts.forms.base import _int
from contracts.terms import CLOCKS, ENVIRONMENTS, SEVERITIES, TARGETS

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLOCK_CHOICES = [(c, {"24x7": "24x7", "coverage": "Business hours"}.get(c, c)) for c in CLOCKS]
ENV_LABELS = {"production": "production", "non_production": "non-production"}


class CoverageFields(forms.Form):
    """The ``calendar``, ``targets``, ``pause`` and ``workaround`` keys: the
    weekly shifts (``h_<day>_<slot>_start/end``), the severity matrix
    (``t_<severity>_<environment>_<target>_minutes/clock``) and their inputs."""

    COVERAGE_SECTIONS: dict[str, tuple[str, str]] = {
        "calendar": ("calendar", "Coverage calendar"),
        "targets": ("matrix", "Severity matrix"),
        "pause": ("matrix", "Pauses"),
        "workaround": ("matrix", "Workarounds"),
    }
    _CALENDAR_PREFIX = re.compile(r"^(timezone|country|subdivision|shifts|closures)(\[\d+\])?(\.\w+)?: ")

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

    # Provided by TermsForm.
    terms: Mapping[str, Any]
    _map: Any

    def _add_coverage_fields(self, terms: Mapping[str, Any], data: Any) -> None:
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

    @staticmethod
    def _coverage_initial(terms: Mapping[str, Any]) -> dict[str, Any]:
        cal = terms["calendar"]
        return {
            "cal_timezone": cal["timezone"],
            "cal_country": cal.get("country") or "",
            "cal_subdivision": cal.get("subdivision") or "",
            "cal_closures": "\n".join(f"{c['date']} {c['name']}" for c in cal.get("closures", [])),
            "pause_stops": list(terms["pause"]["stops"]),
            "workaround_days": terms["workaround"]["temporary_days"],
        }

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

    def _clean_coverage(self, cleaned: dict[str, Any]) -> None:
        """Shifts need both ends; a matrix row needs all three targets or none."""
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

    # -- the document ----------------------------------------------------------------------

    def _build_coverage(self, cd: Mapping[str, Any]) -> dict[str, Any]:
        """The ``calendar``, ``targets``, ``pause`` and ``workaround`` keys."""
        hours: list[dict[str, Any]] = []
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
        ):
            self._map(key, field)

        order = [(t["severity"], t["environment"]) for t in self.terms["targets"]]
        order += [(s, e) for s in SEVERITIES for e in ENVIRONMENTS if (s, e) not in order]
        previous = {(t["severity"], t["environment"]): t for t in self.terms["targets"]}
        targets: list[dict[str, Any]] = []
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
            # Keys this form does not edit (the investigate target, the update cadence) are kept.
            row = {**{k: v for k, v in previous.get((sev, env), {}).items() if k not in row}, **row}
            targets.append(row)

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
        }

    # -- errors from the service -------------------------------------------------------------

    def _route_calendar(self, message: str) -> tuple[str, str] | None:
        """Calendar rule errors arrive under calendar.timezone, naming their field in the text."""
        match = self._CALENDAR_PREFIX.match(message)
        if not match:
            return None
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
