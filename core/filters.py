"""Filters shared by the apps' filter sets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import django_filters
import django_filters.fields
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, handed on in UTC: an offset the database cannot
    store (PostgreSQL takes at most ±15:59, ISO allows up to ±23:59) or an
    instant that leaves the calendar in UTC is refused as invalid input."""

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("Date and time out of range.", code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


# -- integers and ids --------------------------------------------------------------------
# SQLite (and PostgreSQL's bigint) hold 64-bit integers: a larger number in a
# query string reaches the database driver as an OverflowError (a 500). Every
# integer filter is bounded, so it is refused as a 400 naming the parameter
# (the API) or a form error beside the filter (the pages).

DB_INT_MIN = -(2**63)
DB_INT_MAX = 2**63 - 1


class BoundedIntegerField(forms.IntegerField):
    def __init__(self, *, min_value: int | None = None, max_value: int | None = None, **kwargs: Any) -> None:
        min_value = DB_INT_MIN if min_value is None else max(min_value, DB_INT_MIN)
        max_value = DB_INT_MAX if max_value is None else min(max_value, DB_INT_MAX)
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """A whole number (an id, a count of days) that the database can hold."""

    field_class = BoundedIntegerField  # type: ignore[assignment]  # an IntegerField, not the DecimalField


class BoundedModelChoiceField(django_filters.fields.ModelChoiceField):
    """A choice by id: an id the database cannot hold is no valid choice."""

    def to_python(self, value: Any) -> Any:
        if self.to_field_name is None and value not in self.empty_values and not hasattr(value, "pk"):
            key = str(value).strip()
            digits = key.lstrip("-")
            if not digits.isdigit() or len(digits) > 19 or not DB_INT_MIN <= int(key) <= DB_INT_MAX:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = BoundedModelChoiceField


def query_int(params: Mapping[str, Any], name: str, *, minimum: int = 1) -> int | None:
    """``params[name]`` as an id the database can hold, or None (absent, not a
    whole number, out of range): for page views that read an id from the query
    string and ignore a bad one."""
    raw = str(params.get(name) or "").strip()
    if not raw.lstrip("-").isdigit() or len(raw) > 20:
        return None
    value = int(raw)
    return value if minimum <= value <= DB_INT_MAX else None
