"""Types and functions shared by the format parsers (no database access)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from core.errors import InvalidInput

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Interval:
    """An outage as a status page reports it: known start, end once resolved."""

    key: str  # stable upstream identity (incident id and component, or component id)
    refs: tuple[str, ...]  # upstream component ids and names, for the source's mapping
    start: datetime
    end: datetime | None
    cause: str


@dataclass(frozen=True)
class Event:
    """One paging event: an incident or alert opened, acknowledged or closed."""

    key: str  # the upstream incident / alert id
    action: Literal["open", "acknowledge", "close"]
    at: datetime  # when it happened (start for open, end for close)
    started: datetime  # when the incident / alert was created
    refs: tuple[str, ...]  # upstream service ids and names, tags, for the source's mapping
    cause: str


@dataclass(frozen=True)
class Delivery:
    """A parsed payload: its upstream delivery id (for idempotency) and contents."""

    upstream_id: str
    events: list[Event]


def load_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise InvalidInput("The body is not UTF-8 text.", errors={"body": ["Must be UTF-8."]}) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            errors={"body": [f"Invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."]},
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"A {what} body is a JSON object.", errors={"body": ["Must be a JSON object."]})
    return data


def iso_time(value: Any, field: str, errors: dict[str, list[str]], *, required: bool = True) -> datetime | None:
    """An aware ISO 8601 time in UTC, or None (recording the problem under ``field``)."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        errors[field] = ["Required: an ISO 8601 time with a zone."]
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors[field] = [f"'{value[:40]}' is not an ISO 8601 time."]
        return None
    if parsed.tzinfo is None:
        errors[field] = [f"'{value[:40]}' has no time zone."]
        return None
    return parsed.astimezone(UTC)


def epoch_time(value: Any, field: str, errors: dict[str, list[str]]) -> datetime | None:
    """Epoch milliseconds (Opsgenie ``createdAt``), or nanoseconds (``updatedAt``), in UTC."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        errors[field] = ["Required: epoch milliseconds (a positive whole number)."]
        return None
    if value >= 10**17:  # nanoseconds
        return EPOCH + timedelta(microseconds=value // 1000)
    return EPOCH + timedelta(milliseconds=value)


def text(value: Any, limit: int = 300) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def raise_if(errors: dict[str, list[str]], what: str) -> None:
    if errors:
        first_key, first = next(iter(errors.items()))
        raise InvalidInput(f"Malformed {what} payload: {first_key}: {first[0]}", errors=dict(list(errors.items())[:20]))
