"""Resolving a dispute: who may record the agreed outcome, making its changes through the owning
apps' services, and reissuing the reports of closed periods whose facts changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from accounts.access import Standing
from contracts.access import contract_standing, is_manager, manager_side
from core.actor import Actor
from core.errors import NotPermitted
from disputes.models import Dispute
from disputes.services.common import (
    S,
    audit_dispute,
    lock,
    managers_of,
    now,
    record_step,
    reference,
    release_credit,
    require_open,
    required_text,
    tell,
)
from disputes.services.outcomes import Change, parse_outcome, plan
from reports.models import ServiceReport
from reports.services.reports import current_report, reissue_report


def authorize_resolution(s: Standing, dispute: Dispute, changes: list[Change]) -> None:
    """Nobody records a change in their own favour: a change is recorded by the side it goes
    against (or staff), a resolution that changes nothing by the side that raised the dispute."""
    if s.is_staff:
        return
    contract = dispute.contract
    if not is_manager(s):
        raise NotPermitted(
            f"Only {managers_of('buyer', contract)}, {managers_of('vendor', contract)} or staff may resolve a dispute."
        )
    against = {c.against for c in changes if c.against is not None}
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


def _reissue(actor: Actor, dispute: Dispute, changes: list[Change], resolution: str) -> list[ServiceReport]:
    """A new revision of each closed period whose facts changed; a period not closed yet needs
    none (its close will read the corrected facts)."""
    reissued = []
    for period in dict.fromkeys(p for c in changes if c.fact for p in c.periods):
        if current_report(dispute.contract, period) is None:
            continue
        reissued.append(
            reissue_report(
                actor=actor,
                contract=dispute.contract,
                period=period,
                reason=f"Dispute {reference(dispute)} resolved: {resolution}",
                changes=[c.text for c in changes if c.fact and period in c.periods],
            )
        )
    return reissued


def dispute_resolve(
    *, actor: Actor, dispute: Dispute, resolution: str, outcome: Mapping[str, Any] | None = None
) -> Dispute:
    """Close the dispute with the agreed resolution. ``outcome`` may change the facts:

    - ``accept_exclusion: true`` (with ``incident`` / ``outage`` ids, or the
      dispute's own subject): the incident is excluded (a pending claim is
      accepted) or the outage's exclusion accepted;
    - ``outage_start`` / ``outage_end`` (ISO 8601, with ``outage``): corrected times;
    - ``credit_amount`` (with ``credit``): the credit's agreed amount (it is then approved).

    Changed facts in a period that already has a report reissue that report as
    a new revision superseding the old one, with a "what changed" list."""
    resolution = required_text(resolution, "resolution", "Write the agreed resolution.")
    parsed = parse_outcome(outcome)
    with transaction.atomic():
        dispute = lock(dispute)
        s = contract_standing(actor, dispute.contract)
        if not (s.is_staff or is_manager(s)):
            raise NotPermitted(
                f"Only {managers_of('buyer', dispute.contract)}, {managers_of('vendor', dispute.contract)} "
                "or staff may resolve a dispute."
            )
        require_open(dispute, "resolve")
        at = now()
        changes = plan(actor, dispute, parsed, resolution, at)
        authorize_resolution(s, dispute, changes)
        for change in changes:
            change.text = change.apply()
        release_credit(actor, dispute)  # unless the resolution adjusted (and so approved) it
        reissued = _reissue(actor, dispute, changes, resolution)
        dispute.status, dispute.resolution, dispute.resolved_at = S.RESOLVED, resolution, at
        dispute.reissued_report = reissued[0] if reissued else None
        dispute.save(update_fields=["status", "resolution", "resolved_at", "reissued_report"])
        texts = [c.text for c in changes]
        record_step(dispute, actor=actor, at=at, action="resolved", note="\n".join([resolution, *texts]))
        audit_dispute(
            actor,
            dispute,
            "dispute.resolved",
            {
                "status": [S.OPEN, S.RESOLVED],
                "outcome": [None, texts],
                "reissued": [None, [f"{r.period} r{r.revision}" for r in reissued]] if reissued else [None, None],
            },
        )
        reports = [f"Report {r.period} reissued as revision {r.revision}." for r in reissued]
        tell(
            dispute,
            actor=actor,
            event="dispute.closed",
            title=f"{reference(dispute)} resolved on {dispute.contract.reference}: {dispute.title}",
            body="\n".join([resolution, *texts, *reports]),
        )
    return dispute
