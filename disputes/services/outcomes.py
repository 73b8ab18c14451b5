"""What a resolution changes: the outcome a resolver gives, parsed, checked and planned as a list
of changes, each made by the app that owns the row through its own service:

- an incident's exclusion: ``incidents.services.disputes.incident_exclusion_settle``;
- an outage's exclusion or times: ``availability.services.outages.outage_exclusion_settle`` and
  ``outage_correct_on_dispute``;
- a credit's agreed amount: ``reports.services.ledger.credit_adjust_on_dispute``.

Planning only reads; nothing changes until ``disputes.services.resolution`` has checked that the
resolver may record every change, and then applies them in its transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from availability.models import Outage
from availability.services.outages import outage_correct_on_dispute, outage_exclusion_settle
from contracts.models import Contract
from contracts.terms import Terms
from core.actor import Actor
from core.datetimes import when
from core.errors import Conflict, InvalidInput
from core.money import minor_units, money
from disputes.models import Dispute
from disputes.services.common import period_for, reference, terms_at
from incidents.models import Incident
from incidents.services.disputes import incident_exclusion_settle
from reports.models import Credit
from reports.services import ledger

OUTCOME_FIELDS = ("accept_exclusion", "incident", "outage", "outage_start", "outage_end", "credit", "credit_amount")


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


# -- parsing --------------------------------------------------------------------------------------


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


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput("Not an amount.", errors={"outcome.credit_amount": ["Must be a number."]}) from None
    if amount < 0 or not amount.is_finite():
        raise InvalidInput("Not an amount.", errors={"outcome.credit_amount": ["Must be zero or more."]})
    return amount


def parse_outcome(outcome: Mapping[str, Any] | None) -> dict[str, Any]:
    outcome = dict(outcome or {})
    unknown = sorted(set(outcome) - set(OUTCOME_FIELDS))
    if unknown:
        raise InvalidInput(
            "Unknown outcome field.",
            errors={f"outcome.{k}": [f"Not an outcome field (use {', '.join(OUTCOME_FIELDS)})."] for k in unknown},
        )
    return {
        "accept_exclusion": bool(outcome.get("accept_exclusion")),
        "incident": _id(outcome.get("incident"), "incident"),
        "outage": _id(outcome.get("outage"), "outage"),
        "outage_start": _aware(outcome.get("outage_start"), "outage_start"),
        "outage_end": _aware(outcome.get("outage_end"), "outage_end"),
        "credit": _id(outcome.get("credit"), "credit"),
        "credit_amount": _amount(outcome.get("credit_amount")),
    }


# -- planning -------------------------------------------------------------------------------------


def _target(model: Any, pk: int | None, dispute: Dispute, subject_type: str, name: str) -> Any:
    """The outcome's object: the one named, or the dispute's own subject. Read under a lock so
    the plan (who the change goes against) holds until the owning app's service changes it."""
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


def _exclusions(
    actor: Actor, dispute: Dispute, resolution: str, incident: Incident | None, outage: Outage | None
) -> list[Change]:
    if incident is None and outage is None:
        raise InvalidInput(
            "Name the incident or outage whose exclusion is accepted.",
            errors={"outcome.incident": ["Give the incident (or an outage) whose exclusion is accepted."]},
        )
    ref = reference(dispute)
    changes = []
    if incident is not None:
        if incident.excluded:
            raise InvalidInput(
                f"{incident.reference} is already excluded.",
                errors={"outcome.accept_exclusion": [f"{incident.reference} is already excluded."]},
            )

        def exclude_incident(incident: Incident = incident) -> str:
            claim = incident_exclusion_settle(
                actor=actor, incident=incident, reason=resolution, dispute_id=dispute.pk, dispute_ref=ref
            )
            kind = f" ({claim.get_kind_display().lower()})" if claim else ""
            return f"{incident.reference} excluded{kind}: no longer counted against the SLA ({ref})."

        changes.append(Change("accepts an exclusion", "buyer", True, (_incident_period(incident),), exclude_incident))
    if outage is not None:
        if outage.exclusion == Outage.Exclusion.ACCEPTED:
            raise InvalidInput(
                "The outage is already excluded.",
                errors={"outcome.accept_exclusion": ["The outage's exclusion is already accepted."]},
            )

        def exclude_outage(outage: Outage = outage) -> str:
            outage_exclusion_settle(actor=actor, outage=outage, reason=resolution, dispute_ref=ref)
            return f"Outage of {outage.component} from {when(outage.start)} excluded: no longer counted ({ref})."

        period = _outage_period(dispute.contract, outage.start)
        changes.append(Change("accepts an exclusion", "buyer", True, (period,), exclude_outage))
    return changes


def _times(
    actor: Actor, dispute: Dispute, resolution: str, outage: Outage | None, o: dict[str, Any], at: datetime
) -> Change:
    if outage is None:
        raise InvalidInput(
            "Name the outage whose times are corrected.",
            errors={"outcome.outage": ["Give the outage whose times are corrected."]},
        )
    start = o["outage_start"] or outage.start
    end = o["outage_end"] or outage.end
    if start > at:
        raise InvalidInput("An outage cannot start in the future.", errors={"outcome.outage_start": ["In the future."]})
    if end is not None and end <= start:
        raise InvalidInput("The outage must end after it starts.", errors={"outcome.outage_end": ["Before the start."]})
    if start == outage.start and end == outage.end:
        raise InvalidInput(
            "The corrected times are the recorded ones.", errors={"outcome.outage_start": ["Nothing changes."]}
        )
    old = (outage.end or at) - outage.start
    new = (end or at) - start
    against = "buyer" if new < old else "vendor" if new > old else None
    what = "shortens an outage" if new < old else "lengthens an outage" if new > old else "moves an outage"
    contract = dispute.contract
    periods = tuple(dict.fromkeys([_outage_period(contract, outage.start), _outage_period(contract, start)]))
    ref = reference(dispute)

    def correct() -> str:
        was = f"{when(outage.start)} – {when(outage.end)}"
        outage_correct_on_dispute(actor=actor, outage=outage, start=start, end=end, reason=resolution, dispute_ref=ref)
        return f"Outage of {outage.component} corrected from {was} to {when(start)} – {when(end)} ({ref})."

    return Change(what, against, True, periods, correct)


def _credit_amount(actor: Actor, dispute: Dispute, credit: Credit | None, amount: Decimal) -> Change:
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
    amount = amount.quantize(Decimal(1).scaleb(-minor_units(credit.currency)), rounding=ROUND_HALF_UP)
    if amount == credit.amount:
        raise InvalidInput(
            "The adjusted amount is the current one.", errors={"outcome.credit_amount": ["Nothing changes."]}
        )
    lower = amount < credit.amount
    ref = reference(dispute)

    def adjust() -> str:
        was = money(credit.amount, credit.currency)
        ledger.credit_adjust_on_dispute(actor=actor, credit=credit, amount=amount, dispute_ref=ref)
        now_owed = money(amount, credit.currency)
        return f"Credit “{credit.description}” adjusted from {was} to {now_owed} and approved ({ref})."

    return Change("lowers a credit" if lower else "raises a credit", "buyer" if lower else "vendor", False, (), adjust)


def plan(actor: Actor, dispute: Dispute, o: dict[str, Any], resolution: str, at: datetime) -> list[Change]:
    """The changes of the parsed outcome ``o``, checked against the facts as they are now."""
    incident = _target(Incident, o["incident"], dispute, Dispute.Subject.INCIDENT, "incident")
    outage = _target(Outage, o["outage"], dispute, Dispute.Subject.OUTAGE, "outage")
    credit = _target(Credit, o["credit"], dispute, Dispute.Subject.CREDIT, "credit")
    changes: list[Change] = []
    if o["accept_exclusion"]:
        changes += _exclusions(actor, dispute, resolution, incident, outage)
    if o["outage_start"] is not None or o["outage_end"] is not None:
        changes.append(_times(actor, dispute, resolution, outage, o, at))
    if o["credit_amount"] is not None:
        changes.append(_credit_amount(actor, dispute, credit, o["credit_amount"]))
    if not changes and (o["incident"] or o["outage"] or o["credit"]):
        raise InvalidInput(
            "The outcome names an object but changes nothing on it.",
            errors={"outcome": ["Say what changes: accept_exclusion, outage_start / outage_end or credit_amount."]},
        )
    return changes
