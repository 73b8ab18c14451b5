"""Outage use cases: staff enter and correct outages with a reason, the
vendor claims an exclusion (third party, force majeure) and the buyer decides,
a restored critical production incident is recorded as an outage. Plus the
steps every availability use case shares.

Each runs in one transaction, checks the person's role on the contract, and
records every state change in the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.access import Standing
from audit import services as audit
from availability.models import Outage
from contracts import lock_objects
from contracts import services as contract_services
from contracts.access import contract_standing
from contracts.models import Contract, SLAVersion
from contracts.terms import Terms
from contracts.versions import InForceFallback
from core.actor import Actor
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents.models import Incident
from incidents.services.base import is_buyer_actor, is_vendor_actor

OUTAGE_FIELDS = ["component", "start", "end", "cause", "source", "reason", "unknown_component"]
CLAIMABLE = ("third_party", "force_majeure")
CLAIM_LABELS = {"third_party": "Third-party dependency", "force_majeure": "Force majeure"}


# -- shared steps ------------------------------------------------------------------


def governing_terms(contract: Contract, at: datetime) -> Terms | None:
    """The terms in force at ``at``; before the first version, the earliest one."""
    version = SLAVersion.objects.for_contract(contract).in_force_at(at, fallback=InForceFallback.EARLIEST_FROZEN)
    return Terms(version.terms) if version else None


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)


def _standing(actor: Actor, contract: Contract, check: Callable[[Standing], bool], message: str) -> Standing:
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
            errors={
                field: [f"Not a covered component of {contract.reference}: {', '.join(unknown)} (covered: {covered})."]
            },
        )
    return names


# -- outages --------------------------------------------------------------------------


def record_outage(
    *,
    actor: Actor,
    contract: Contract,
    component: str,
    start: datetime,
    end: datetime | None,
    reason: str,
    cause: str = "",
) -> Outage:
    """Staff enter an outage the monitoring missed; the reason is kept."""
    _require(getattr(actor, "is_staff", False), "Only staff may enter outages.")
    contract_services.contract_require_accepted(contract, what="Outages")
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


def correct_outage(*, actor: Actor, outage: Outage, reason: str, **changes: Any) -> Outage:
    """Staff correct ``component``, ``start``, ``end`` or ``cause`` of any outage, with a reason."""
    _require(getattr(actor, "is_staff", False), "Only staff may correct outages.")
    reason = _text(reason, "reason", "A reason")
    allowed = {"component", "start", "end", "cause"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput("Unknown field.", errors={k: ["This field cannot be changed."] for k in unknown})
    return _correct(actor=actor, outage=outage, changes=changes, note=reason, noted={"reason": [None, reason]})


def outage_correct_on_dispute(
    *, actor: Actor, outage: Outage, start: datetime, end: datetime | None, reason: str, dispute_ref: str
) -> Outage:
    """The parties settled a dispute on the outage's times (``reason``: the agreed resolution).
    Who may agree it is the dispute's rule (the side the change goes against); here, either
    party's managers and staff. An outage cannot start in the future and ends after it starts."""
    reason = _text(reason, "reason", "The agreed resolution")
    _aware(start, "start"), _aware(end, "end")
    if start > timezone.now():
        raise InvalidInput("An outage cannot start in the future.", errors={"start": ["In the future."]})
    _ordered(start, end, strict=True)
    note = f"Corrected on resolving dispute {dispute_ref}: {reason}"
    return _correct(
        actor=actor,
        outage=outage,
        changes={"start": start, "end": end},
        note=note,
        noted={"reason": [None, note], "dispute": [None, dispute_ref]},
        who=(
            lambda s: s.is_staff or is_buyer_actor(s) or is_vendor_actor(s),
            "Only the parties or staff may settle a dispute on an outage.",
        ),
    )


def _correct(
    *,
    actor: Actor,
    outage: Outage,
    changes: dict[str, Any],
    note: str,
    noted: dict[str, Any],
    who: tuple[Callable[[Standing], bool], str] | None = None,
) -> Outage:
    """Lock, check, change, note why on the outage, audit."""
    with transaction.atomic():
        lock_objects.contract_of(outage)  # the contract, then the outage (core.locks)
        outage = Outage.objects.select_for_update(of=("self",)).select_related("contract").get(pk=outage.pk)
        if who is not None:
            _standing(actor, outage.contract, *who)
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
            raise InvalidInput(
                "Nothing to correct.", errors={"non_field_errors": ["No value differs from the record."]}
            )
        outage.reason = f"{outage.reason}\n{note}".strip() if outage.reason else note
        outage.save()
        audit.record(
            actor=actor,
            verb="outage.corrected",
            obj=outage,
            contract_id=outage.contract_id,
            changes={**delta, **noted},
        )
    return outage


def claim_outage_exclusion(*, actor: Actor, outage: Outage, kind: str, reason: str) -> Outage:
    """The vendor claims the outage was a third party's or force majeure."""
    if kind not in CLAIMABLE:
        raise InvalidInput("Unknown exclusion.", errors={"kind": [f"Must be one of: {', '.join(CLAIMABLE)}."]})
    reason = _text(reason, "reason", "The grounds for the claim")
    with transaction.atomic():
        lock_objects.contract_of(outage)  # the contract, then the outage (core.locks)
        outage = Outage.objects.select_for_update(of=("self",)).select_related("contract").get(pk=outage.pk)
        _standing(actor, outage.contract, is_vendor_actor, "Only the vendor's support staff may claim an exclusion.")
        terms = governing_terms(outage.contract, outage.start)
        if terms is None or not terms.data["exclusions"].get(kind, False):
            raise InvalidInput(
                "The agreement has no such exclusion.", errors={"kind": [f"The SLA does not exclude '{kind}'."]}
            )
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
            changes={
                "exclusion": [before, "claimed"],
                "exclusion_kind": [None, kind],
                "exclusion_reason": [None, reason],
            },
        )
    return outage


def decide_outage_exclusion(*, actor: Actor, outage: Outage, accept: bool, reason: str = "") -> Outage:
    if not accept:
        reason = _text(reason, "reason", "A reason to reject")
    with transaction.atomic():
        lock_objects.contract_of(outage)  # the contract, then the outage (core.locks)
        outage = Outage.objects.select_for_update(of=("self",)).select_related("contract").get(pk=outage.pk)
        _standing(
            actor, outage.contract, is_buyer_actor, "Only the buyer's contract managers and operations may decide."
        )
        if outage.exclusion != Outage.Exclusion.CLAIMED:
            raise Conflict(
                "No exclusion claim is pending on this outage.", state=outage.exclusion or "counts", allowed=[]
            )
        outage.exclusion = Outage.Exclusion.ACCEPTED if accept else Outage.Exclusion.REJECTED
        outage.save(update_fields=["exclusion"])
        audit.record(
            actor=actor,
            verb=f"outage.exclusion_{outage.exclusion}",
            obj=outage,
            contract_id=outage.contract_id,
            changes={
                "exclusion": ["claimed", outage.exclusion],
                **({"decision_reason": [None, reason.strip()]} if reason.strip() else {}),
            },
        )
    return outage


def outage_exclusion_settle(*, actor: Actor, outage: Outage, reason: str, dispute_ref: str) -> Outage:
    """The parties settled a dispute by accepting the outage's exclusion (``reason``: the agreed
    resolution): a pending claim is decided as accepted; an outage nobody claimed, or whose claim
    was rejected, is excluded with the dispute noted as the reason. The buyer's decision (or
    staff's), as for a claim."""
    reason = _text(reason, "reason", "The agreed resolution")
    note = f"Accepted on resolving dispute {dispute_ref}: {reason}"
    with transaction.atomic():
        lock_objects.contract_of(outage)  # the contract, then the outage (core.locks)
        outage = Outage.objects.select_for_update(of=("self",)).select_related("contract").get(pk=outage.pk)
        _standing(
            actor, outage.contract, is_buyer_actor, "Only the buyer's contract managers and operations may decide."
        )
        if outage.exclusion == Outage.Exclusion.ACCEPTED:
            raise Conflict("The outage's exclusion is already accepted.", state=outage.exclusion, allowed=[])
        if outage.exclusion == Outage.Exclusion.CLAIMED:
            return decide_outage_exclusion(actor=actor, outage=outage, accept=True, reason=note)
        fields = ["exclusion", "exclusion_reason"]
        before = audit.snapshot(outage, fields)
        outage.exclusion = Outage.Exclusion.ACCEPTED
        outage.exclusion_reason = f"{outage.exclusion_reason}\n{note}".strip()
        outage.save(update_fields=fields)
        audit.record(
            actor=actor,
            verb="outage.exclusion_accepted",
            obj=outage,
            contract_id=outage.contract_id,
            changes={**audit.diff(before, audit.snapshot(outage, fields)), "dispute": [None, dispute_ref]},
        )
    return outage


def outage_from_incident(*, actor: Actor, incident: Incident) -> Outage:
    """Record a restored critical production incident as an outage, when the
    terms count them (period computation counts unconverted ones itself)."""
    incident = Incident.objects.select_related("contract", "sla_version").get(pk=incident.pk)
    _standing(
        actor, incident.contract, lambda s: s.is_staff or is_buyer_actor(s), "Only staff or the buyer may do this."
    )
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
            actor=actor,
            verb="outage.from_incident",
            obj=outage,
            contract_id=outage.contract_id,
            changes={**audit.created(outage, OUTAGE_FIELDS), "incident": [None, incident.reference]},
        )
    return outage
