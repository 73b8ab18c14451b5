"""API (DRF) and form fields that hold dates, instants and references to
``core.bounds``: a bad value is a 400 (or a form error) naming the field and
the rule, never an OverflowError further down."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework import serializers

from core import bounds


def validate_date_range(value: date | datetime | None) -> None:
    """A Django validator (forms, serializers): the value lies in ``core.bounds``'s range."""
    if value is None:
        return
    problem = bounds.date_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="date_range")


def validate_reference(value: str) -> None:
    problem = bounds.reference_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="reference")


# -- DRF -----------------------------------------------------------------------------


class DateField(serializers.DateField):
    """A calendar date between ``bounds.EARLIEST`` and ``bounds.LATEST``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", f"A date from {bounds.EARLIEST} to {bounds.LATEST}.")
        super().__init__(**kwargs)
        self.validators.append(validate_date_range)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant that carries its UTC offset, within the date range:
    the instant must not depend on the server's time zone."""

    default_error_messages = {"naive": bounds.NAIVE_RULE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", f"ISO 8601 with a UTC offset or Z, from {bounds.EARLIEST} to {bounds.LATEST}.")
        super().__init__(**kwargs)
        self.validators.append(validate_date_range)

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str):
            # In a query string an unescaped '+' arrives as a space: restore it.
            value = re.sub(r"(\d) (\d{2}:?\d{2})$", r"\1+\2", value.strip())
        return super().to_internal_value(value)

    def enforce_timezone(self, value: Any) -> Any:
        if timezone.is_naive(value):
            self.fail("naive")
        problem = bounds.date_problem(value)
        if problem is not None:
            raise serializers.ValidationError(problem, code="date_range")
        return super().enforce_timezone(value)


class ReferenceField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", bounds.REFERENCE_RULE)
        super().__init__(**kwargs)
        self.validators.append(validate_reference)


# -- Django forms ------------------------------------------------------------------------


class FormDateField(forms.DateField):
    """A calendar date, rendered for the browser's date picker: an ``<input
    type="date">`` only shows and sends ISO dates (YYYY-MM-DD), whatever the
    site's locale formats would be."""

    default_validators = [validate_date_range]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(self.widget, forms.DateInput):
            self.widget.format = "%Y-%m-%d"
            self.widget.input_type = "date"
            self.widget.attrs.pop("type", None)


class FormDateTimeField(forms.DateTimeField):
    """A form's wall-clock time: read in the zone the form names (so never naive
    once cleaned), then held to the date range."""

    default_validators = [validate_date_range]


class FormReferenceField(forms.CharField):
    default_validators = [validate_reference]
