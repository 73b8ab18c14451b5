"""What every Covenant HTML form shares: Pico styling of invalid inputs, and
routing a service's field errors back to the inputs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

from core.errors import DomainError


def split_names(text: str) -> list[str]:
    """ "api, web\\nreporting" -> ["api", "web", "reporting"]."""
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def apply_domain_errors(form: forms.Form, exc: DomainError) -> None:
    """Show a service's InvalidInput on the form: each message on its field,
    anything without a matching field (and the summary) at the top."""
    placed = False
    for key, messages in exc.errors.items():
        for message in messages:
            if key in form.fields:
                form.add_error(key, message)
            else:
                form.add_error(None, f"{key.replace('_', ' ').capitalize()}: {message}")
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class StyledForm(forms.Form):
    """Marks invalid inputs for Pico (aria-invalid) after validation."""

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_invalid()

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field and field in self.fields:
            self.fields[field].widget.attrs["aria-invalid"] = "true"


def _int(value: Any, default: int, *, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


def _choices(values: Iterable[str], labels: Mapping[str, str] | None = None, blank: bool = True) -> list:
    items = [(v, (labels or {}).get(v, v.replace("_", " ").capitalize())) for v in values]
    return [("", "—"), *items] if blank else items
