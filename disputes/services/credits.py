"""Disputing a credit on the ledger: a dispute whose subject is the credit. The ledger (reports)
keeps the credit's state; this opens the dispute, which marks the credit disputed there."""

from __future__ import annotations

from core.actor import Actor
from disputes.models import Dispute
from disputes.services.ladder import dispute_open
from reports.models import Credit


def credit_dispute(*, actor: Actor, credit: Credit, statement: str, title: str = "") -> Dispute:
    """Open a dispute on the credit (either party's managers, within the claim
    window); the credit is then disputed until the dispute ends."""
    return dispute_open(
        actor=actor,
        contract=credit.contract,
        subject_type=Dispute.Subject.CREDIT,
        subject_id=str(credit.pk),
        title=(title or "").strip() or f"Credit disputed: {credit.description}"[:200],
        statement=statement,
    )
