"""Use cases of the feedback register: log, respond, close; evidence links to incidents, reports and disputes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.services import notify
from audit import services as audit
from contracts import lock_objects
from contracts.access import contract_standing, require
from contracts.models import (
    Contract,
    FeedbackItem,
    Party,
)
from contracts.onboarding.rules import (
    EVIDENCE_KINDS,
    MANAGER_ROLES,
    evidence_kind,
    is_worker,
    party_of,
    person_of,
    record_change,
)
from core.actor import Actor
from core.errors import Conflict, InvalidInput

# -- the feedback register ----------------------------------------------------------------------------


def check_evidence(contract: Contract, evidence: Any) -> list[dict[str, Any]]:
    """``[{"type": "incident", "id": 12}, ...]``: each must exist on this contract."""
    if evidence in (None, ""):
        return []
    if not isinstance(evidence, list):
        raise InvalidInput("Evidence is a list.", errors={"evidence": ["Give a list of {type, id} pairs."]})
    errors: dict[str, list[str]] = {}
    out: list[dict[str, Any]] = []
    for i, ref in enumerate(evidence):
        kind = ref.get("type") if isinstance(ref, Mapping) else None
        pk = ref.get("id") if isinstance(ref, Mapping) else None
        if kind not in EVIDENCE_KINDS:
            errors[f"evidence[{i}].type"] = [f"Must be one of: {', '.join(EVIDENCE_KINDS)}."]
            continue
        if isinstance(pk, bool) or not isinstance(pk, int) or pk < 1:
            errors[f"evidence[{i}].id"] = ["Must be a positive whole number."]
            continue
        registered = evidence_kind(kind)
        if registered is None:
            errors[f"evidence[{i}].type"] = [f"{kind.capitalize()}s are not available here."]
            continue
        model = registered[0]
        if not model.objects.filter(pk=pk, contract_id=contract.pk).exists():
            errors[f"evidence[{i}].id"] = [f"{contract.reference} has no {kind} {pk}."]
            continue
        if {"type": kind, "id": pk} not in out:
            out.append({"type": kind, "id": pk})
    if errors:
        raise InvalidInput("The evidence does not point at this contract's records.", errors=errors)
    return out


def evidence_links(evidence: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Display form of evidence refs: label and, where the page exists, its URL."""
    from django.urls import NoReverseMatch

    out = []
    for ref in evidence or []:
        kind, pk = ref.get("type"), ref.get("id")
        label = f"INC-{pk}" if kind == "incident" else f"{str(kind).capitalize()} #{pk}"
        try:
            registered = evidence_kind(kind)
            url = reverse(registered[1], args=[pk]) if registered else ""
        except NoReverseMatch:
            url = ""
        out.append({"type": kind, "id": pk, "label": label, "url": url})
    return out


def feedback_log(
    *,
    actor: Actor,
    contract: Contract,
    category: str,
    text: str,
    evidence: Any = None,
    proposed_action: str = "",
    side: str | None = None,
) -> FeedbackItem:
    """An observation from real use, raised by the actor's party (staff name the side)."""
    s = contract_standing(actor, contract)
    require(s.is_staff or is_worker(s), "Only the parties' people (not viewers) may log feedback.")
    side = party_of(s) or side
    errors: dict[str, list[str]] = {}
    if side not in Party.values:
        errors["side"] = ["Say which party raises the item: buyer or vendor."]
    if category not in FeedbackItem.Category.values:
        errors["category"] = [f"Must be one of: {', '.join(FeedbackItem.Category.values)}."]
    if not (text or "").strip():
        errors["text"] = ["Describe what you observed."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    refs = check_evidence(contract, evidence)
    with transaction.atomic():
        item = FeedbackItem.objects.create(
            contract=contract,
            raised_by=person_of(actor),
            side=side,
            category=category,
            text=text.strip(),
            evidence=refs,
            proposed_action=(proposed_action or "").strip(),
            created_at=timezone.now(),
        )
        record_change(
            actor,
            "feedback.logged",
            item,
            contract.pk,
            audit.created(item, ["side", "category", "text", "evidence", "proposed_action"]),
        )
        _notify_other_side(item, contract)
    return item


def _notify_other_side(item: FeedbackItem, contract: Contract) -> None:
    org_id = contract.vendor_id if item.side == Party.BUYER else contract.buyer_id
    people = [
        m.user
        for m in Membership.objects.filter(
            organization_id=org_id, role=MANAGER_ROLES[Party(item.other_side)], is_active=True, user__is_active=True
        ).select_related("user")
    ]
    notify(
        users=people,
        event="feedback.logged",
        title=f"{contract.reference}: feedback from the {item.side} awaits your response",
        body=item.text[:500],
        url=reverse("contracts:routine", args=[contract.pk]) + f"#feedback-{item.pk}",
        contract_id=contract.pk,
        organization_ids=[org_id],
    )


def _lock_feedback(item: FeedbackItem) -> FeedbackItem:
    lock_objects.contract_of(item)  # the contract, then the item (core.locks)
    locked = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    locked.contract = item.contract
    return locked


def feedback_respond(
    *, actor: Actor, item: FeedbackItem, response: str, proposed_action: str | None = None
) -> FeedbackItem:
    """The other party answers (again, to revise its answer, until the item is closed)."""
    s = contract_standing(actor, item.contract)
    require(
        s.is_staff or (is_worker(s) and party_of(s) == item.other_side),
        f"Only the {item.other_side}'s people may respond to feedback from the {item.side}.",
    )
    if not (response or "").strip():
        raise InvalidInput("Write a response.", errors={"response": ["This field is required."]})
    with transaction.atomic():
        item = _lock_feedback(item)
        if item.status == FeedbackItem.Status.CLOSED:
            raise Conflict("The feedback item is closed.", state=item.status, allowed=[])
        before = {"status": item.status, "response": item.response or None, "proposed_action": item.proposed_action}
        item.response = response.strip()
        if proposed_action is not None and proposed_action.strip():
            item.proposed_action = proposed_action.strip()
        item.status = FeedbackItem.Status.RESPONDED
        item.responded_by = person_of(actor)
        item.responded_at = timezone.now()
        item.save()
        after = {"status": item.status, "response": item.response, "proposed_action": item.proposed_action}
        record_change(actor, "feedback.responded", item, item.contract_id, audit.diff(before, after))
    return item


def feedback_close(*, actor: Actor, item: FeedbackItem, note: str = "") -> FeedbackItem:
    """The raising party (or staff) closes the item, e.g. once the proposed
    action is agreed in the review."""
    s = contract_standing(actor, item.contract)
    require(
        s.is_staff or (is_worker(s) and party_of(s) == item.side),
        f"Only the {item.side}'s people, who raised it, may close this feedback item.",
    )
    with transaction.atomic():
        item = _lock_feedback(item)
        if item.status == FeedbackItem.Status.CLOSED:
            raise Conflict("The feedback item is already closed.", state=item.status, allowed=[])
        before = item.status
        item.status = FeedbackItem.Status.CLOSED
        item.closed_by = person_of(actor)
        item.closed_at = timezone.now()
        item.close_note = (note or "").strip()
        item.save()
        record_change(actor, "feedback.closed", item, item.contract_id, {"status": [before, "closed"]})
    return item


def seed_demo_feedback(*, contract: Contract, raised_by: Any, incident_id: int | None = None) -> FeedbackItem | None:
    """One demo feedback item per contract (idempotent), pointing at an incident."""
    if FeedbackItem.objects.filter(contract=contract).exists():
        return None
    evidence = [{"type": "incident", "id": incident_id}] if incident_id else []
    return feedback_log(
        actor=raised_by,
        contract=contract,
        category=FeedbackItem.Category.PROCESS,
        text="The vendor's acknowledgement came in time, but nobody joined the bridge call for 40 minutes: "
        "the playbook's 'join the bridge' step has no named person out of hours.",
        evidence=evidence,
        proposed_action="Name an out-of-hours support engineer in the contacts and add them to the critical playbook.",
    )
