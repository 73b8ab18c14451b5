"""Governance dates as iCalendar events (RFC 5545): each contract's notice
deadline and term end, and its annual review meetings (or, until a meeting
is set, the anniversary the review is scheduled for). Added to the
maintenance-and-change calendar the availability feed builds, so one
subscription shows everything that has a date.

UIDs are stable, so a calendar app updates an event in place when a meeting
moves or a term is extended."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from availability.ical import clean, line
from contracts.models import Contract
from reviews.models import AnnualReview


def _all_day(uid: str, day, summary: str, description: str, category: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", line(summary))
    event.add("description", clean(description))
    event.add("categories", [category])
    event.add("transp", "TRANSPARENT")
    return event


def contract_events(contract: Contract, reviews: Iterable[AnnualReview]) -> list[Event]:
    events = [
        _all_day(
            f"notice-deadline-{contract.pk}-{contract.term_end:%Y%m%d}@covenant",
            contract.notice_deadline,
            f"Notice deadline: {contract.reference}",
            (
                f"Last day for {contract.buyer} to give notice on {contract.reference} ({contract.product}), "
                f"{contract.notice_period_days} days before the term ends on {contract.term_end:%-d %b %Y}. "
                + (
                    "Without notice the contract renews automatically."
                    if contract.auto_renew
                    else "Without renewal it ends."
                )
            ),
            "Renewal",
        ),
        _all_day(
            f"term-end-{contract.pk}-{contract.term_end:%Y%m%d}@covenant",
            contract.term_end,
            f"Term ends: {contract.reference}",
            f"The current term of {contract.reference} with {contract.vendor} ends.",
            "Renewal",
        ),
    ]
    for review in reviews:
        if review.status == AnnualReview.Status.REJECTED:
            continue
        uid = f"annual-review-{review.pk}.{contract.pk}@covenant"
        if review.meeting_date:
            event = Event()
            event.add("uid", uid)
            event.add("dtstamp", review.updated_at)
            event.add("dtstart", review.meeting_date)
            event.add("dtend", review.meeting_date + timedelta(hours=2))
            event.add("summary", line(f"Board meeting: {contract.reference} annual review {review.year}"))
            event.add("description", clean(review.agenda or "Annual review of the contract."))
            event.add("categories", ["Review"])
            event.add("transp", "OPAQUE")
            events.append(event)
        else:
            events.append(
                _all_day(
                    uid,
                    review.scheduled_for,
                    f"Annual review due: {contract.reference} {review.year}",
                    "The board's annual review is scheduled for the contract anniversary; no meeting is set yet.",
                    "Review",
                )
            )
    return events


def governance_events(body: bytes, contract: Contract, reviews: Iterable[AnnualReview]) -> bytes:
    """``body`` (an iCalendar feed) with the governance dates added."""
    calendar = Calendar.from_ical(body)
    calendar["x-wr-calname"] = line(f"{contract.reference} calendar")
    for event in contract_events(contract, reviews):
        calendar.add_component(event)
    return calendar.to_ical()
