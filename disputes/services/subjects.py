"""What a dispute is about: its subject on the contract, found through the visibility rule, with
its period, the current report and the end of the window for disputing it; and the closed matters
that may no longer be disputed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from availability.models import Outage
from contracts.models import Contract
from contracts.terms import Terms
from core.actor import Actor
from core.datetimes import when
from core.errors import Conflict, InvalidInput
from core.money import money
from disputes.models import Dispute
from disputes.services.common import S, claim_window_days, period_for, reference, terms_at
from incidents.models import Incident
from reports.models import Credit, ServiceReport
from reports.services.reports import current_report


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


Rows = Callable[[Any], Any]  # model -> its rows on the contract that the actor may see (locked if asked)


def _credit(rows: Rows, contract: Contract, subject_id: Any) -> Subject:
    credit = rows(Credit).filter(pk=_pk(subject_id)).first()
    if credit is None:
        raise _missing("credit", contract)
    report = ServiceReport.objects.get(pk=credit.report_id)
    return Subject(
        type=Dispute.Subject.CREDIT,
        id=str(credit.pk),
        label=f"{credit.description} · {money(credit.amount, credit.currency)} ({report.period})",
        obj=credit,
        state=credit.status,
        period=report.period,
        report=report,
        window_end=credit.claim_deadline,
    )


def _report_line(rows: Rows, contract: Contract, subject_id: Any) -> Subject:
    head, _, line = str(subject_id or "").partition(":")
    line = line.strip()[:50]
    report = rows(ServiceReport).filter(pk=_pk(head)).first()
    if report is None:
        raise _missing("report", contract)
    days = claim_window_days(terms_at(contract, report.period_start))
    return Subject(
        type=Dispute.Subject.REPORT_LINE,
        id=f"{report.pk}:{line}" if line else str(report.pk),
        label=f"{report.period} report, revision {report.revision}" + (f" · {line}" if line else ""),
        obj=report,
        state="superseded" if hasattr(report, "superseded_by") else "current",
        period=report.period,
        report=report,
        window_end=report.period_end + timedelta(days=days),
        window_days=days,
    )


def _in_period(contract: Contract, terms: Terms, at: datetime, **subject: Any) -> Subject:
    """A fact that happened at ``at``: disputed until the claim window after its period ends."""
    period = period_for(terms, at)
    days = claim_window_days(terms)
    return Subject(
        **subject,
        period=period.label,
        report=current_report(contract, period.label),
        window_end=period.end + timedelta(days=days),
        window_days=days,
    )


def _incident(rows: Rows, contract: Contract, subject_id: Any) -> Subject:
    incident = rows(Incident).select_related("sla_version").filter(pk=_pk(subject_id, prefix="INC-")).first()
    if incident is None:
        raise _missing("incident", contract)
    return _in_period(
        contract,
        Terms(incident.sla_version.terms),
        incident.opened_at,
        type=Dispute.Subject.INCIDENT,
        id=str(incident.pk),
        label=f"{incident.reference} {incident.title}",
        obj=incident,
        state=incident.status,
    )


def _outage(rows: Rows, contract: Contract, subject_id: Any) -> Subject:
    outage = rows(Outage).filter(pk=_pk(subject_id)).first()
    if outage is None:
        raise _missing("outage", contract)
    return _in_period(
        contract,
        terms_at(contract, outage.start),
        outage.start,
        type=Dispute.Subject.OUTAGE,
        id=str(outage.pk),
        label=f"Outage of {outage.component} from {when(outage.start)}",
        obj=outage,
        state=outage.exclusion or "counted",
    )


FINDERS: dict[str, Callable[[Rows, Contract, Any], Subject]] = {
    Dispute.Subject.CREDIT: _credit,
    Dispute.Subject.REPORT_LINE: _report_line,
    Dispute.Subject.INCIDENT: _incident,
    Dispute.Subject.OUTAGE: _outage,
}


def find_subject(
    actor: Actor, contract: Contract, subject_type: str, subject_id: Any, *, lock: bool = False
) -> Subject:
    """The disputed object on ``contract``, visible to ``actor`` (read through the visibility
    rule, locked when ``lock``); its period, current report and the end of its dispute window."""
    finder = FINDERS.get(subject_type)
    if finder is None:
        raise InvalidInput(
            "Unknown kind of subject.",
            errors={"subject_type": [f"Must be one of: {', '.join(Dispute.Subject.values)}."]},
        )

    def rows(model: Any) -> Any:
        qs = model.objects.visible_to(actor).filter(contract=contract)
        return qs.select_for_update(of=("self",)) if lock else qs

    return finder(rows, contract, subject_id)


def refuse_closed_matter(subject: Subject, side: str, contract: Contract) -> None:
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


def refuse_outside_window(subject: Subject, at: datetime) -> None:
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
