"""Availability use cases: outages entered or corrected by staff, outage
exclusion claims, maintenance windows, change notices and calendar feeds.

Each runs in one transaction, checks the person's role on the contract, and
records every state change in the audit trail."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.access import Standing
from audit import services as audit
from config.errors import Conflict, InvalidInput, NotPermitted
from contracts.access import contract_standing
from contracts.models import Contract, SLAVersion
from contracts.terms import Terms
from incidents.models import CalendarFeed, ChangeNotice, Incident, MaintenanceWindow, Outage
from incidents.services.base import is_buyer_actor, is_vendor_actor

OUTAGE_FIELDS = ["component", "start", "end", "cause", "source", "reason", "unknown_component"]
WINDOW_FIELDS = ["title", "components", "start", "end", "announced_at", "status"]
NOTICE_FIELDS = ["kind", "title", "planned_at", "components", "impact", "announced_at", "required_notice_days", "late"]
CLAIMABLE = ("third_party", "force_majeure")
CLAIM_LABELS = {"third_party": "Third-party dependency", "force_majeure": "Force majeure"}


# -- shared steps ------------------------------------------------------------------


def governing_terms(contract: Contract, at: datetime) -> Terms | None:
    """The terms in force at ``at``; before the first version, the earliest one."""
    versions = SLAVersion.objects.filter(contract=contract).frozen()
    version = versions.governing(at).first() or versions.order_by("effective_from").first()
    return Terms(version.terms) if version else None


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)


def _standing(actor: Any, contract: Contract, check: Callable[[Standing], bool], message: str) -> Standing:
    s = contract_standing(actor, contract)
    _require(check(s), message)
    return s


def _text(value: str, field: str, label: str, *, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{label} is required.", errors={field: ["This field is required."]})
    if max_length and len(text) > max_length:
        raise InvalidInput(f"{label} is too long.", errors={field: [f"At most {max_length} characters."]})
    return text


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        raise InvalidInput("Times need a time zone.", errors={field: ["Must be timezone-aware (e.g. end with Z)."]})
    return value


def _ordered(start: datetime, end: datetime | None, *, strict: bool = False, field: str = "end") -> None:
    if end is not None and (end < start or (strict and end == start)):
        raise InvalidInput(
            "The end precedes the start." if end < start else "The end must be after the start.",
            errors={field: [f"Must be after the start ({start.astimezone(UTC):%Y-%m-%d %H:%M} UTC)."]},
        )


def _components(contract: Contract, components: Iterable[str], *, field: str = "components") -> list[str]:
    """A subset of the contract's covered components (empty: the whole service)."""
    names = list(dict.fromkeys(c.strip() for c in components if c and c.strip()))
    unknown = [c for c in names if c not in (contract.covered_components or [])]
    if unknown:
        covered = ", ".join(contract.covered_components or []) or "none listed"
        raise InvalidInput(
            "Unknown component.",
            errors={field: [f"Not a covered component of {contract.reference}: {', '.join(unknown)} (covered: {covered})."]},
        )
    return names


# -- outages --------------------------------------------------------------------------


def record_outage(
    *,
    actor: Any,
    contract: Contract,
    component: str,
    start: datetime,
    end: datetime | None,
    reason: str,
    cause: str = "",
) -> Outage:
    """Staff enter an outage the monitoring missed; the reason is kept."""
    _require(getattr(actor, "is_staff", False), "Only staff may enter outages.")
    component = _text(component, "component", "The component", max_length=100)
    reason = _text(reason, "reason", "A reason")
    _aware(start, "start"), _aware(end, "end")
    _ordered(start, end)
    with transaction.atomic():
        outage = Outage.objects.create(
            contract=contract,
            component=component,
            start=start,
            end=end,
            cause=cause.strip()[:300],
            source=Outage.Source.MANUAL,
            unknown_component=not contract.in_scope(component),
            reason=reason,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            verb="outage.recorded",
            obj=outage,
            contract_id=contract.pk,
            changes=audit.created(outage, OUTAGE_FIELDS),
        )
    return outage


def correct_outage(*, actor: Any, outage: Outage, reason: str, **changes: Any) -> Outage:
    """Staff correct ``component``, ``start``, ``end`` or ``cause`` of any outage, with a reason."""
    _require(getattr(actor, "is_staff", False), "Only staff may correct outages.")
    reason = _text(reason, "reason", "A reason")
    allowed = {"component", "start", "end", "cause"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput("Unknown field.", errors={k: ["This field cannot be changed."] for k in unknown})
    with transaction.atomic():
        outage = Outage.objects.select_for_update().select_related("contract").get(pk=outage.pk)
        before = audit.snapshot(outage, OUTAGE_FIELDS)
        if "component" in changes:
            outage.component = _text(changes["component"], "component", "The component", max_length=100)
            outage.unknown_component = not outage.contract.in_scope(outage.component)
        if "cause" in changes:
            outage.cause = (changes["cause"] or "").strip()[:300]
        if "start" in changes:
            outage.start = _aware(changes["start"], "start") or outage.start
        if "end" in changes:
            outage.end = _aware(changes["end"], "end")
        _ordered(outage.start, outage.end)
        delta = audit.diff(before, audit.snapshot(outage, OUTAGE_FIELDS))
        if not delta:
            raise InvalidInput("Nothing to correct.", errors={"non_field_errors": ["No value differs from the record."]})
        outage.reason = f"{outage.reason}\n{reason}".strip() if outage.reason else reason
        outage.save()
        audit.record(
            actor=actor,
            verb="outage.corrected",
            obj=outage,
            contract_id=outage.contract_id,
            changes={**delta, "reason": [None, reason]},
        )
    return outage


def claim_outage_exclusion(*, actor: Any, outage: Outage, kind: str, reason: str) -> Outage:
    """The vendor claims the outage was a third party's or force majeure."""
    if kind not in CLAIMABLE:
        raise InvalidInput("Unknown exclusion.", errors={"kind": [f"Must be one of: {', '.join(CLAIMABLE)}."]})
    reason = _text(reason, "reason", "The grounds for the claim")
    with transaction.atomic():
        outage = Outage.objects.select_for_update().select_related("contract").get(pk=outage.pk)
        _standing(actor, outage.contract, is_vendor_actor, "Only the vendor's support staff may claim an exclusion.")
        terms = governing_terms(outage.contract, outage.start)
        if terms is None or not terms.data["exclusions"].get(kind, False):
            raise InvalidInput("The agreement has no such exclusion.", errors={"kind": [f"The SLA does not exclude '{kind}'."]})
        if outage.exclusion in (Outage.Exclusion.CLAIMED, Outage.Exclusion.ACCEPTED):
            raise Conflict(
                f"The outage's exclusion is already {outage.get_exclusion_display().lower()}.",
                state=outage.exclusion,
                allowed=["decide"] if outage.exclusion == Outage.Exclusion.CLAIMED else [],
            )
        before = outage.exclusion
        outage.exclusion, outage.exclusion_kind, outage.exclusion_reason = Outage.Exclusion.CLAIMED, kind, reason
        outage.save(update_fields=["exclusion", "exclusion_kind", "exclusion_reason"])
        audit.record(
            actor=actor,
            verb="outage.exclusion_claimed",
            obj=outage,
            contract_id=outage.contract_id,
            changes={"exclusion": [before, "claimed"], "exclusion_kind": [None, kind], "exclusion_reason": [None, reason]},
        )
    return outage


def decide_outage_exclusion(*, actor: Any, outage: Outage, accept: bool, reason: str = "") -> Outage:
    if not accept:
        reason = _text(reason, "reason", "A reason to reject")
    with transaction.atomic():
        outage = Outage.objects.select_for_update().select_related("contract").get(pk=outage.pk)
        _standing(actor, outage.contract, is_buyer_actor, "Only the buyer's contract managers and operations may decide.")
        if outage.exclusion != Outage.Exclusion.CLAIMED:
            raise Conflict("No exclusion claim is pending on this outage.", state=outage.exclusion or "counts", allowed=[])
        outage.exclusion = Outage.Exclusion.ACCEPTED if accept else Outage.Exclusion.REJECTED
        outage.save(update_fields=["exclusion"])
        audit.record(
            actor=actor,
            verb=f"outage.exclusion_{outage.exclusion}",
            obj=outage,
            contract_id=outage.contract_id,
            changes={"exclusion": ["claimed", outage.exclusion], **({"decision_reason": [None, reason.strip()]} if reason.strip() else {})},
        )
    return outage


def outage_from_incident(*, actor: Any, incident: Incident) -> Outage:
    """Record a restored critical production incident as an outage, when the
    terms count them (period computation counts unconverted ones itself)."""
    incident = Incident.objects.select_related("contract", "sla_version").get(pk=incident.pk)
    _standing(actor, incident.contract, lambda s: s.is_staff or is_buyer_actor(s), "Only staff or the buyer may do this.")
    if not Terms(incident.sla_version.terms).data["uptime"].get("critical_incidents_count"):
        raise Conflict("The agreement does not count critical incidents as downtime.", state=incident.status)
    if incident.severity != "critical" or incident.environment != "production":
        raise Conflict("Only critical production incidents become outages.", state=incident.status)
    if incident.restore_met_at is None:
        raise Conflict("The incident is not restored yet; it counts as it runs until then.", state=incident.status)
    with transaction.atomic():
        if Outage.objects.filter(incident=incident).exists():
            raise Conflict(f"{incident.reference} is already recorded as an outage.", state=incident.status)
        outage = Outage.objects.create(
            contract=incident.contract,
            component=incident.component,
            start=incident.opened_at,
            end=incident.restore_met_at,
            cause=f"{incident.reference}: {incident.title}"[:300],
            source=Outage.Source.INCIDENT,
            incident=incident,
            unknown_component=not incident.contract.in_scope(incident.component),
            exclusion=Outage.Exclusion.ACCEPTED if incident.excluded else Outage.Exclusion.NONE,
            exclusion_kind="incident_claim" if incident.excluded else "",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            actor=actor, verb="outage.from_incident", obj=outage, contract_id=outage.contract_id,
            changes={**audit.created(outage, OUTAGE_FIELDS), "incident": [None, incident.reference]},
        )
    return outage


# -- maintenance windows ---------------------------------------------------------------

VENDOR_ONLY = "Only the vendor's account managers and support engineers may {}."


def schedule_maintenance(
    *, actor: Any, contract: Contract, title: str, start: datetime, end: datetime, components: Iterable[str] = ()
) -> MaintenanceWindow:
    _standing(actor, contract, is_vendor_actor, VENDOR_ONLY.format("schedule maintenance"))
    title = _text(title, "title", "A title", max_length=200)
    _aware(start, "start"), _aware(end, "end")
    _ordered(start, end, strict=True)
    names = _components(contract, components)
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            contract=contract, title=title, components=names, start=start, end=end,
            announced_at=timezone.now(), created_by=actor,
        )
        audit.record(
            actor=actor, verb="maintenance.scheduled", obj=window, contract_id=contract.pk,
            changes=audit.created(window, WINDOW_FIELDS),
        )
    return window


def _window_step(actor: Any, window: MaintenanceWindow, action: str) -> MaintenanceWindow:
    window = MaintenanceWindow.objects.select_for_update().select_related("contract").get(pk=window.pk)
    _standing(actor, window.contract, is_vendor_actor, VENDOR_ONLY.format(f"{action} maintenance"))
    if window.status != MaintenanceWindow.Status.SCHEDULED:
        raise Conflict(
            f"Cannot {action} a window that is {window.get_status_display().lower()}.", state=window.status, allowed=[]
        )
    return window


def complete_maintenance(*, actor: Any, window: MaintenanceWindow, actual_end: datetime | None = None) -> MaintenanceWindow:
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
            actor=actor, verb="maintenance.completed", obj=window, contract_id=window.contract_id,
            changes={"status": ["scheduled", "completed"], "actual_end": [None, actual_end.isoformat()]},
        )
    return window


def cancel_maintenance(*, actor: Any, window: MaintenanceWindow, reason: str = "") -> MaintenanceWindow:
    with transaction.atomic():
        window = _window_step(actor, window, "cancel")
        window.status = MaintenanceWindow.Status.CANCELLED
        window.save(update_fields=["status"])
        audit.record(
            actor=actor, verb="maintenance.cancelled", obj=window, contract_id=window.contract_id,
            changes={"status": ["scheduled", "cancelled"], **({"reason": [None, reason.strip()]} if reason.strip() else {})},
        )
    return window


# -- change notices --------------------------------------------------------------------


def notice_check(terms: Terms | None, kind: str, announced_at: datetime, planned_at: datetime) -> tuple[int, bool]:
    """(required days, late) under the terms' notice rule for the change kind."""
    days = (terms.notice_days(kind) if terms else None) or 0
    return days, planned_at - announced_at < timedelta(days=days)


def announce_change(
    *,
    actor: Any,
    contract: Contract,
    kind: str,
    title: str,
    planned_at: datetime,
    impact: str,
    components: Iterable[str] = (),
) -> ChangeNotice:
    _standing(actor, contract, is_vendor_actor, VENDOR_ONLY.format("announce changes"))
    if kind not in ChangeNotice.Kind.values:
        raise InvalidInput("Unknown change kind.", errors={"kind": [f"Must be one of: {', '.join(ChangeNotice.Kind.values)}."]})
    title = _text(title, "title", "A title", max_length=200)
    impact = _text(impact, "impact", "An impact assessment")
    _aware(planned_at, "planned_at")
    names = _components(contract, components)
    at = timezone.now()
    days, late = notice_check(governing_terms(contract, planned_at), kind, at, planned_at)
    with transaction.atomic():
        notice = ChangeNotice.objects.create(
            contract=contract, kind=kind, title=title, planned_at=planned_at, components=names, impact=impact,
            announced_at=at, required_notice_days=days, late=late, created_by=actor,
        )
        audit.record(
            actor=actor, verb="change.announced", obj=notice, contract_id=contract.pk,
            changes=audit.created(notice, NOTICE_FIELDS),
        )
    return notice


def _answer(actor: Any, notice: ChangeNotice, status: str, text: str, verb: str) -> ChangeNotice:
    with transaction.atomic():
        notice = ChangeNotice.objects.select_for_update().select_related("contract").get(pk=notice.pk)
        _standing(actor, notice.contract, is_buyer_actor, "Only the buyer's contract managers and operations may answer.")
        if notice.status == ChangeNotice.Status.ACKNOWLEDGED:
            raise Conflict("The change was already acknowledged.", state=notice.status, allowed=[])
        before = notice.status
        notice.status, notice.buyer_response = status, text
        notice.save(update_fields=["status", "buyer_response"])
        audit.record(
            actor=actor, verb=verb, obj=notice, contract_id=notice.contract_id,
            changes={"status": [before, status], **({"buyer_response": [None, text]} if text else {})},
        )
    return notice


def acknowledge_change(*, actor: Any, notice: ChangeNotice, message: str = "") -> ChangeNotice:
    return _answer(actor, notice, ChangeNotice.Status.ACKNOWLEDGED, (message or "").strip(), "change.acknowledged")


def question_change(*, actor: Any, notice: ChangeNotice, question: str) -> ChangeNotice:
    question = _text(question, "question", "The question")
    return _answer(actor, notice, ChangeNotice.Status.QUESTIONED, question, "change.questioned")


# -- calendar feeds -------------------------------------------------------------------


def feed_token(feed: CalendarFeed) -> str:
    """The feed's secret, derived from the server key and the feed's creation
    instant: it can be shown again on the page while only its hash is stored."""
    value = f"{feed.user_id}:{feed.contract_id}:{feed.created_at.astimezone(UTC).isoformat()}"
    return salted_hmac("covenant.incidents.calendar-feed", value).hexdigest()[:40]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed(*, actor: Any, contract: Contract, rotate: bool = False) -> tuple[CalendarFeed, str]:
    """The person's feed for the contract (created on first use); ``rotate``
    retires the old URL and issues a new one."""
    _standing(actor, contract, lambda s: s.sees, "You may not see this contract.")
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=actor, contract=contract).first()
        if feed is not None and not rotate:
            return feed, feed_token(feed)
        verb = "calendar_feed.rotated" if feed is not None else "calendar_feed.created"
        if feed is None:
            feed = CalendarFeed.objects.create(user=actor, contract=contract, token_hash=hash_token(f"new:{actor.pk}:{contract.pk}"))
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


__all__ = [
    "announce_change",
    "acknowledge_change",
    "calendar_feed",
    "cancel_maintenance",
    "claim_outage_exclusion",
    "complete_maintenance",
    "correct_outage",
    "decide_outage_exclusion",
    "feed_for_token",
    "feed_token",
    "governing_terms",
    "notice_check",
    "outage_from_incident",
    "question_change",
    "record_outage",
    "schedule_maintenance",
]
