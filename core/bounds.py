"""What a date, an instant or a reference may be, for every API field and form
that takes one: one rule, one wording.

Dates: no contract, SLA version, outage, maintenance window or incident of this
service lies before 1990-01-01 or after 2200-12-31. A date outside that range is
a typo (year 1, year 20260) and, unrefused, breaks the date arithmetic of the
business-time and availability engines (``OverflowError`` at the edges of the
calendar).

Instants must carry their UTC offset: a naive time would be read in the
server's zone, which no party chose.

References (a contract's reference) name files, calendar feeds and PDF titles:
letters, digits, spaces and ``. - _ / #``, starting with a letter or a digit, so
no control character (a CR/LF broke every calendar feed of its contract) or
quote can reach a header.

Pure: no Django import, so the DRF fields, the form fields and the services
share it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

EARLIEST = date(1990, 1, 1)
LATEST = date(2200, 12, 31)
DATE_RANGE_RULE = f"Must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
NAIVE_RULE = "Include a UTC offset or Z, e.g. 2026-03-01T00:00:00+01:00."

REFERENCE_PUNCTUATION = " .-_/#"
REFERENCE_RULE = "Use letters, digits, spaces and . - _ / # only, starting with a letter or a digit."


def date_problem(value: date) -> str | None:
    """The rule ``value`` breaks, or None. A datetime is judged by its UTC date."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return NAIVE_RULE
        try:
            day = value.astimezone(UTC).date()
        except (OverflowError, ValueError):
            return DATE_RANGE_RULE
    else:
        day = value
    if not EARLIEST <= day <= LATEST:
        return DATE_RANGE_RULE
    return None


def reference_problem(value: str) -> str | None:
    """The rule a reference breaks, or None (length is the field's own rule)."""
    if not value:
        return None
    if not value[0].isalnum() or not all(ch.isalnum() or ch in REFERENCE_PUNCTUATION for ch in value):
        return REFERENCE_RULE
    return None
