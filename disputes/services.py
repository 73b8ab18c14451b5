"""Disputes: a contested fact walking the contract's dispute ladder.

Either party's managers (the buyer's contract managers, the vendor's account
managers) dispute a report line, an incident's breach or exclusion decision, an
outage, or a credit, within the claim window after the end of the period the
subject falls in (``claim_window_days`` in the terms). The dispute starts at
the first stage of the ladder in the terms (``disputes``: ``{stage, days}``),
with a deadline ``days`` later; escalation moves it up the ladder; the last
stage may have no deadline. Each step is recorded (``DisputeStep``) and
audited.

A resolution may change the facts (accept an exclusion, correct an outage's
times) or the ledger (adjust a credit). Nobody records a change in their own
favour: a change is recorded by the side it goes against (or staff), and a
resolution that changes nothing by the side that raised the dispute. When the
facts of a closed period change, the period's report is reissued as a new
revision through ``reports.services.reports.reissue_report``.

Every use case is keyword-only, runs in one transaction, locks what it
changes and writes an audit entry per change. Errors: ``InvalidInput`` (400,
field errors), ``NotPermitted`` (403, who may), ``Conflict`` (409, the state
and what is allowed now).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import reduce
from operator import or_
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.access import Standing
from accounts.models import Membership, User
from accounts.services import notify
from audit import services as audit
from availability.models import Outage
from contracts.access import contract_standing
from contracts.models import Contract, SLAVersion
from contracts.terms import Terms
from core.errors import Conflict, InvalidInput, NotPermitted
from disputes.models import Dispute, DisputeStep
from incidents.models import ExclusionClaim, Incident, IncidentEvent
from reports.credits import minor_units
from reports.models import Credit, ServiceReport
from reports.periods import Period, period_of

Role = Membership.Role
S = Dispute.Status
REMIND_WITHIN = timedelta(days=2)
SIDES = ("buyer", "vendor")
OUTCOME_FIELDS = ("accept_exclusion", "incident", "outage", "outage_start", "outage_end", "credit", "credit_amount")


def now() -> datetime:
    return timezone.now()


def when(value: datetime | None) -> str:
    return "—" if value is None else f"{value.astimezone(UTC):%d %b %Y %H:%M} UTC"


def money(amount: Decimal, currency: str) -> str:
    """ "EUR 1,250.00": the currency's minor unit."""
    return f"{currency} {amount:,.{minor_units(currency)}f}"


def reference(dispute: Dispute) -> str:
    return f"D-{dispute.pk}"


def dispute_url(dispute: Dispute) -> str:
    return f"/ledger/disputes/{dispute.pk}/"


# -- who ------------------------------------------------------------------------------------


def is_buyer_manager(s: Standing) -> bool:
    return s.is_buyer and s.has_role(Role.CONTRACT_MANAGER)


def is_vendor_manager(s: Standing) -> bool:
    return s.is_vendor and s.has_role(Role.ACCOUNT_MANAGER)


def is_manager(s: Standing) -> bool:
    return is_buyer_manager(s) or is_vendor_manager(s)


def manager_side(s: Standing) -> str | None:
    """ "buyer" or "vendor" for a party's manager, else None."""
    return "buyer" if is_buyer_manager(s) else "vendor" if is_vendor_manager(s) else None


def may_comment(s: Standing) -> bool:
    return (
        s.is_staff
        or s.on_board
        or (s.is_buyer and s.has_role(Role.CONTRACT_MANAGER, Role.OPERATIONS))
        or (s.is_vendor and s.has_role(Role.ACCOUNT_MANAGER, Role.SUPPORT_ENGINEER))
    )


def managers_of(side: str, contract: Contract) -> str:
    """ "Northwind Bank's contract managers" """
    if side == "buyer":
        return f"{contract.buyer.name}'s contract managers"
    return f"{contract.vendor.name}'s account managers"


def managers(contract: Contract, *, side: str | None = None, exclude: Any = None) -> list[User]:
    """Active people who manage the contract for one side or both."""
    conds = []
    if side in (None, "buyer"):
        conds.append(Q(memberships__organization_id=contract.buyer_id, memberships__role=Role.CONTRACT_MANAGER))
    if side in (None, "vendor"):
        conds.append(Q(memberships__organization_id=contract.vendor_id, memberships__role=Role.ACCOUNT_MANAGER))
    users = User.objects.filter(reduce(or_, conds), memberships__is_active=True, is_active=True).distinct()
    if exclude is not None and getattr(exclude, "pk", None):
        users = users.exclude(pk=exclude.pk)
    return list(users)


# -- terms, periods, windows ------------------------------------------------------------------


def terms_at(contract: Contract, at: datetime) -> Terms:
    """The terms in force at ``at`` (or, before the first version, the latest frozen one)."""
    versions = SLAVersion.objects.filter(contract=contract)
    version = versions.governing(at).first() or versions.frozen().order_by("-effective_from").first()
    if version is None:
        raise Conflict(
            f"Contract {contract.reference} has no SLA in force, so it has no dispute ladder or claim window yet.",
            state=contract.status,
            allowed=[],
        )
    return Terms(version.terms)


def ladder_of(terms: Terms) -> list[tuple[str, int | None]]:
    return [(row["stage"], row["days"]) for row in terms.data["disputes"]]


def ladder_for(dispute: Dispute) -> list[tuple[str, int | None]]:
    """The ladder the dispute walks: the terms in force when it was raised."""
    return ladder_of(terms_at(dispute.contract, dispute.raised_at))


def period_for(terms: Terms, at: datetime) -> Period:
    uptime = terms.data["uptime"]
    return period_of(at, kind=uptime["period"], zone=uptime["timezone"])


def claim_window_days(terms: Terms) -> int:
    return int(terms.data["claim_window_days"])


def current_report(contract: Contract, period: str) -> ServiceReport | None:
    return ServiceReport.objects.filter(contract=contract, period=period).current().order_by("-revision").first()


# -- subjects ---------------------------------------------------------------------------------


@dataclass
class Subject:
    """What a dispute is about, resolved through the visibility rule."""

    type: str
    id: str
    label: str
    obj: Any
    state: str
    period: str | None
    report: ServiceReport | None
    window_end: datetime | None
    window_days: int | None = None


def _pk(raw: Any, *, prefix: str = "") -> int:
    text = str(raw if raw is not None else "").strip().upper()
    if prefix and text.startswith(prefix):
        text = text[len(prefix) :]
    if not text.isdigit():
        hint = f"a number such as 12{f' or {prefix}12' if prefix else ''}"
        raise InvalidInput("Name what is disputed.", errors={"subject_id": [f"Must be {hint}."]})
    return int(text)


def _missing(kind: str, contract: Contract) -> InvalidInput:
    return InvalidInput(
        f"No such {kind} on {contract.reference}.",
        errors={"subject_id": [f"No {kind} with this id on {contract.reference} that you may see."]},
    )


def find_subject(actor: Any, contract: Contract, subject_type: str, subject_id: Any, *, lock: bool = False) -> Subject:
    """The disputed object on ``contract``, visible to ``actor``; its period,
    current report and the end of its dispute window."""
    if subject_type not in Dispute.Subject.values:
        raise InvalidInput(
            "Unknown kind of subject.",
            errors={"subject_type": [f"Must be one of: {', '.join(Dispute.Subject.values)}."]},
        )

    def rows(model: Any) -> Any:
        qs = model.objects.visible_to(actor).filter(contract=contract)
        return qs.select_for_update(of=("self",)) if lock else qs

    if subject_type == Dispute.Subject.CREDIT:
        credit = rows(Credit).filter(pk=_pk(subject_id)).first()
        if credit is None:
            raise _missing("credit", contract)
        report = ServiceReport.objects.get(pk=credit.report_id)
        return Subject(
            type=subject_type,
            id=str(credit.pk),
            label=f"{credit.description} · {money(credit.amount, credit.currency)} ({report.period})",
            obj=credit,
            state=credit.status,
            period=report.period,
            report=report,
            window_end=credit.claim_deadline,
        )
    if subject_type == Dispute.Subject.REPORT_LINE:
        head, _, line = str(subject_id or "").partition(":")
        line = line.strip()[:50]
        report = rows(ServiceReport).filter(pk=_pk(head)).first()
        if report is None:
            raise _missing("report", contract)
        terms = terms_at(contract, report.period_start)
        days = claim_window_days(terms)
        return Subject(
            type=subject_type,
            id=f"{report.pk}:{line}" if line else str(report.pk),
            label=f"{report.period} report, revision {report.revision}" + (f" · {line}" if line else ""),
            obj=report,
            state="superseded" if hasattr(report, "superseded_by") else "current",
            period=report.period,
            report=report,
            window_end=report.period_end + timedelta(days=days),
            window_days=days,
        )
    if subject_type == Dispute.Subject.INCIDENT:
        incident = rows(Incident).select_related("sla_version").filter(pk=_pk(subject_id, prefix="INC-")).first()
        if incident is None:
            raise _missing("incident", contract)
        terms = Terms(incident.sla_version.terms)
        period = period_for(terms, incident.opened_at)
        days = claim_window_days(terms)
        return Subject(
            type=subject_type,
            id=str(incident.pk),
            label=f"{incident.reference} {incident.title}",
            obj=incident,
            state=incident.status,
            period=period.label,
            report=current_report(contract, period.label),
            window_end=period.end + timedelta(days=days),
            window_days=days,
        )
    outage = rows(Outage).filter(pk=_pk(subject_id)).first()
    if outage is None:
        raise _missing("outage", contract)
    terms = terms_at(contract, outage.start)
    period = period_for(terms, outage.start)
    days = claim_window_days(terms)
    return Subject(
        type=subject_type,
        id=str(outage.pk),
        label=f"Outage of {outage.component} from {when(outage.start)}",
        obj=outage,
        state=outage.exclusion or "counted",
        period=period.label,
        report=current_report(contract, period.label),
        window_end=period.end + timedelta(days=days),
        window_days=days,
    )


def _refuse_closed_matter(subject: Subject, side: str, contract: Contract) -> None:
    """A dispute on a closed matter is refused, naming why it is closed."""
    prior = (
        Dispute.objects.filter(contract=contract, subject_type=subject.type, subject_id=subject.id)
        .exclude(status=S.WITHDRAWN)
        .order_by("-raised_at", "-pk")
        .first()
    )
    if prior is not None and prior.status == S.OPEN:
        raise Conflict(
            f"{subject.label} is already under dispute: {reference(prior)} ({prior.stage_name}). "
            "Add to that dispute instead of opening another.",
            state="disputed",
            allowed=["comment"],
        )
    if prior is not None:
        raise Conflict(
            f"Closed matter: {subject.label} was settled by {reference(prior)} on {when(prior.resolved_at)}. "
            "A settled dispute is not reopened.",
            state="resolved",
            allowed=[],
        )
    if subject.type == Dispute.Subject.CREDIT:
        credit: Credit = subject.obj
        if credit.status == Credit.Status.APPLIED:
            raise Conflict(
                f"Closed matter: the credit was applied on invoice {credit.invoice_reference} on "
                f"{when(credit.applied_at)}; it can no longer be disputed.",
                state=credit.status,
                allowed=[],
            )
        if credit.status == Credit.Status.VOID:
            raise Conflict(
                "Closed matter: the credit was voided when its report was reissued; dispute the current one.",
                state=credit.status,
                allowed=[],
            )
        if credit.status == Credit.Status.APPROVED:
            raise Conflict(
                "Closed matter: both parties agreed the credit (claimed by the buyer, approved by the vendor on "
                f"{when(credit.approved_at)}); it awaits application and can no longer be disputed.",
                state=credit.status,
                allowed=["apply"],
            )
        if credit.status == Credit.Status.DISPUTED:
            raise Conflict("The credit is already under dispute.", state=credit.status, allowed=["comment"])
        if credit.status == Credit.Status.CALCULATED and side == "vendor":
            raise Conflict(
                "The buyer has not claimed this credit, so nothing is owed yet: dispute it once it is claimed.",
                state=credit.status,
                allowed=[],
            )
    if subject.type == Dispute.Subject.REPORT_LINE and subject.state == "superseded":
        report: ServiceReport = subject.obj
        newer = report.superseded_by
        raise Conflict(
            f"Closed matter: revision {report.revision} of the {report.period} report was superseded by revision "
            f"{newer.revision}; dispute the current revision.",
            state="superseded",
            allowed=[],
        )


def _refuse_outside_window(subject: Subject, at: datetime) -> None:
    if subject.window_end is None or at <= subject.window_end:
        return
    after = f" ({subject.window_days} days after the {subject.period} period ended)" if subject.window_days else ""
    what = "claim window for this credit" if subject.type == Dispute.Subject.CREDIT else "window for disputing"
    target = "" if subject.type == Dispute.Subject.CREDIT else f" {subject.label}"
    raise Conflict(
        f"Too late: the {what}{target} closed on {when(subject.window_end)}{after}.",
        state=subject.state,
        allowed=[],
    )


# -- steps, locks, state ------------------------------------------------------------------------


def _label(actor: Any) -> str:
    return actor.get_username() if getattr(actor, "is_authenticated", False) else str(actor or "system")


def _step(dispute: Dispute, *, actor: Any, at: datetime, action: str, note: str = "") -> DisputeStep:
    return DisputeStep.objects.create(
        dispute=dispute,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor)[:200],
        stage_name=dispute.stage_name,
        action=action,
        note=note,
    )


def _lock(dispute: Dispute) -> Dispute:
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__buyer", "contract__vendor")
        .get(pk=dispute.pk)
    )


def allowed_actions(dispute: Dispute, s: Standing, *, stages: int | None = None) -> list[str]:
    """What this person may do to the dispute now (drives buttons and 409s).
    ``stages``: the length of its ladder, when known (escalation needs a next stage)."""
    if dispute.status != S.OPEN:
        return []
    manages = s.is_staff or is_manager(s)
    can = {
        "escalate": manages and (stages is None or dispute.stage_index + 1 < stages),
        "comment": may_comment(s),
        "resolve": manages,
        "withdraw": manager_side(s) == dispute.raised_by_side,
    }
    return [name for name, ok in can.items() if ok]


def _require_open(dispute: Dispute, action: str, s: Standing) -> None:
    if dispute.status != S.OPEN:
        raise Conflict(
            f"Cannot {action} {reference(dispute)}: it was {dispute.get_status_display().lower()} on "
            f"{when(dispute.resolved_at)}.",
            state=dispute.status,
            allowed=[],
        )


def _audit(actor: Any, dispute: Dispute, verb: str, changes: Mapping[str, Any]) -> None:
    audit.record(actor=actor, verb=verb, obj=dispute, contract_id=dispute.contract_id, changes=changes)


def _tell(dispute: Dispute, *, actor: Any, title: str, body: str = "", verb: str) -> None:
    notify(
        users=managers(dispute.contract, exclude=actor),
        verb=verb,
        title=title[:200],
        body=body,
        url=dispute_url(dispute),
    )


def _release_credit(actor: Any, dispute: Dispute) -> None:
    """A disputed credit whose dispute ends without changing it goes back to
    claimed (a credit under dispute has always been claimed: a buyer's dispute
    counts as the claim, and the vendor may only dispute a claimed credit)."""
    if dispute.subject_type != Dispute.Subject.CREDIT:
        return
    credit = Credit.objects.select_for_update().filter(pk=int(dispute.subject_id)).first()
    if credit is None or credit.status != Credit.Status.DISPUTED:
        return
    credit.status = Credit.Status.CLAIMED
    credit.save(update_fields=["status"])
    audit.record(
        actor=actor,
        verb="credit.dispute_closed",
        obj=credit,
        contract_id=credit.contract_id,
        changes={"status": [Credit.Status.DISPUTED, Credit.Status.CLAIMED], "dispute": [reference(dispute), None]},
    )


def _text(value: str, field_name: str, message: str, *, max_length: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, errors={field_name: ["This field is required."]})
    if max_length and len(value) > max_length:
        raise InvalidInput(
            f"{field_name.capitalize()} is too long.", errors={field_name: [f"At most {max_length} characters."]}
        )
    return value


# -- open -----------------------------------------------------------------------------------------


def dispute_open(
    *, actor: Any, contract: Contract, subject_type: str, subject_id: Any, title: str, statement: str
) -> Dispute:
    """Either party's managers raise a dispute on something of ``contract``,
    within its window, unless it is a closed matter. It starts at the first
    stage of the ladder with that stage's deadline."""
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = ["This field is required."]
    elif len(title.strip()) > 200:
        errors["title"] = ["At most 200 characters."]
    if not (statement or "").strip():
        errors["statement"] = ["Say what is contested and why."]
    if errors:
        raise InvalidInput("The dispute needs a title and a statement.", errors=errors)
    with transaction.atomic():
        contract = Contract.objects.select_related("buyer", "vendor").get(pk=contract.pk)
        s = contract_standing(actor, contract)
        side = manager_side(s)
        if side is None:
            raise NotPermitted(
                f"Disputes are raised by a party: only {managers_of('buyer', contract)} or "
                f"{managers_of('vendor', contract)} may open one."
            )
        subject = find_subject(actor, contract, subject_type, subject_id, lock=True)
        _refuse_closed_matter(subject, side, contract)
        at = now()
        _refuse_outside_window(subject, at)
        stage, days = ladder_of(terms_at(contract, at))[0]
        dispute = Dispute.objects.create(
            contract=contract,
            report=subject.report,
            subject_type=subject.type,
            subject_id=subject.id,
            subject_label=subject.label[:300],
            title=title.strip(),
            statement=statement.strip(),
            raised_by=actor,
            raised_by_side=side,
            raised_at=at,
            stage_index=0,
            stage_name=stage,
            stage_deadline=at + timedelta(days=days) if days else None,
        )
        _step(dispute, actor=actor, at=at, action="opened", note=dispute.statement)
        _audit(
            actor,
            dispute,
            "dispute.opened",
            audit.created(
                dispute, ["subject_type", "subject_id", "title", "raised_by_side", "stage_name", "stage_deadline"]
            ),
        )
        if subject.type == Dispute.Subject.CREDIT:
            credit: Credit = subject.obj
            before = audit.snapshot(credit, ["status", "claimed_at", "claimed_by"])
            if credit.status == Credit.Status.CALCULATED:  # the buyer's dispute is its claim
                credit.claimed_at, credit.claimed_by = at, actor
            credit.status = Credit.Status.DISPUTED
            credit.save(update_fields=["status", "claimed_at", "claimed_by"])
            changes = audit.diff(before, audit.snapshot(credit, ["status", "claimed_at", "claimed_by"]))
            audit.record(
                actor=actor,
                verb="credit.disputed",
                obj=credit,
                contract_id=contract.pk,
                changes={**changes, "dispute": [None, reference(dispute)]},
            )
        org = contract.buyer.name if side == "buyer" else contract.vendor.name
        _tell(
            dispute,
            actor=actor,
            verb="dispute.opened",
            title=f"{reference(dispute)} raised by {org} on {contract.reference}: {dispute.title}",
            body=f"Subject: {subject.label}\nStage: {stage}"
            + (f", deadline {when(dispute.stage_deadline)}" if dispute.stage_deadline else ""),
        )
    return dispute


# -- escalate, comment, withdraw ------------------------------------------------------------------


def dispute_escalate(*, actor: Any, dispute: Dispute, note: str) -> Dispute:
    """To the next stage of the ladder, with that stage's deadline (the last
    stage may have none)."""
    note = _text(note, "note", "Say why the dispute goes to the next stage.")
    with transaction.atomic():
        dispute = _lock(dispute)
        s = contract_standing(actor, dispute.contract)
        if not (s.is_staff or is_manager(s)):
            raise NotPermitted(
                f"Only {managers_of('buyer', dispute.contract)}, {managers_of('vendor', dispute.contract)} "
                "or staff may escalate a dispute."
            )
        ladder = ladder_for(dispute)
        _require_open(dispute, "escalate", s)
        if dispute.stage_index + 1 >= len(ladder):
            raise Conflict(
                f"{reference(dispute)} is already at the last stage of the ladder ({dispute.stage_name}); "
                "it can only be resolved or withdrawn.",
                state=dispute.status,
                allowed=allowed_actions(dispute, s, stages=len(ladder)),
            )
        at = now()
        before = audit.snapshot(dispute, ["stage_index", "stage_name", "stage_deadline"])
        stage, days = ladder[dispute.stage_index + 1]
        dispute.stage_index += 1
        dispute.stage_name = stage
        dispute.stage_deadline = at + timedelta(days=days) if days else None
        dispute.save(update_fields=["stage_index", "stage_name", "stage_deadline"])
        _step(dispute, actor=actor, at=at, action="escalated", note=note)
        _audit(
            actor,
            dispute,
            "dispute.escalated",
            audit.diff(before, audit.snapshot(dispute, ["stage_index", "stage_name", "stage_deadline"])),
        )
        deadline = f", deadline {when(dispute.stage_deadline)}" if dispute.stage_deadline else " (no deadline)"
        _tell(
            dispute,
            actor=actor,
            verb="dispute.escalated",
            title=f"{reference(dispute)} escalated to {stage} on {dispute.contract.reference}",
            body=f"{dispute.title}\nNow at {stage}{deadline}.\n{note}",
        )
    return dispute


def dispute_comment(*, actor: Any, dispute: Dispute, note: str) -> DisputeStep:
    note = _text(note, "note", "Write the comment.")
    with transaction.atomic():
        dispute = _lock(dispute)
        s = contract_standing(actor, dispute.contract)
        if not may_comment(s):
            raise NotPermitted(
                "Only the parties' managers, operations and support staff, the board or staff may comment."
            )
        _require_open(dispute, "comment on", s)
        step = _step(dispute, actor=actor, at=now(), action="commented", note=note)
        _audit(actor, dispute, "dispute.commented", {"step": [None, step.pk]})
    return step


def dispute_withdraw(*, actor: Any, dispute: Dispute, note: str = "") -> Dispute:
    """The side that raised the dispute drops it; a disputed credit goes back to claimed."""
    with transaction.atomic():
        dispute = _lock(dispute)
        s = contract_standing(actor, dispute.contract)
        if manager_side(s) != dispute.raised_by_side:
            raise NotPermitted(
                f"Only {managers_of(dispute.raised_by_side, dispute.contract)}, whose side raised "
                f"{reference(dispute)}, may withdraw it."
            )
        _require_open(dispute, "withdraw", s)
        at = now()
        dispute.status, dispute.resolved_at = S.WITHDRAWN, at
        dispute.save(update_fields=["status", "resolved_at"])
        _step(dispute, actor=actor, at=at, action="withdrawn", note=(note or "").strip())
        _audit(actor, dispute, "dispute.withdrawn", {"status": [S.OPEN, S.WITHDRAWN]})
        _release_credit(actor, dispute)
        _tell(
            dispute,
            actor=actor,
            verb="dispute.withdrawn",
            title=f"{reference(dispute)} withdrawn on {dispute.contract.reference}: {dispute.title}",
            body=(note or "").strip(),
        )
    return dispute


# -- resolve --------------------------------------------------------------------------------------


@dataclass
class Change:
    """One change a resolution makes: whose side it goes against, whether it
    changes the facts of a report (and which periods), and how to make it."""

    what: str  # "accepts an exclusion", for the authority message
    against: str | None  # "buyer", "vendor", or None (neutral)
    fact: bool
    periods: tuple[str, ...]
    apply: Callable[[], str] = field(repr=False)
    text: str = ""


def _aware(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        raise InvalidInput(
            "Not a date and time.", errors={f"outcome.{name}": ["Use ISO 8601, e.g. 2026-10-03T10:20Z."]}
        )
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _id(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip().upper().removeprefix("INC-"))
    except ValueError:
        raise InvalidInput("Not an id.", errors={f"outcome.{name}": ["Must be a number."]}) from None


def parse_outcome(outcome: Mapping[str, Any] | None) -> dict[str, Any]:
    outcome = dict(outcome or {})
    unknown = sorted(set(outcome) - set(OUTCOME_FIELDS))
    if unknown:
        raise InvalidInput(
            "Unknown outcome field.",
            errors={f"outcome.{k}": [f"Not an outcome field (use {', '.join(OUTCOME_FIELDS)})."] for k in unknown},
        )
    amount = outcome.get("credit_amount")
    if amount not in (None, ""):
        try:
            amount = Decimal(str(amount).strip())
        except InvalidOperation:
            raise InvalidInput("Not an amount.", errors={"outcome.credit_amount": ["Must be a number."]}) from None
        if amount < 0 or not amount.is_finite():
            raise InvalidInput("Not an amount.", errors={"outcome.credit_amount": ["Must be zero or more."]})
    else:
        amount = None
    return {
        "accept_exclusion": bool(outcome.get("accept_exclusion")),
        "incident": _id(outcome.get("incident"), "incident"),
        "outage": _id(outcome.get("outage"), "outage"),
        "outage_start": _aware(outcome.get("outage_start"), "outage_start"),
        "outage_end": _aware(outcome.get("outage_end"), "outage_end"),
        "credit": _id(outcome.get("credit"), "credit"),
        "credit_amount": amount,
    }


def _target(model: Any, pk: int | None, dispute: Dispute, subject_type: str, name: str) -> Any:
    """The outcome's object: the one named, or the dispute's own subject."""
    if pk is None and dispute.subject_type == subject_type:
        pk = int(dispute.subject_id)
    if pk is None:
        return None
    obj = model.objects.select_for_update(of=("self",)).filter(contract=dispute.contract, pk=pk).first()
    if obj is None:
        raise InvalidInput(
            f"No such {name} on {dispute.contract.reference}.",
            errors={f"outcome.{name}": [f"No {name} with this id on {dispute.contract.reference}."]},
        )
    return obj


def _incident_period(incident: Incident) -> str:
    return period_for(Terms(incident.sla_version.terms), incident.opened_at).label


def _outage_period(contract: Contract, at: datetime) -> str:
    return period_for(terms_at(contract, at), at).label


def _plan(actor: Any, dispute: Dispute, o: dict[str, Any], resolution: str, at: datetime) -> list[Change]:
    from incidents.services.base import audit_incident, event
    from incidents.services.base import lock as lock_incident
    from incidents.services.claims import decide_claim

    ref = reference(dispute)
    contract = dispute.contract
    changes: list[Change] = []
    incident = _target(Incident, o["incident"], dispute, Dispute.Subject.INCIDENT, "incident")
    outage = _target(Outage, o["outage"], dispute, Dispute.Subject.OUTAGE, "outage")
    credit = _target(Credit, o["credit"], dispute, Dispute.Subject.CREDIT, "credit")
    times = o["outage_start"] is not None or o["outage_end"] is not None

    if o["accept_exclusion"]:
        if incident is None and outage is None:
            raise InvalidInput(
                "Name the incident or outage whose exclusion is accepted.",
                errors={"outcome.incident": ["Give the incident (or an outage) whose exclusion is accepted."]},
            )
        if incident is not None:
            if incident.excluded:
                raise InvalidInput(
                    f"{incident.reference} is already excluded.",
                    errors={"outcome.accept_exclusion": [f"{incident.reference} is already excluded."]},
                )

            def exclude_incident(incident: Incident = incident) -> str:
                reason = f"Accepted on resolving dispute {ref}: {resolution}"
                claims = list(incident.claims.order_by("-claimed_at"))
                pending = next((c for c in claims if c.status == ExclusionClaim.Status.PENDING), None)
                kind = (pending or (claims[0] if claims else None)).get_kind_display() if claims else ""
                if pending is not None:
                    decide_claim(actor=actor, claim=pending, accept=True, reason=reason)
                else:
                    locked = lock_incident(incident)
                    locked.excluded = True
                    locked.save(update_fields=["excluded", "updated_at"])
                    if claims:  # the claim the buyer rejected, now accepted: a new row, the old one stays as decided
                        ExclusionClaim.objects.create(
                            incident=locked,
                            kind=claims[0].kind,
                            reason=claims[0].reason,
                            status=ExclusionClaim.Status.ACCEPTED,
                            claimed_by=claims[0].claimed_by,
                            claimed_at=at,
                            decided_by=actor,
                            decided_at=at,
                            decision_reason=reason,
                        )
                    event(
                        locked,
                        kind=IncidentEvent.Kind.CLAIM_ACCEPTED,
                        actor=actor,
                        at=at,
                        message=f"Exclusion accepted on resolving dispute {ref}: removed from breach counts and "
                        f"credits. {resolution}",
                        data={"dispute": dispute.pk},
                    )
                    audit_incident(
                        actor,
                        locked,
                        "incident.exclusion_accepted",
                        {"excluded": [False, True], "dispute": [None, ref]},
                    )
                kind_text = f" ({kind.lower()})" if kind else ""
                return f"{incident.reference} excluded{kind_text}: no longer counted against the SLA ({ref})."

            changes.append(
                Change("accepts an exclusion", "buyer", True, (_incident_period(incident),), exclude_incident)
            )
        if outage is not None:
            if outage.exclusion == Outage.Exclusion.ACCEPTED:
                raise InvalidInput(
                    "The outage is already excluded.",
                    errors={"outcome.accept_exclusion": ["The outage's exclusion is already accepted."]},
                )

            def exclude_outage(outage: Outage = outage) -> str:
                if outage.exclusion == Outage.Exclusion.CLAIMED:  # a pending claim: the outages service decides it
                    from availability.services.outages import decide_outage_exclusion

                    decide_outage_exclusion(
                        actor=actor,
                        outage=outage,
                        accept=True,
                        reason=f"Accepted on resolving dispute {ref}: {resolution}",
                    )
                    return (
                        f"Outage of {outage.component} from {when(outage.start)} excluded: no longer counted ({ref})."
                    )
                fields = ["exclusion", "exclusion_reason"]
                before = audit.snapshot(outage, fields)
                outage.exclusion = Outage.Exclusion.ACCEPTED
                note = f"Accepted on resolving dispute {ref}: {resolution}"
                outage.exclusion_reason = f"{outage.exclusion_reason}\n{note}".strip()
                outage.save(update_fields=fields)
                audit.record(
                    actor=actor,
                    verb="outage.exclusion_accepted",
                    obj=outage,
                    contract_id=contract.pk,
                    changes={**audit.diff(before, audit.snapshot(outage, fields)), "dispute": [None, ref]},
                )
                return f"Outage of {outage.component} from {when(outage.start)} excluded: no longer counted ({ref})."

            changes.append(
                Change("accepts an exclusion", "buyer", True, (_outage_period(contract, outage.start),), exclude_outage)
            )

    if times:
        if outage is None:
            raise InvalidInput(
                "Name the outage whose times are corrected.",
                errors={"outcome.outage": ["Give the outage whose times are corrected."]},
            )
        start = o["outage_start"] or outage.start
        end = o["outage_end"] or outage.end
        if start > at:
            raise InvalidInput(
                "An outage cannot start in the future.", errors={"outcome.outage_start": ["In the future."]}
            )
        if end is not None and end <= start:
            raise InvalidInput(
                "The outage must end after it starts.", errors={"outcome.outage_end": ["Before the start."]}
            )
        if start == outage.start and end == outage.end:
            raise InvalidInput(
                "The corrected times are the recorded ones.", errors={"outcome.outage_start": ["Nothing changes."]}
            )
        old = (outage.end or at) - outage.start
        new = (end or at) - start
        against = "buyer" if new < old else "vendor" if new > old else None
        what = "shortens an outage" if new < old else "lengthens an outage" if new > old else "moves an outage"
        periods = tuple(dict.fromkeys([_outage_period(contract, outage.start), _outage_period(contract, start)]))

        def correct(outage: Outage = outage, start: datetime = start, end: datetime | None = end) -> str:
            fields = ["start", "end", "reason"]
            before = audit.snapshot(outage, fields)
            was = f"{when(outage.start)} – {when(outage.end)}"
            outage.start, outage.end = start, end
            outage.reason = f"{outage.reason}\nCorrected on resolving dispute {ref}: {resolution}".strip()
            outage.save(update_fields=fields)
            audit.record(
                actor=actor,
                verb="outage.corrected",
                obj=outage,
                contract_id=contract.pk,
                changes={**audit.diff(before, audit.snapshot(outage, fields)), "dispute": [None, ref]},
            )
            return f"Outage of {outage.component} corrected from {was} to {when(start)} – {when(end)} ({ref})."

        changes.append(Change(what, against, True, periods, correct))

    if o["credit_amount"] is not None:
        if credit is None:
            raise InvalidInput(
                "Name the credit that is adjusted.", errors={"outcome.credit": ["Give the credit that is adjusted."]}
            )
        if credit.status in (Credit.Status.APPLIED, Credit.Status.VOID):
            raise Conflict(
                f"Closed matter: the credit is {credit.get_status_display().lower()} and can no longer be adjusted.",
                state=credit.status,
                allowed=[],
            )
        unit = Decimal(1).scaleb(-minor_units(credit.currency))
        amount = o["credit_amount"].quantize(unit, rounding=ROUND_HALF_UP)
        if amount == credit.amount:
            raise InvalidInput(
                "The adjusted amount is the current one.", errors={"outcome.credit_amount": ["Nothing changes."]}
            )
        lower = amount < credit.amount

        def adjust(credit: Credit = credit, amount: Decimal = amount, unit: Decimal = unit) -> str:
            fields = ["amount", "status", "claimed_at", "approved_at", "approved_by"]
            before = audit.snapshot(credit, fields)
            was = credit.amount.quantize(unit, rounding=ROUND_HALF_UP)
            credit.amount = amount
            credit.status = Credit.Status.APPROVED
            credit.claimed_at = credit.claimed_at or at
            credit.approved_at, credit.approved_by = at, actor
            credit.save(update_fields=fields)
            audit.record(
                actor=actor,
                verb="credit.adjusted",
                obj=credit,
                contract_id=contract.pk,
                changes={**audit.diff(before, audit.snapshot(credit, fields)), "dispute": [None, ref]},
            )
            return f"Credit “{credit.description}” adjusted from {money(was, credit.currency)} to {money(amount, credit.currency)} and approved ({ref})."

        changes.append(
            Change("lowers a credit" if lower else "raises a credit", "buyer" if lower else "vendor", False, (), adjust)
        )

    if not changes and (o["incident"] or o["outage"] or o["credit"]):
        raise InvalidInput(
            "The outcome names an object but changes nothing on it.",
            errors={"outcome": ["Say what changes: accept_exclusion, outage_start / outage_end or credit_amount."]},
        )
    return changes


def _authorize_resolution(s: Standing, dispute: Dispute, changes: list[Change]) -> None:
    """Nobody records a change in their own favour."""
    if s.is_staff:
        return
    contract = dispute.contract
    if not is_manager(s):
        raise NotPermitted(
            f"Only {managers_of('buyer', contract)}, {managers_of('vendor', contract)} or staff may resolve a dispute."
        )
    against = {c.against for c in changes} - {None}
    side = manager_side(s)
    if not changes:
        if side != dispute.raised_by_side:
            raise NotPermitted(
                f"A resolution that changes nothing settles {reference(dispute)} against the side that raised it: "
                f"only {managers_of(dispute.raised_by_side, contract)} may record that (or withdraw it). If you "
                "agree with the dispute, record the change it asks for in the outcome."
            )
        return
    if len(against) > 1:
        raise NotPermitted(
            "This resolution changes facts against both parties; a compromise like this is recorded by staff."
        )
    if against and side not in against:
        loser = against.pop()
        what = next(c.what for c in changes if c.against == loser)
        raise NotPermitted(
            f"This resolution {what}, which goes against the {loser}: only {managers_of(loser, contract)} "
            f"(or staff) may record it. Ask them to resolve {reference(dispute)}, or escalate it."
        )


def dispute_resolve(
    *, actor: Any, dispute: Dispute, resolution: str, outcome: Mapping[str, Any] | None = None
) -> Dispute:
    """Close the dispute with the agreed resolution. ``outcome`` may change the facts:

    - ``accept_exclusion: true`` (with ``incident`` / ``outage`` ids, or the
      dispute's own subject): the incident is excluded (a pending claim is
      accepted through the incidents service) or the outage's exclusion accepted;
    - ``outage_start`` / ``outage_end`` (ISO 8601, with ``outage``): corrected times;
    - ``credit_amount`` (with ``credit``): the credit's agreed amount (it is then approved).

    Changed facts in a period that already has a report reissue that report as
    a new revision superseding the old one, with a "what changed" list."""
    resolution = _text(resolution, "resolution", "Write the agreed resolution.")
    parsed = parse_outcome(outcome)
    with transaction.atomic():
        dispute = _lock(dispute)
        s = contract_standing(actor, dispute.contract)
        if not (s.is_staff or is_manager(s)):
            raise NotPermitted(
                f"Only {managers_of('buyer', dispute.contract)}, {managers_of('vendor', dispute.contract)} "
                "or staff may resolve a dispute."
            )
        _require_open(dispute, "resolve", s)
        at = now()
        changes = _plan(actor, dispute, parsed, resolution, at)
        _authorize_resolution(s, dispute, changes)
        for change in changes:
            change.text = change.apply()
        _release_credit(actor, dispute)  # unless the resolution adjusted (and so approved) it

        reissued: list[ServiceReport] = []
        periods = list(dict.fromkeys(p for c in changes if c.fact for p in c.periods))
        if periods:
            from reports.services.reports import reissue_report

            for period in periods:
                if current_report(dispute.contract, period) is None:
                    continue  # not closed yet: the close will read the corrected facts
                reissued.append(
                    reissue_report(
                        actor=actor,
                        contract=dispute.contract,
                        period=period,
                        reason=f"Dispute {reference(dispute)} resolved: {resolution}",
                        changes=[c.text for c in changes if c.fact and period in c.periods],
                    )
                )
        dispute.status, dispute.resolution, dispute.resolved_at = S.RESOLVED, resolution, at
        dispute.reissued_report = reissued[0] if reissued else None
        dispute.save(update_fields=["status", "resolution", "resolved_at", "reissued_report"])
        texts = [c.text for c in changes]
        _step(dispute, actor=actor, at=at, action="resolved", note="\n".join([resolution, *texts]))
        _audit(
            actor,
            dispute,
            "dispute.resolved",
            {
                "status": [S.OPEN, S.RESOLVED],
                "outcome": [None, texts],
                "reissued": [None, [f"{r.period} r{r.revision}" for r in reissued]] if reissued else [None, None],
            },
        )
        body = "\n".join(
            [resolution, *texts, *[f"Report {r.period} reissued as revision {r.revision}." for r in reissued]]
        )
        _tell(
            dispute,
            actor=actor,
            verb="dispute.resolved",
            title=f"{reference(dispute)} resolved on {dispute.contract.reference}: {dispute.title}",
            body=body,
        )
    return dispute


# -- reminders ------------------------------------------------------------------------------------


def remind_deadlines(*, at: datetime, within: timedelta = REMIND_WITHIN) -> int:
    """Notify both parties' managers once per stage when an open dispute's
    stage deadline is within ``within`` (or already passed unreminded). The
    optimistic UPDATE on ``reminded_for_stage`` is the claim: two runs, or two
    workers, never notify twice for the same stage."""
    due = (
        Dispute.objects.open()
        .filter(stage_deadline__isnull=False, stage_deadline__lte=at + within)
        .filter(reminded_for_stage__lt=F("stage_index"))
        .select_related("contract", "contract__buyer", "contract__vendor")
        .order_by("stage_deadline", "pk")
    )
    sent = 0
    for dispute in due:
        with transaction.atomic():
            claimed = Dispute.objects.filter(
                pk=dispute.pk,
                status=S.OPEN,
                stage_index=dispute.stage_index,
                reminded_for_stage__lt=dispute.stage_index,
            ).update(reminded_for_stage=dispute.stage_index)
            if not claimed:
                continue
            deadline = dispute.stage_deadline
            assert deadline is not None
            passed = deadline <= at
            lead = "passed" if passed else "is near"
            _step(
                dispute,
                actor="system",
                at=at,
                action="reminded",
                note=f"The {dispute.stage_name} deadline {lead}: {when(deadline)}.",
            )
            notify(
                users=managers(dispute.contract),
                verb="dispute.deadline",
                title=f"{reference(dispute)} {dispute.stage_name} deadline {lead}: {when(deadline)}"[:200],
                body=f"{dispute.title} ({dispute.contract.reference}).\nResolve it, or escalate it to the next stage "
                "of the ladder.",
                url=dispute_url(dispute),
            )
            sent += 1
    return sent
