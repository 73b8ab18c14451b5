"""Corrective-action plans through their lifecycle. Each use case runs in one short transaction
(contract row, then the plan, then the audit head), writes an audit entry and tells the other side.

Rules chosen here:
* Either party asks the other for a plan (after a breach, naming the incident, or on its own
  request); staff ask the vendor. The plan is due ``corrective_actions.plan_due_days`` after the
  request (terms; default 10 days).
* The responsible party submits a root cause and at least one action (description, owner, due
  date). The other party accepts the plan or asks for more, with a reason; a resubmission replaces
  the actions not yet done.
* The responsible party completes each action with its evidence; the plan is completed when every
  action is done.
* An open action past its due date, or a plan not filed by its due time, escalates along the
  contract's ladder: after ``escalate_after_days[0]`` days overdue to the responsible side's
  escalation contacts, after ``[1]`` to its executive sponsors (terms; default 1 and 7 days). Each
  rung fires once (an optimistic update on the level)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from audit import services as audit
from contracts import lock_objects
from contracts.access import contract_standing
from contracts.models import Contract, ContractContact, SLAVersion
from contracts.versions import InForceFallback
from core.actor import Actor
from core.errors import Conflict, InvalidInput, NotPermitted
from corrective.models import CorrectiveAction, CorrectivePlan
from incidents.models import Incident
from incidents.services.base import is_buyer_actor, is_vendor_actor
from incidents.services.notices import party_org, party_people, tell_party

S = CorrectivePlan.Status
EVENT = "corrective_action.due"
DEFAULT_PLAN_DUE_DAYS = 10
DEFAULT_ESCALATE_AFTER = (1, 7)
LADDER = (ContractContact.Role.ESCALATION_CONTACT, ContractContact.Role.EXECUTIVE_SPONSOR)
MAX_ACTIONS = 30


@dataclass(frozen=True)
class Rules:
    plan_due_days: int
    escalate_after: tuple[int, ...]
    zone: str


def rules_for(contract: Contract, at: datetime) -> Rules:
    version = SLAVersion.objects.for_contract(contract).in_force_at(at, fallback=InForceFallback.EARLIEST_FROZEN)
    data: Mapping[str, Any] = version.terms if version else {}
    block = data.get("corrective_actions") or {}
    zone = (data.get("calendar") or {}).get("timezone") or "UTC"
    return Rules(
        plan_due_days=int(block.get("plan_due_days") or DEFAULT_PLAN_DUE_DAYS),
        escalate_after=tuple(block.get("escalate_after_days") or DEFAULT_ESCALATE_AFTER),
        zone=zone,
    )


def _person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def plan_url(plan: CorrectivePlan) -> str:
    return reverse("corrective:detail", args=[plan.contract_id, plan.pk])


def _side_of(actor: Actor, contract: Contract) -> str:
    s = contract_standing(actor, contract)
    if s.is_staff:
        return "staff"
    if is_buyer_actor(s):
        return "buyer"
    if is_vendor_actor(s):
        return "vendor"
    raise NotPermitted("Only the parties' contract managers, operations, account managers and support engineers may.")


def _require_side(actor: Actor, plan: CorrectivePlan, side: str, what: str) -> None:
    acting = _side_of(actor, plan.contract)
    if acting != "staff" and acting != side:
        raise NotPermitted(f"Only the {side} may {what} on {plan.reference}.")


def _text(value: str, field: str, *, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{field.replace('_', ' ').capitalize()} is required.", errors={field: ["Required."]})
    if max_length and len(text) > max_length:
        raise InvalidInput("Too long.", errors={field: [f"At most {max_length} characters."]})
    return text


def _locked(plan: CorrectivePlan) -> CorrectivePlan:
    lock_objects.contract_of(plan)
    return CorrectivePlan.objects.select_for_update(of=("self",)).select_related("contract").get(pk=plan.pk)


def _state(plan: CorrectivePlan, *allowed: str) -> None:
    if plan.status not in allowed:
        raise Conflict(
            f"{plan.reference} is {plan.get_status_display().lower()}.", state=plan.status, allowed=list(allowed)
        )


def _tell(plan: CorrectivePlan, side: str, actor: Actor | None, what: str, body: str = "") -> None:
    tell_party(
        plan.contract,
        sides=(side,),
        event=EVENT,
        actor=actor,
        title=f"{plan.contract.reference} {plan.reference}: {what}"[:200],
        body=body,
        url=plan_url(plan),
    )


def request_plan(
    *, actor: Actor, contract: Contract, subject: str, incident: Incident | None = None, reason: str = ""
) -> CorrectivePlan:
    """Ask the other party for a corrective-action plan (staff ask the vendor)."""
    subject = _text(subject, "subject", max_length=200)
    side = _side_of(actor, contract)
    responsible = "buyer" if side == "vendor" else "vendor"
    if incident is not None and incident.contract_id != contract.pk:
        raise InvalidInput("Not this contract's incident.", errors={"incident": ["Must belong to the contract."]})
    now = timezone.now()
    rules = rules_for(contract, now)
    with transaction.atomic():
        lock_objects.contract(contract.pk)
        plan = CorrectivePlan.objects.create(
            contract=contract,
            incident=incident,
            subject=subject,
            responsible_side=responsible,
            requested_by=_person(actor),
            requested_at=now,
            plan_due_at=now + timedelta(days=rules.plan_due_days),
            feedback=(reason or "").strip(),
        )
        audit.record(
            actor=actor,
            verb="corrective.requested",
            obj=plan,
            contract_id=contract.pk,
            changes={
                "subject": [None, subject],
                "responsible_side": [None, responsible],
                "incident": [None, incident.reference if incident else None],
                "plan_due_at": [None, plan.plan_due_at.isoformat()],
            },
        )
        _tell(
            plan, responsible, actor, f"a corrective-action plan is requested by {plan.plan_due_at:%Y-%m-%d}", subject
        )
    return plan


def _actions(rows: Sequence[Mapping[str, Any]], *, not_before: date) -> list[dict[str, Any]]:
    if not rows:
        raise InvalidInput("A plan needs at least one action.", errors={"actions": ["At least one action."]})
    if len(rows) > MAX_ACTIONS:
        raise InvalidInput("Too many actions.", errors={"actions": [f"At most {MAX_ACTIONS}."]})
    out, errors = [], {}
    for i, row in enumerate(rows):
        description = str(row.get("description") or "").strip()
        owner = str(row.get("owner") or "").strip()
        due = row.get("due_date")
        if isinstance(due, str):
            try:
                due = date.fromisoformat(due)
            except ValueError:
                due = None
        if not description or len(description) > 300:
            errors[f"actions[{i}].description"] = ["Required, at most 300 characters."]
        if not owner or len(owner) > 120:
            errors[f"actions[{i}].owner"] = ["Required, at most 120 characters."]
        if not isinstance(due, date):
            errors[f"actions[{i}].due_date"] = ["A date (YYYY-MM-DD) is required."]
        elif due < not_before:
            errors[f"actions[{i}].due_date"] = [f"Must not be before {not_before.isoformat()}."]
        out.append({"description": description, "owner": owner, "due_date": due})
    if errors:
        raise InvalidInput("Some actions are incomplete.", errors=errors)
    return out


def submit_plan(
    *, actor: Actor, plan: CorrectivePlan, root_cause: str, actions: Sequence[Mapping[str, Any]]
) -> CorrectivePlan:
    """The responsible party files (or refiles) the root cause and the actions."""
    root_cause = _text(root_cause, "root_cause")
    with transaction.atomic():
        plan = _locked(plan)
        _require_side(actor, plan, plan.responsible_side, "file the plan")
        _state(plan, S.REQUESTED, S.MORE_REQUESTED)
        today = timezone.now().astimezone(ZoneInfo(rules_for(plan.contract, timezone.now()).zone)).date()
        rows = _actions(actions, not_before=today)
        done = list(plan.actions.filter(done_at__isnull=False).order_by("position"))
        plan.actions.filter(done_at__isnull=True).delete()
        start = max((a.position for a in done), default=0)
        CorrectiveAction.objects.bulk_create(
            CorrectiveAction(plan=plan, position=start + i + 1, **row) for i, row in enumerate(rows)
        )
        before = plan.status
        plan.status, plan.root_cause = S.SUBMITTED, root_cause
        plan.submitted_at, plan.submitted_by = timezone.now(), _person(actor)
        plan.save(update_fields=["status", "root_cause", "submitted_at", "submitted_by"])
        audit.record(
            actor=actor,
            verb="corrective.submitted",
            obj=plan,
            contract_id=plan.contract_id,
            changes={
                "status": [before, plan.status],
                "root_cause": [None, root_cause],
                "actions": [None, [f"{r['description']} ({r['owner']}, {r['due_date']})" for r in rows]],
            },
        )
        _tell(plan, plan.other_side, actor, "a corrective-action plan awaits your decision", root_cause)
    return plan


def decide_plan(*, actor: Actor, plan: CorrectivePlan, accept: bool, feedback: str = "") -> CorrectivePlan:
    """The other party accepts the plan, or asks for more (a reason is required)."""
    feedback = (feedback or "").strip()
    if not accept and not feedback:
        raise InvalidInput("Say what more is needed.", errors={"feedback": ["Required to ask for more."]})
    with transaction.atomic():
        plan = _locked(plan)
        _require_side(actor, plan, plan.other_side, "decide on the plan")
        _state(plan, S.SUBMITTED)
        before = plan.status
        plan.status = S.ACCEPTED if accept else S.MORE_REQUESTED
        plan.decided_at, plan.decided_by = timezone.now(), _person(actor)
        plan.feedback = feedback
        plan.save(update_fields=["status", "decided_at", "decided_by", "feedback"])
        audit.record(
            actor=actor,
            verb="corrective.accepted" if accept else "corrective.more_requested",
            obj=plan,
            contract_id=plan.contract_id,
            changes={"status": [before, plan.status], **({"feedback": [None, feedback]} if feedback else {})},
        )
        _tell(plan, plan.responsible_side, actor, "plan accepted" if accept else "more is asked for", feedback)
    return plan


def complete_action(*, actor: Actor, action: CorrectiveAction, evidence: str) -> CorrectiveAction:
    """The responsible party records an action as done, with its evidence."""
    evidence = _text(evidence, "evidence")
    with transaction.atomic():
        plan = _locked(action.plan)
        action = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        _require_side(actor, plan, plan.responsible_side, "complete actions")
        _state(plan, S.ACCEPTED)
        if action.done_at is not None:
            raise Conflict("The action is already done.", state="done", allowed=[])
        now = timezone.now()
        action.done_at, action.evidence = now, evidence
        action.save(update_fields=["done_at", "evidence"])
        remaining = plan.actions.filter(done_at__isnull=True).count()
        changes: dict[str, Any] = {"action": [None, action.description], "evidence": [None, evidence]}
        if remaining == 0:
            plan.status, plan.completed_at = S.COMPLETED, now
            plan.save(update_fields=["status", "completed_at"])
            changes["status"] = [S.ACCEPTED, S.COMPLETED]
        audit.record(
            actor=actor, verb="corrective.action_done", obj=plan, contract_id=plan.contract_id, changes=changes
        )
        what = "all actions done: plan completed" if remaining == 0 else f"action done ({remaining} open)"
        _tell(plan, plan.other_side, actor, what, f"{action.description}\nEvidence: {evidence}")
    return action


# -- escalation ------------------------------------------------------------------------------------


def _rung(days_overdue: int, thresholds: Sequence[int]) -> int:
    return sum(1 for t in thresholds[: len(LADDER)] if days_overdue >= t)


def _escalate(plan: CorrectivePlan, level: int, what: str) -> None:
    role = LADDER[level - 1]
    contract = plan.contract
    side = plan.responsible_side
    org = party_org(contract, side)
    contacts = list(
        ContractContact.objects.filter(contract=contract, side=side, role=role, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    people = [u for u in party_people(contract, side) if u.pk in contacts] or party_people(contract, side)
    notify(
        users=people,
        event=EVENT,
        title=f"{contract.reference} {plan.reference}: {what} (escalated to {role.label.lower()}s)"[:200],
        body=plan.subject,
        url=plan_url(plan),
        contract_id=contract.pk,
        organization_ids=[org] if org else [],
        contact_roles=[role],
    )


def escalate_overdue(*, now: datetime | None = None) -> int:
    """Fire each rung once for overdue actions and late plans. Idempotent: the level moves by an
    optimistic update, so a repeated or concurrent run escalates nothing twice."""
    now = now or timezone.now()
    fired = 0
    plans = CorrectivePlan.objects.filter(
        status__in=[S.REQUESTED, S.MORE_REQUESTED, S.SUBMITTED, S.ACCEPTED]
    ).select_related("contract")
    for plan in plans.iterator(chunk_size=200):
        rules = rules_for(plan.contract, now)
        today = now.astimezone(ZoneInfo(rules.zone)).date()
        if plan.status in (S.REQUESTED, S.MORE_REQUESTED) and plan.plan_due_at < now:
            rung = _rung((now - plan.plan_due_at).days, rules.escalate_after)
            if rung > plan.escalation_level:
                with transaction.atomic():
                    moved = CorrectivePlan.objects.filter(pk=plan.pk, escalation_level=plan.escalation_level).update(
                        escalation_level=rung
                    )
                    if moved:
                        _escalate(plan, rung, "plan overdue")
                        audit.record(
                            actor=None,
                            verb="corrective.escalated",
                            obj=plan,
                            contract_id=plan.contract_id,
                            changes={"escalation_level": [plan.escalation_level, rung], "what": [None, "plan"]},
                        )
                        fired += 1
        if plan.status != S.ACCEPTED:
            continue
        for action in plan.actions.filter(done_at__isnull=True, due_date__lt=today):
            rung = _rung((today - action.due_date).days, rules.escalate_after)
            if rung <= action.escalation_level:
                continue
            with transaction.atomic():
                moved = CorrectiveAction.objects.filter(pk=action.pk, escalation_level=action.escalation_level).update(
                    escalation_level=rung
                )
                if moved:
                    _escalate(plan, rung, f"action overdue since {action.due_date:%Y-%m-%d}: {action.description}")
                    audit.record(
                        actor=None,
                        verb="corrective.escalated",
                        obj=plan,
                        contract_id=plan.contract_id,
                        changes={
                            "escalation_level": [action.escalation_level, rung],
                            "action": [None, action.description],
                        },
                    )
                    fired += 1
    return fired


# -- what reports and packets print ----------------------------------------------------------------


def summary(plans: Sequence[CorrectivePlan], *, today: date) -> list[dict[str, Any]]:
    """Plans as plain data for a frozen report or packet (actions prefetched)."""
    out = []
    for plan in plans:
        actions = list(plan.actions.all())
        out.append(
            {
                "reference": plan.reference,
                "subject": plan.subject,
                "incident": plan.incident.reference if plan.incident_id and plan.incident else None,
                "responsible": plan.responsible_side,
                "status": plan.get_status_display(),
                "root_cause": plan.root_cause,
                "actions": [
                    {
                        "description": a.description,
                        "owner": a.owner,
                        "due": a.due_date.isoformat(),
                        "done": a.done_at.isoformat() if a.done_at else None,
                        "overdue": a.is_overdue(today),
                    }
                    for a in actions
                ],
                "open_actions": sum(1 for a in actions if a.done_at is None),
                "overdue_actions": sum(1 for a in actions if a.is_overdue(today)),
            }
        )
    return out


def plans_touching(contract: Contract, start: datetime, end: datetime) -> list[CorrectivePlan]:
    """Plans requested before ``end`` and not completed before ``start``: what a period's report
    or a year's packet accounts for."""
    return list(
        CorrectivePlan.objects.filter(contract=contract, requested_at__lt=end)
        .exclude(completed_at__lt=start)
        .select_related("incident")
        .prefetch_related("actions")
        .order_by("requested_at", "pk")
    )
