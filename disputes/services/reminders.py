"""Reminders of the dispute ladder's stage deadlines (the daily beat task)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from accounts.services import notify
from contracts.access import contract_managers
from core.actor import SYSTEM
from core.datetimes import when
from disputes.models import Dispute
from disputes.services.common import S, dispute_url, record_step, reference

REMIND_WITHIN = timedelta(days=2)


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
            lead = "passed" if deadline <= at else "is near"
            record_step(
                dispute,
                actor=SYSTEM,
                at=at,
                action="reminded",
                note=f"The {dispute.stage_name} deadline {lead}: {when(deadline)}.",
            )
            notify(
                users=contract_managers(dispute.contract),
                event="dispute.deadline",
                title=f"{reference(dispute)} {dispute.stage_name} deadline {lead}: {when(deadline)}"[:200],
                body=f"{dispute.title} ({dispute.contract.reference}).\nResolve it, or escalate it to the next stage "
                "of the ladder.",
                url=dispute_url(dispute),
                contract_id=dispute.contract_id,
                organization_ids=[dispute.contract.buyer_id, dispute.contract.vendor_id],
            )
            sent += 1
    return sent
