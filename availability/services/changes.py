"""Maintenance windows (the vendor schedules, completes or cancels them) and
each person's secret calendar feed of them and of the change notices
(``availability.services.change_notices``).

Each runs in one transaction, checks the person's role on the contract, and
records every state change in the audit trail."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit import services as audit
from availability.models import CalendarFeed, MaintenanceWindow
from availability.services.outages import _aware, _components, _ordered, _standing, _text
from contracts import lock_objects
from contracts.models import Contract
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from incidents.services.base import is_buyer_actor, is_vendor_actor
from incidents.services.notices import tell_party

WINDOW_FIELDS = ["title", "components", "start", "end", "announced_at", "status"]


# -- maintenance windows ---------------------------------------------------------------

VENDOR_ONLY = "Only the vendor's account managers and support engineers may {}."


# An announcement claimed this far before the record is entered makes the window "recorded late".
RECORDED_LATE_AFTER = timedelta(minutes=5)


def schedule_maintenance(
    *,
    actor: Actor,
    contract: Contract,
    title: str,
    start: datetime,
    end: datetime,
    components: Iterable[str] = (),
    announced_at: datetime | None = None,
    evidence: str = "",
) -> MaintenanceWindow:
    """Announce a window now, or record one announced earlier (``announced_at`` in the past, which
    the notice check then uses). A window recorded after the fact needs ``evidence`` of the
    announcement and excuses no downtime until the buyer accepts it (accept_late_maintenance)."""
    _standing(actor, contract, is_vendor_actor, VENDOR_ONLY.format("schedule maintenance"))
    title = _text(title, "title", "A title", max_length=200)
    _aware(start, "start"), _aware(end, "end"), _aware(announced_at, "announced_at")
    _ordered(start, end, strict=True)
    names = _components(contract, components)
    now = timezone.now()
    if announced_at is not None and announced_at > now + RECORDED_LATE_AFTER:
        raise InvalidInput(
            "The announcement cannot be in the future.",
            errors={"announced_at": ["Must not be in the future (leave it empty to announce now)."]},
        )
    late = announced_at is not None and announced_at < now - RECORDED_LATE_AFTER
    evidence = (evidence or "").strip()
    if late:
        evidence = _text(evidence, "evidence", "Evidence of the earlier announcement", max_length=2000)
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            contract=contract,
            title=title,
            components=names,
            start=start,
            end=end,
            announced_at=announced_at if late and announced_at else now,
            recorded_at=now,
            recorded_late=late,
            evidence=evidence,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            verb="maintenance.recorded_late" if late else "maintenance.scheduled",
            obj=window,
            contract_id=contract.pk,
            changes=audit.created(window, WINDOW_FIELDS + (["recorded_late", "evidence"] if late else [])),
        )
        tell_party(
            contract,
            sides=("buyer",),
            event="maintenance.noticed",
            actor=actor,
            title=f"{contract.reference}: maintenance {start.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {title}"[:200],
            body=(
                f"{contract.vendor} recorded a window announced earlier; accept it or not on the contract's page."
                if late
                else f"{contract.vendor} announced maintenance" + (f" of {', '.join(names)}." if names else ".")
            ),
            url=reverse("availability:contract", args=[contract.pk]),
        )
    return window


def accept_late_maintenance(*, actor: Actor, window: MaintenanceWindow) -> MaintenanceWindow:
    """The buyer accepts a window recorded after the fact: from then on it is judged like any
    other (its claimed announcement against the notice period, the allowance, any overrun)."""
    with transaction.atomic():
        lock_objects.contract_of(window)  # the contract, then the window (core.locks)
        window = MaintenanceWindow.objects.select_for_update(of=("self",)).select_related("contract").get(pk=window.pk)
        _standing(
            actor, window.contract, is_buyer_actor, "Only the buyer's contract managers and operations may accept."
        )
        if not window.awaiting_acceptance:
            raise Conflict(
                "The window was recorded on time." if not window.recorded_late else "The window is already accepted.",
                state="accepted" if window.recorded_late else "on_time",
                allowed=[],
            )
        window.late_accepted_at, window.late_accepted_by_id = timezone.now(), actor.pk
        window.save(update_fields=["late_accepted_at", "late_accepted_by"])
        audit.record(
            actor=actor,
            verb="maintenance.late_accepted",
            obj=window,
            contract_id=window.contract_id,
            changes={"late_accepted_at": [None, window.late_accepted_at.isoformat()]},
        )
    return window


def _window_step(actor: Actor, window: MaintenanceWindow, action: str) -> MaintenanceWindow:
    lock_objects.contract_of(window)  # the contract, then the window (core.locks)
    window = MaintenanceWindow.objects.select_for_update(of=("self",)).select_related("contract").get(pk=window.pk)
    _standing(actor, window.contract, is_vendor_actor, VENDOR_ONLY.format(f"{action} maintenance"))
    if window.status != MaintenanceWindow.Status.SCHEDULED:
        raise Conflict(
            f"Cannot {action} a window that is {window.get_status_display().lower()}.", state=window.status, allowed=[]
        )
    return window


def complete_maintenance(
    *, actor: Actor, window: MaintenanceWindow, actual_end: datetime | None = None
) -> MaintenanceWindow:
    """Record when the work really ended (default: now); past the planned end is an overrun."""
    _aware(actual_end, "actual_end")
    with transaction.atomic():
        window = _window_step(actor, window, "complete")
        actual_end = actual_end or timezone.now()
        _ordered(window.start, actual_end, strict=True, field="actual_end")
        if actual_end > timezone.now() + timedelta(minutes=5):
            raise InvalidInput("That is in the future.", errors={"actual_end": ["The work cannot have ended yet."]})
        window.actual_end, window.status = actual_end, MaintenanceWindow.Status.COMPLETED
        window.save(update_fields=["actual_end", "status"])
        audit.record(
            actor=actor,
            verb="maintenance.completed",
            obj=window,
            contract_id=window.contract_id,
            changes={"status": ["scheduled", "completed"], "actual_end": [None, actual_end.isoformat()]},
        )
    return window


def cancel_maintenance(*, actor: Actor, window: MaintenanceWindow, reason: str = "") -> MaintenanceWindow:
    with transaction.atomic():
        window = _window_step(actor, window, "cancel")
        window.status = MaintenanceWindow.Status.CANCELLED
        window.save(update_fields=["status"])
        audit.record(
            actor=actor,
            verb="maintenance.cancelled",
            obj=window,
            contract_id=window.contract_id,
            changes={
                "status": ["scheduled", "cancelled"],
                **({"reason": [None, reason.strip()]} if reason.strip() else {}),
            },
        )
    return window


# -- calendar feeds -------------------------------------------------------------------


def feed_token(feed: CalendarFeed) -> str:
    """The feed's secret, derived from the server key and the feed's creation
    instant: it can be shown again on the page while only its hash is stored."""
    value = f"{feed.user_id}:{feed.contract_id}:{feed.created_at.astimezone(UTC).isoformat()}"
    return salted_hmac("covenant.incidents.calendar-feed", value).hexdigest()[:40]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed(*, actor: Actor, contract: Contract, rotate: bool = False) -> tuple[CalendarFeed, str]:
    """The person's feed for the contract (created on first use); ``rotate``
    retires the old URL and issues a new one."""
    _standing(actor, contract, lambda s: s.sees, "You may not see this contract.")
    with transaction.atomic():
        lock_objects.contract(contract.pk)  # the contract, then the feed (core.locks)
        feed = CalendarFeed.objects.select_for_update().filter(user=actor, contract=contract).first()
        if feed is not None and not rotate:
            return feed, feed_token(feed)
        verb = "calendar_feed.rotated" if feed is not None else "calendar_feed.created"
        if feed is None:
            feed = CalendarFeed.objects.create(
                user=actor, contract=contract, token_hash=hash_token(f"new:{actor.pk}:{contract.pk}")
            )
        else:
            # A new instant makes a new secret, even if the clock has not moved.
            created = max(timezone.now(), feed.created_at + timedelta(microseconds=1))
            CalendarFeed.objects.filter(pk=feed.pk).update(created_at=created)
            feed.created_at = created
        token = feed_token(feed)
        feed.token_hash = hash_token(token)
        feed.save(update_fields=["token_hash"])
        audit.record(actor=actor, verb=verb, obj=feed, contract_id=contract.pk, changes={"feed": [None, feed.pk]})
    return feed, token


def feed_for_token(contract_id: int, token: str) -> CalendarFeed | None:
    """The feed if the token is this contract's and its owner still sees the contract."""
    feed = (
        CalendarFeed.objects.select_related("user", "contract")
        .filter(token_hash=hash_token(token or ""), contract_id=contract_id)
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    return feed if Contract.objects.visible_to(feed.user).filter(pk=contract_id).exists() else None
