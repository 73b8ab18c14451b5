"""A contract's maintenance windows and change notices as an iCalendar feed
(RFC 5545), for calendar apps subscribing to a person's secret URL.

UIDs are stable (``maintenance-<id>.<contract>@covenant``), so a calendar
updates an event in place when a window is completed, cancelled or moved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from icalendar import Calendar, Event

from availability.models import ChangeNotice, MaintenanceWindow
from availability.report import ahead
from contracts.models import Contract

PRODID = "-//Covenant//Maintenance and change calendar//EN"

# Control characters other than the line feed (which icalendar escapes as \n)
# break the feed's line structure: a CR in a contract reference entered
# before references were validated made every feed of the contract fail.
_CONTROLS = dict.fromkeys([*range(0x00, 0x0A), *range(0x0B, 0x20), 0x7F])


def clean(value: object) -> str:
    """Text for a feed: control characters dropped (line feeds kept in descriptions only)."""
    return str(value).translate(_CONTROLS)


def line(value: object) -> str:
    """Text for a one-line property (a summary, the calendar's name)."""
    return clean(value).replace("\n", " ")


def window_uid(window: MaintenanceWindow) -> str:
    return f"maintenance-{window.pk}.{window.contract_id}@covenant"


def notice_uid(notice: ChangeNotice) -> str:
    return f"change-{notice.pk}.{notice.contract_id}@covenant"


def _components(names: list[str]) -> str:
    return ", ".join(names) if names else "the whole service"


def window_event(window: MaintenanceWindow, *, notice_days: int) -> Event:
    event = Event()
    event.add("uid", window_uid(window))
    event.add("dtstamp", window.announced_at)
    event.add("dtstart", window.start)
    event.add("dtend", window.actual_end or window.end)
    event.add("summary", line(f"Maintenance: {window.title}"))
    given = window.start - window.announced_at
    lines = [
        f"Contract {window.contract.reference}: scheduled maintenance on {_components(window.components)}.",
        f"Planned {window.start:%Y-%m-%d %H:%M} to {window.end:%Y-%m-%d %H:%M} UTC.",
        f"Announced {ahead(given)} ahead; the agreement requires {notice_days} day{'s' if notice_days != 1 else ''}."
        + (" Late: the window counts as downtime." if given < timedelta(days=notice_days) else ""),
    ]
    if window.actual_end:
        lines.append(f"Completed at {window.actual_end:%Y-%m-%d %H:%M} UTC.")
    event.add("description", clean("\n".join(lines)))
    event.add("categories", ["Maintenance"])
    event.add("status", "CANCELLED" if window.status == MaintenanceWindow.Status.CANCELLED else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def notice_event(notice: ChangeNotice) -> Event:
    event = Event()
    event.add("uid", notice_uid(notice))
    event.add("dtstamp", notice.announced_at)
    event.add("dtstart", notice.planned_at)
    event.add("summary", line(f"{'LATE ' if notice.late else ''}{notice.get_kind_display()}: {notice.title}"))
    lines = [
        f"Contract {notice.contract.reference}: {notice.get_kind_display().lower()} affecting {_components(notice.components)}.",
        f"Impact: {notice.impact}",
        f"Announced {ahead(notice.planned_at - notice.announced_at)} ahead; the agreement requires "
        f"{notice.required_notice_days} day{'s' if notice.required_notice_days != 1 else ''}"
        + (" (late)." if notice.late else "."),
        f"Buyer: {notice.get_status_display().lower()}"
        + (f" ({notice.buyer_response})" if notice.buyer_response else ""),
    ]
    event.add("description", clean("\n".join(lines)))
    event.add("categories", ["Change"])
    event.add("transp", "TRANSPARENT")
    return event


def build_calendar(
    contract: Contract,
    windows: Iterable[MaintenanceWindow],
    notices: Iterable[ChangeNotice],
    *,
    notice_days: int,
) -> bytes:
    """The feed body (``text/calendar``). ``notice_days`` is the agreement's
    maintenance notice, shown in each window's description."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", line(f"{contract.reference} maintenance and changes"))
    calendar.add("x-wr-caldesc", line(f"{contract.product}: {contract.buyer} and {contract.vendor}"))
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for window in windows:
        window.contract = contract
        calendar.add_component(window_event(window, notice_days=notice_days))
    for notice in notices:
        notice.contract = contract
        calendar.add_component(notice_event(notice))
    return calendar.to_ical()
