"""Change notices, governed both ways: the vendor announces (a major release with its impact
assessment: affected components, expected downtime, rollback plan), the buyer acknowledges, asks
or requests a postponement, the vendor answers and decides. Both sides are told of each step.

Postponement rule (the agreement's notice rules decide): the buyer may ask before the change is
due, for a later date. When the notice given was shorter than the terms' notice period for the
kind, the buyer is owed the full notice: a postponement up to ``announced_at + notice period`` is
granted at once, no vendor decision needed. A later date is the vendor's to accept or decline
(with a reason). A postponed change keeps its first planned time (``original_planned_at``) and is
judged for lateness against its new one.

Each step runs in one short transaction (contract row, then the notice, then the audit head) and
writes an audit entry and a message to the notice's thread."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from availability.models import ChangeMessage, ChangeNotice
from availability.services.outages import _aware, _components, _standing, _text, governing_terms
from contracts import lock_objects
from contracts.models import Contract
from contracts.terms import Terms
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from incidents.services.base import is_buyer_actor, is_vendor_actor
from incidents.services.notices import tell_party

NOTICE_FIELDS = [
    "kind",
    "title",
    "planned_at",
    "components",
    "impact",
    "expected_downtime_minutes",
    "rollback_plan",
    "announced_at",
    "required_notice_days",
    "late",
]
VENDOR_ONLY = "Only the vendor's account managers and support engineers may {}."
BUYER_ONLY = "Only the buyer's contract managers and operations may {}."
# Kinds whose notice must carry the full impact assessment.
ASSESSED_KINDS = frozenset({ChangeNotice.Kind.MAJOR_RELEASE})
MAX_POSTPONEMENT = timedelta(days=366)


def notice_check(terms: Terms | None, kind: str, announced_at: datetime, planned_at: datetime) -> tuple[int, bool]:
    """(required days, late) under the terms' notice rule for the change kind. Late is judged on the
    exact notice period (a rule may add hours); the days shown round a part day up."""
    period = _period(terms, kind)
    days = period.days + (1 if period.seconds else 0)
    return days, planned_at - announced_at < period


def _period(terms: Terms | None, kind: str) -> timedelta:
    return (terms.notice_period(kind) if terms else None) or timedelta(0)


def entitled_until(notice: ChangeNotice) -> datetime:
    """The earliest date the change may take place under the notice rule: the buyer is owed a
    postponement up to here without asking the vendor."""
    terms = governing_terms(notice.contract, notice.original_planned_at or notice.planned_at)
    return notice.announced_at + _period(terms, notice.kind)


def _url(contract: Contract) -> str:
    return reverse("availability:contract", args=[contract.pk]) + "#changes"


def _title(notice: ChangeNotice, what: str) -> str:
    return f"{notice.contract.reference}: {what}: {notice.title}"[:200]


def announce_change(
    *,
    actor: Actor,
    contract: Contract,
    kind: str,
    title: str,
    planned_at: datetime,
    impact: str,
    components: Iterable[str] = (),
    expected_downtime_minutes: int | None = None,
    rollback_plan: str = "",
) -> ChangeNotice:
    _standing(actor, contract, is_vendor_actor, VENDOR_ONLY.format("announce changes"))
    if kind not in ChangeNotice.Kind.values:
        raise InvalidInput(
            "Unknown change kind.", errors={"kind": [f"Must be one of: {', '.join(ChangeNotice.Kind.values)}."]}
        )
    title = _text(title, "title", "A title", max_length=200)
    impact = _text(impact, "impact", "An impact assessment")
    rollback_plan = (rollback_plan or "").strip()
    if expected_downtime_minutes is not None and not 0 <= expected_downtime_minutes <= 525_600:
        raise InvalidInput(
            "Expected downtime is out of range.",
            errors={"expected_downtime_minutes": ["Must be between 0 and 525600 minutes (a year)."]},
        )
    if kind in ASSESSED_KINDS:
        missing = {}
        if expected_downtime_minutes is None:
            missing["expected_downtime_minutes"] = ["A major release states its expected downtime (0 for none)."]
        if not rollback_plan:
            missing["rollback_plan"] = ["A major release states how it is rolled back."]
        if missing:
            raise InvalidInput("A major release needs its impact assessment.", errors=missing)
    _aware(planned_at, "planned_at")
    names = _components(contract, components)
    at = timezone.now()
    days, late = notice_check(governing_terms(contract, planned_at), kind, at, planned_at)
    with transaction.atomic():
        notice = ChangeNotice.objects.create(
            contract=contract,
            kind=kind,
            title=title,
            planned_at=planned_at,
            components=names,
            impact=impact,
            expected_downtime_minutes=expected_downtime_minutes,
            rollback_plan=rollback_plan,
            announced_at=at,
            required_notice_days=days,
            late=late,
            created_by=_person(actor),
        )
        audit.record(
            actor=actor,
            verb="change.announced",
            obj=notice,
            contract_id=contract.pk,
            changes=audit.created(notice, NOTICE_FIELDS),
        )
        downtime = (
            f"\nExpected downtime: {expected_downtime_minutes} minutes."
            if expected_downtime_minutes is not None
            else ""
        )
        tell_party(
            contract,
            sides=("buyer",),
            event="change.noticed",
            actor=actor,
            title=f"{contract.reference}: change planned {planned_at.astimezone(UTC):%Y-%m-%d}: {title}"[:200],
            body=impact + downtime + ("\nAnnounced later than the terms' notice period." if late else ""),
            url=_url(contract),
        )
    return notice


def _locked(notice: ChangeNotice) -> ChangeNotice:
    lock_objects.contract_of(notice)  # the contract, then the notice (core.locks)
    return ChangeNotice.objects.select_for_update(of=("self",)).select_related("contract").get(pk=notice.pk)


def _person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _say(notice: ChangeNotice, actor: Actor, side: str, kind: str, text: str) -> None:
    ChangeMessage.objects.create(notice=notice, side=side, kind=kind, text=text, author=_person(actor))


def _open(notice: ChangeNotice) -> None:
    if notice.status == ChangeNotice.Status.ACKNOWLEDGED:
        raise Conflict("The change was already acknowledged.", state=notice.status, allowed=[])


def acknowledge_change(*, actor: Actor, notice: ChangeNotice, message: str = "") -> ChangeNotice:
    text = (message or "").strip()
    with transaction.atomic():
        notice = _locked(notice)
        _standing(actor, notice.contract, is_buyer_actor, BUYER_ONLY.format("acknowledge a change"))
        _open(notice)
        before = notice.status
        notice.status = ChangeNotice.Status.ACKNOWLEDGED
        notice.buyer_response = text or notice.buyer_response
        notice.save(update_fields=["status", "buyer_response"])
        _say(notice, actor, "buyer", ChangeMessage.Kind.ACKNOWLEDGEMENT, text)
        audit.record(
            actor=actor,
            verb="change.acknowledged",
            obj=notice,
            contract_id=notice.contract_id,
            changes={"status": [before, notice.status], **({"buyer_response": [None, text]} if text else {})},
        )
        tell_party(
            notice.contract,
            sides=("vendor",),
            event="change.questioned",
            actor=actor,
            title=_title(notice, "change acknowledged"),
            body=text,
            url=_url(notice.contract),
        )
    return notice


def question_change(*, actor: Actor, notice: ChangeNotice, question: str) -> ChangeNotice:
    question = _text(question, "question", "The question")
    with transaction.atomic():
        notice = _locked(notice)
        _standing(actor, notice.contract, is_buyer_actor, BUYER_ONLY.format("ask about a change"))
        _open(notice)
        before = notice.status
        notice.status, notice.buyer_response = ChangeNotice.Status.QUESTIONED, question
        notice.save(update_fields=["status", "buyer_response"])
        _say(notice, actor, "buyer", ChangeMessage.Kind.QUESTION, question)
        audit.record(
            actor=actor,
            verb="change.questioned",
            obj=notice,
            contract_id=notice.contract_id,
            changes={"status": [before, notice.status], "buyer_response": [None, question]},
        )
        tell_party(
            notice.contract,
            sides=("vendor",),
            event="change.questioned",
            actor=actor,
            title=_title(notice, "question on a change"),
            body=question,
            url=_url(notice.contract),
        )
    return notice


def answer_change(*, actor: Actor, notice: ChangeNotice, answer: str) -> ChangeNotice:
    """The vendor answers the buyer's open question; the notice then awaits the buyer again."""
    answer = _text(answer, "answer", "The answer")
    with transaction.atomic():
        notice = _locked(notice)
        _standing(actor, notice.contract, is_vendor_actor, VENDOR_ONLY.format("answer questions on a change"))
        if notice.status != ChangeNotice.Status.QUESTIONED:
            raise Conflict(
                "There is no open question on this change.",
                state=notice.status,
                allowed=[ChangeNotice.Status.QUESTIONED],
            )
        notice.status, notice.vendor_response = ChangeNotice.Status.ANSWERED, answer
        notice.save(update_fields=["status", "vendor_response"])
        _say(notice, actor, "vendor", ChangeMessage.Kind.ANSWER, answer)
        audit.record(
            actor=actor,
            verb="change.answered",
            obj=notice,
            contract_id=notice.contract_id,
            changes={"status": [ChangeNotice.Status.QUESTIONED, notice.status], "vendor_response": [None, answer]},
        )
        tell_party(
            notice.contract,
            sides=("buyer",),
            event="change.questioned",
            actor=actor,
            title=_title(notice, "the vendor answered"),
            body=answer,
            url=_url(notice.contract),
        )
    return notice


def _move(notice: ChangeNotice, until: datetime) -> dict[str, list[object]]:
    """Postpone to ``until``: keep the first planned time, judge lateness on the new one."""
    planned_before, late_before = notice.planned_at, notice.late
    if notice.original_planned_at is None:
        notice.original_planned_at = notice.planned_at
    notice.planned_at = until
    terms = governing_terms(notice.contract, until)
    notice.required_notice_days, notice.late = notice_check(terms, notice.kind, notice.announced_at, until)
    notice.status = ChangeNotice.Status.ANNOUNCED
    notice.postponement_requested_to = None
    return {
        "planned_at": [planned_before.isoformat(), until.isoformat()],
        "late": [late_before, notice.late],
    }


POSTPONE_FIELDS = [
    "planned_at",
    "original_planned_at",
    "required_notice_days",
    "late",
    "status",
    "postponement_requested_to",
    "postponement_reason",
]


def request_postponement(*, actor: Actor, notice: ChangeNotice, until: datetime, reason: str) -> ChangeNotice:
    """The buyer asks for the change to move to ``until``. Granted at once within the notice owed
    (see the module's rule); otherwise it waits for the vendor's decision."""
    reason = _text(reason, "reason", "A reason")
    _aware(until, "until")
    now = timezone.now()
    with transaction.atomic():
        notice = _locked(notice)
        _standing(actor, notice.contract, is_buyer_actor, BUYER_ONLY.format("request a postponement"))
        _open(notice)
        if notice.status == ChangeNotice.Status.POSTPONING:
            raise Conflict("A postponement request is already waiting for the vendor.", state=notice.status, allowed=[])
        if now >= notice.planned_at:
            raise InvalidInput(
                "The change is already due.",
                errors={"until": [f"A postponement is asked before the planned time ({_utc(notice.planned_at)})."]},
            )
        if until <= notice.planned_at:
            raise InvalidInput(
                "A postponement moves the change later.",
                errors={"until": [f"Must be after the planned time ({_utc(notice.planned_at)})."]},
            )
        if until - notice.planned_at > MAX_POSTPONEMENT:
            raise InvalidInput("Too far ahead.", errors={"until": ["At most a year after the planned time."]})
        owed = entitled_until(notice)
        status_before = notice.status
        notice.postponement_reason = reason
        if until <= owed:
            changes = _move(notice, until)
            verb, kind = "change.postponed", ChangeMessage.Kind.POSTPONEMENT_GRANTED
            text = f"{reason}\nGranted under the notice rule: the agreement owes notice until {_utc(owed)}."
            what = "postponed under the notice rule"
        else:
            notice.status, notice.postponement_requested_to = ChangeNotice.Status.POSTPONING, until
            changes = {"postponement_requested_to": [None, until.isoformat()]}
            verb, kind, text = "change.postponement_requested", ChangeMessage.Kind.POSTPONEMENT_REQUEST, reason
            what = f"postponement to {_utc(until)} requested"
        changes["status"] = [status_before, notice.status]
        notice.save(update_fields=POSTPONE_FIELDS)
        _say(notice, actor, "buyer", kind, text)
        audit.record(
            actor=actor,
            verb=verb,
            obj=notice,
            contract_id=notice.contract_id,
            changes={**changes, "postponement_reason": [None, reason]},
        )
        tell_party(
            notice.contract,
            sides=("vendor",),
            event="change.questioned",
            actor=actor,
            title=_title(notice, what),
            body=reason,
            url=_url(notice.contract),
        )
    return notice


def decide_postponement(*, actor: Actor, notice: ChangeNotice, accept: bool, reason: str = "") -> ChangeNotice:
    """The vendor accepts the requested date or declines it (a reason is required to decline)."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise InvalidInput("A reason is required to decline.", errors={"reason": ["This field is required."]})
    with transaction.atomic():
        notice = _locked(notice)
        _standing(actor, notice.contract, is_vendor_actor, VENDOR_ONLY.format("decide on a postponement"))
        if notice.status != ChangeNotice.Status.POSTPONING or notice.postponement_requested_to is None:
            raise Conflict(
                "No postponement request is waiting.", state=notice.status, allowed=[ChangeNotice.Status.POSTPONING]
            )
        requested = notice.postponement_requested_to
        if accept:
            changes = _move(notice, requested)
            verb, kind, what = "change.postponed", ChangeMessage.Kind.POSTPONEMENT_GRANTED, "postponement accepted"
        else:
            notice.status, notice.postponement_requested_to = ChangeNotice.Status.ANNOUNCED, None
            changes = {"postponement_requested_to": [requested.isoformat(), None]}
            verb, kind, what = (
                "change.postponement_declined",
                ChangeMessage.Kind.POSTPONEMENT_DECLINED,
                "postponement declined",
            )
        changes["status"] = [ChangeNotice.Status.POSTPONING, notice.status]
        notice.save(update_fields=POSTPONE_FIELDS)
        _say(notice, actor, "vendor", kind, reason)
        audit.record(
            actor=actor,
            verb=verb,
            obj=notice,
            contract_id=notice.contract_id,
            changes={**changes, **({"reason": [None, reason]} if reason else {})},
        )
        tell_party(
            notice.contract,
            sides=("buyer",),
            event="change.questioned",
            actor=actor,
            title=_title(notice, what),
            body=reason,
            url=_url(notice.contract),
        )
    return notice


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
