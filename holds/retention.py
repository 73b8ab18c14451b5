"""Retention: raw monitoring payloads leave once past their contract's retention period
(``expires_at``, set from the terms' ``reporting.retention_days`` when received), unless a hold
keeps them. One summary audit entry per contract and run says what left and what stayed, and why.
(The outages and no-data spans derived from the payloads stay.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q

from audit import services as audit
from audit.models import AuditEntry
from availability.models import RawPayload
from availability.services import monitoring
from contracts import lock_objects
from core.actor import SystemActor
from holds.selectors import holds_for

RETENTION = SystemActor("retention")
VERB = "retention.purged"


@dataclass
class Purge:
    contract_id: int
    deleted: int = 0
    kept: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    kept_by: dict[str, int] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    recorded: bool = False


def contracts_with_expired_payloads(*, now: datetime) -> list[int]:
    return sorted(
        set(RawPayload.objects.filter(expires_at__lte=now).values_list("source__contract_id", flat=True).distinct())
    )


def _unchanged_since_last_run(contract_id: int, kept_by: dict[str, int]) -> bool:
    """Nothing purged and the same holds keep the same payloads as the last entry said: a rerun
    (or the next day's run) writes nothing, so the trail is not filled with copies."""
    last = AuditEntry.objects.filter(verb=VERB, contract_id=contract_id).order_by("-seq").first()
    return last is not None and (last.changes.get("kept_by") or [None, {}])[1] == kept_by


def purge_contract(*, contract_id: int, now: datetime, batch: int = 2000) -> Purge:
    """Delete the contract's expired payloads that no hold keeps, ``batch`` ids per DELETE, and
    write the summary entry, in one transaction: the holds are read under the contract's lock,
    which placing a hold or opening a dispute also takes, so a hold placed during the run is
    either seen or placed after the purge; and a crash leaves nothing deleted without its entry.
    (The contract lock is the only row lock held long: other contracts' writers are not blocked.)"""
    result = Purge(contract_id=contract_id)
    with transaction.atomic():
        contract = lock_objects.contract(contract_id)
        holds = holds_for(contract, now=now)
        expired = RawPayload.objects.filter(source__contract_id=contract_id, expires_at__lte=now)
        if any(h.whole for h in holds):
            held = Q(pk__isnull=False)
        elif holds:
            held = reduce(or_, (h.q("received_at") for h in holds))
        else:
            held = Q(pk__in=[])
        for h in holds:
            n = expired.filter(h.q("received_at")).count()
            if n:
                result.kept_by[h.label] = result.kept_by.get(h.label, 0) + n
        doomed = expired.exclude(held)
        span: dict[str, Any] = doomed.aggregate(first=Min("received_at"), last=Max("received_at"))
        result.first, result.last = span["first"], span["last"]
        result.by_kind = {
            f"raw_payload:{row['source__kind']}": row["n"]
            for row in doomed.values("source__kind").annotate(n=Count("pk")).order_by("source__kind")
        }
        while True:
            ids = list(doomed.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            result.deleted += monitoring.raw_payloads_delete(ids=ids)  # availability's rows, through its service
        result.kept = expired.count()
        if not result.deleted and (not result.kept or _unchanged_since_last_run(contract_id, result.kept_by)):
            return result
        audit.record(
            actor=RETENTION,
            verb=VERB,
            obj=contract,
            contract_id=contract_id,
            changes={
                "purged": [None, {"raw_payloads": result.deleted, **result.by_kind}],
                "received": [result.first, result.last],
                "expired_by": [None, now],
                "kept_held": [None, result.kept],
                "kept_by": [None, result.kept_by],
            },
        )
        result.recorded = True
    return result


def purge_expired_payloads(*, now: datetime, batch: int = 2000) -> dict[str, int]:
    """Every contract with expired payloads, each in its own short transaction. Idempotent: a
    second run deletes nothing and writes no entry unless what is held changed."""
    totals = {"deleted": 0, "kept": 0, "contracts": 0}
    for contract_id in contracts_with_expired_payloads(now=now):
        result = purge_contract(contract_id=contract_id, now=now, batch=batch)
        totals["deleted"] += result.deleted
        totals["kept"] += result.kept
        totals["contracts"] += 1
    return totals
