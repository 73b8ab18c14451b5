"""Moments as people read them in messages: one format for every deadline and timestamp a
service names in an error, a notification or a timeline note."""

from __future__ import annotations

from datetime import UTC, datetime


def when(value: datetime | None) -> str:
    """ "03 Feb 2026 10:20 UTC"; "—" for no moment (a stage without deadline)."""
    return "—" if value is None else f"{value.astimezone(UTC):%d %b %Y %H:%M} UTC"
