"""Simulation use cases: run a simulation (writes nothing), run a portfolio
replay (the buyer's), save a scenario, attach it to an annual review's
amendment as evidence, delete it.

Inputs are one JSON shape shared by the pages, the API and the command::

    {"window": {"periods": 12, "last": "2026-10"},
     "candidates": [{"label": "...", "version": 7 | "amendment": 3 | "preset": "..." | "terms": {...},
                     "changes": {...}}],
     "sensitivity": {"parameter": "target:critical:production:acknowledge", "start": 5, "stop": 60,
                     "steps": 25, "base": 1}}

Running checks who may see the contract (404 otherwise, by the caller's
lookup) and turns every problem into ``InvalidInput`` with field paths
(``candidates[1].targets[0].restore_minutes``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.access import organization_ids
from accounts.models import Organization
from audit import services as audit
from contracts.access import contract_standing
from contracts.models import Contract, SLAVersion
from core.actor import Actor
from core.errors import Conflict, InvalidInput, NotPermitted
from reviews.models import Amendment
from simulator import sensitivity as sens
from simulator.engine import MAX_PERIODS, default_window, simulate
from simulator.models import Scenario
from simulator.portfolio import MAX_CONTRACTS, portfolio
from simulator.terms import CandidateError, resolve_candidate

MAX_CANDIDATES = 10
SCENARIO_FIELDS = ["name", "kind", "contract", "summary"]


def _bad(message: str, errors: Mapping[str, list[str]]) -> InvalidInput:
    return InvalidInput(message, errors={k: list(v) for k, v in errors.items()})


def _count(window: Mapping[str, Any]) -> int:
    try:
        count = int(window.get("periods") or 12)
    except (TypeError, ValueError):
        raise _bad("The window is a number of periods.", {"window.periods": ["A whole number."]}) from None
    if not 1 <= count <= MAX_PERIODS:
        raise _bad("Please correct the window.", {"window.periods": [f"From 1 to {MAX_PERIODS} periods."]})
    return count


def _candidates(contract: Contract, specs: Any, now: datetime) -> list[Any]:
    if not isinstance(specs, list) or len(specs) > MAX_CANDIDATES:
        raise _bad("Too many candidates.", {"candidates": [f"Up to {MAX_CANDIDATES} candidate term sets."]})
    out = []
    for i, spec in enumerate(specs):
        try:
            out.append(resolve_candidate(contract, spec, now=now, position=i + 1))
        except CandidateError as exc:
            raise _bad(
                f"Candidate {i + 1}: {exc.message}",
                {f"candidates[{i}].{k}": v for k, v in (exc.errors or {"terms": [exc.message]}).items()},
            ) from None
    return out


def _decimal(value: Any, path: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _bad("Please correct the sweep.", {path: ["A number."]}) from None


def run(*, contract: Contract, inputs: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The results of a simulation on ``contract`` (JSON-ready). Nothing is written."""
    now = now or timezone.now()
    window_in = inputs.get("window") or {}
    try:
        window = default_window(contract, now=now, count=_count(window_in), last=window_in.get("last") or None)
    except ValueError as exc:
        raise _bad(str(exc), {"window.last": [str(exc)]}) from None
    candidates = _candidates(contract, inputs.get("candidates") or [], now)
    result = simulate(contract, candidates, window, now=now)
    data = result.as_json()
    sweep_in = inputs.get("sensitivity")
    if sweep_in and sweep_in.get("parameter"):
        base_index = int(sweep_in.get("base") or 0)
        if not 0 <= base_index <= len(candidates):
            raise _bad(
                "Please correct the sweep.", {"sensitivity.base": ["0 (terms in force) or a candidate's number."]}
            )
        base = candidates[base_index - 1] if base_index else resolve_candidate(contract, {}, now=now)
        parameter = sweep_in["parameter"]
        try:
            integer = parameter != sens.UPTIME
            current = sens.current_value(parameter, base.terms)
            low = _decimal(sweep_in.get("start") or (1 if integer else current - 1), "sensitivity.start")
            high = _decimal(
                sweep_in.get("stop") or (current * 4 if integer else min(current + 1, 100)), "sensitivity.stop"
            )
            if high <= low:
                raise _bad("Please correct the sweep.", {"sensitivity.stop": ["Must be above the start of the range."]})
            values = sens.sweep_values(low, high, int(sweep_in.get("steps") or 25), integer=integer)
            data["sensitivity"] = sens.sweep(
                contract, base, parameter, values, window, now=now, replay=result.replay
            ).as_json()
        except ValueError as exc:
            raise _bad(str(exc), {"sensitivity.parameter": [str(exc)]}) from None
    return data


def portfolio_contracts(user: Any, *, vendor: int | None = None, contracts: list[int] | None = None) -> Any:
    """The buyer's contracts a portfolio may replay: those of the buyer
    organizations the person belongs to (all contracts for staff)."""
    qs = Contract.objects.visible_to(user).select_related("buyer", "vendor").order_by("vendor__name", "reference")
    if not user.is_staff:
        buyers = Organization.objects.filter(pk__in=organization_ids(user), kind=Organization.Kind.BUYER)
        qs = qs.filter(buyer__in=buyers)
    if vendor:
        qs = qs.filter(vendor_id=vendor)
    if contracts:
        qs = qs.filter(pk__in=contracts)
    return qs.filter(sla_versions__status=SLAVersion.Status.ACTIVE).distinct()


def may_portfolio(user: Any) -> bool:
    if user.is_staff:
        return True
    return Organization.objects.filter(pk__in=organization_ids(user), kind=Organization.Kind.BUYER).exists()


def run_portfolio(*, user: Any, inputs: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """One candidate across the buyer's contracts (of one vendor, or the ones listed)."""
    if not may_portfolio(user):
        raise NotPermitted("The portfolio view is the buyer's: it compares the buyer's vendors.")
    now = now or timezone.now()
    ids = inputs.get("contracts") or []
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise _bad("Please correct the contracts.", {"contracts": ["A list of contract ids."]})
    chosen = list(portfolio_contracts(user, vendor=inputs.get("vendor"), contracts=ids)[: MAX_CONTRACTS + 1])
    if not chosen:
        raise _bad(
            "No contracts to replay.", {"contracts": ["Choose a vendor or contracts of yours with an SLA in force."]}
        )
    if len(chosen) > MAX_CONTRACTS:
        raise _bad("Too many contracts.", {"contracts": [f"Up to {MAX_CONTRACTS} at a time."]})
    spec = dict(inputs.get("candidate") or {})
    return portfolio(
        chosen,
        spec,
        now=now,
        count=_count({"periods": inputs.get("periods")}),
        versions=SLAVersion.objects.visible_to(user),
    )


# -- scenarios -------------------------------------------------------------------------------------


def _summary(results: Mapping[str, Any]) -> str:
    if results.get("kind") == "portfolio":
        return f"{len(results['rows'])} contracts · {results['candidate']['label']} · last {results['count']} periods"
    w = results["window"]
    names = ", ".join(ts["label"] for ts in results["term_sets"][1:]) or "terms in force only"
    return f"{w['first']} – {w['last']} · {names}"[:300]


def scenario_save(
    *,
    actor: Actor,
    name: str,
    inputs: Mapping[str, Any],
    results: Mapping[str, Any],
    contract: Contract | None = None,
) -> Scenario:
    """Store a simulation as run (inputs and results), for the side that ran it."""
    name = (name or "").strip()
    if not name:
        raise _bad("Name the scenario.", {"name": ["This field is required."]})
    if contract is not None:
        s = contract_standing(actor, contract)
        side = "buyer" if s.is_buyer else "vendor" if s.is_vendor else ""
        buyer_id, vendor_id, kind = contract.buyer_id, contract.vendor_id, Scenario.Kind.CONTRACT
    else:
        if not may_portfolio(actor):
            raise NotPermitted("The portfolio view is the buyer's.")
        rows = results.get("rows") or []
        first = Contract.objects.filter(pk__in=[r["contract"]["id"] for r in rows]).only("buyer_id").first()
        if first is None:
            raise _bad("Nothing to save.", {"results": ["The portfolio has no contracts."]})
        vendors = {r["vendor"]["id"] for r in rows}
        side, buyer_id, kind = "buyer", first.buyer_id, Scenario.Kind.PORTFOLIO
        vendor_id = vendors.pop() if len(vendors) == 1 else None
    with transaction.atomic():
        scenario = Scenario.objects.create(
            name=name[:200],
            kind=kind,
            contract=contract,
            buyer_id=buyer_id,
            vendor_id=vendor_id,
            side=side,
            summary=_summary(results),
            inputs=dict(inputs),
            results=dict(results),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=timezone.now(),
        )
        audit.record(
            actor=actor,
            verb="scenario.saved",
            visibility=_audit_visibility(scenario),
            obj=scenario,
            contract_id=contract.pk if contract else None,
            changes=audit.created(scenario, SCENARIO_FIELDS),
        )
    return scenario


def _audit_visibility(scenario: Scenario) -> str:
    """A scenario is its side's negotiating position: its name and term sets
    stay on that side's audit trail (staff only for a board or staff one).
    Attached to an amendment it is evidence both parties read."""
    sides: dict[str, str] = {Scenario.Side.BUYER: "buyer", Scenario.Side.VENDOR: "vendor"}
    return sides.get(str(scenario.side), "staff")


def evidence_ref(scenario: Scenario) -> str:
    return f"Simulation scenario #{scenario.pk} “{scenario.name}”: {reverse('simulator:scenario', args=[scenario.pk])}"


def scenario_attach(*, actor: Actor, scenario: Scenario, amendment: Amendment) -> Scenario:
    """Attach a contract scenario to a proposed amendment of the same
    contract as its evidence: the reference is added to the amendment's
    evidence through the annual review service (which checks the role and
    the review's state, and treats it as a change to the amendment)."""
    from reviews.services import amendments

    if scenario.contract_id is None or amendment.review.contract_id != scenario.contract_id:
        raise _bad("Wrong amendment.", {"amendment": ["Attach a scenario to an amendment of its own contract."]})
    if amendment.status != Amendment.Status.PROPOSED:
        raise Conflict(f"The amendment is {amendment.get_status_display().lower()}.", state=amendment.status)
    ref = evidence_ref(scenario)
    if ref not in amendment.evidence:  # commits by itself: it may render a new packet, never inside a transaction
        amendments.amendment_update(actor=actor, amendment=amendment, evidence=[*amendment.evidence, ref])
    with transaction.atomic():
        before = scenario.amendment_id
        scenario.amendment, scenario.attached_at = amendment, timezone.now()
        scenario.save(update_fields=["amendment", "attached_at"])
        audit.record(
            actor=actor,
            verb="scenario.attached",
            obj=scenario,
            contract_id=scenario.contract_id,
            changes={"amendment": [before, amendment.pk]},
        )
    return scenario


def scenario_delete(*, actor: Actor, scenario: Scenario) -> None:
    if not (getattr(actor, "is_staff", False) or scenario.created_by_id == getattr(actor, "pk", None)):
        raise NotPermitted("Only the person who saved a scenario deletes it.")
    if scenario.amendment_id is not None:
        raise Conflict("The scenario is evidence for an amendment: it stays.", state="attached")
    with transaction.atomic():
        audit.record(
            actor=actor,
            verb="scenario.deleted",
            visibility=_audit_visibility(scenario),
            obj=scenario,
            contract_id=scenario.contract_id,
            changes={"name": [scenario.name, None]},
        )
        scenario.delete()
