"""A dispute about time the sources' reconciliation left disputed, opened in
one step from the discrepancy (``availability.services.reconciliation``).

The subject is the line of the period's current report that reports the
disputed time (``report_line`` ``{report}:discrepancy {id}``), so the
dispute's window, ladder and closed-matter rules are those of any report line."""

from __future__ import annotations

from availability.models import Discrepancy
from core.actor import Actor
from core.datetimes import when
from core.errors import Conflict, InvalidInput
from disputes.models import Dispute
from disputes.services.ladder import dispute_open
from reports.services.reports import current_report


def discrepancy_dispute_open(*, actor: Actor, discrepancy: Discrepancy, statement: str, title: str = "") -> Dispute:
    """Open a dispute about a disputed discrepancy of a closed period."""
    if not (statement or "").strip():
        raise InvalidInput("Say what is disputed.", errors={"statement": ["Required."]})
    if discrepancy.status != Discrepancy.Status.DISPUTED:
        raise Conflict(
            "Only disputed time is taken to a dispute: resolve the discrepancy by agreement or mark it disputed.",
            state=discrepancy.status,
            allowed=["resolve", "accept", "dispute"] if discrepancy.status == Discrepancy.Status.OPEN else [],
        )
    report = current_report(discrepancy.contract, discrepancy.period)
    if report is None:
        raise Conflict(
            f"The {discrepancy.period} period has not closed: its report, which the dispute is about, "
            "does not exist yet.",
            state="period open",
            allowed=[],
        )
    title = (title or "").strip() or (
        f"Disputed time: {discrepancy.component} from {when(discrepancy.start)} to {when(discrepancy.end)}"
    )
    return dispute_open(
        actor=actor,
        contract=discrepancy.contract,
        subject_type=Dispute.Subject.REPORT_LINE,
        subject_id=f"{report.pk}:discrepancy {discrepancy.pk}",
        title=title[:200],
        statement=statement,
    )
