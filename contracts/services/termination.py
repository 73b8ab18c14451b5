"""The termination right: raised by a period's report and kept until the buyer exercises or waives
it, or its exercise window lapses. A later good period does not clear it; only a corrected report of
the very period that raised it withdraws it. Each change is one audited act.

Lapse is a scheduled act (``contracts.tasks.lapse_termination_rights``, hourly) so the contract flag
that lists and the dashboard filter on is true exactly while a right is open; the exercise service
also refuses (and lapses) a right whose window has ended, so the boundary is exact between runs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from audit import services as audit
from contracts.access import contract_standing, is_buyer_manager, require
from contracts.models import Contract, TerminationRight
from contracts.services._common import _lock, _person
from core.actor import Actor, SystemActor, is_person
from core.errors import Conflict, InvalidInput, NotPermitted

LAPSE = SystemActor("system:termination_lapse")
S = TerminationRight.Status


def open_right(contract: Contract) -> TerminationRight | None:
    return TerminationRight.objects.open().filter(contract=contract).first()


def _set_flag(contract: Contract, *, raised: bool, since: date | None) -> None:
    contract.termination_right = raised
    contract.termination_right_since = since if raised else None
    contract.save(update_fields=["termination_right", "termination_right_since", "updated_at"])


def _expiry(raised_on: date, days: int | None, zone: str) -> datetime | None:
    """The end of the exercise window's last day (the day raised plus ``days``) in ``zone``."""
    if not days:
        return None
    last = raised_on + timedelta(days=days)
    return datetime.combine(last, time.max, tzinfo=ZoneInfo(zone))


def contract_termination_right_record(
    *,
    actor: Actor,
    contract: Contract,
    triggered: bool,
    on: date,
    report_label: str,
    period: str = "",
    period_below: bool = True,
    exercise_window_days: int | None = None,
    rule: str = "",
    zone: str = "UTC",
) -> bool:
    """What the latest period's report (``report_label``, e.g. "2026-10 r1", of ``period``) says
    about the termination rule; ``on`` is the day it is raised.

    - Triggered, no open right: a right is raised, unless an earlier right (exercised, waived or
      lapsed) already answered the same breach: a new one needs a new period below the threshold
      (``period_below``) after the period that raised the last one.
    - Triggered, a right open: nothing changes (it keeps the day it was first raised).
    - Not triggered: nothing changes, unless the open right was raised by this very period (its
      report was corrected by a reissue): then the right is withdrawn.

    Only the period close (a system actor) or staff record it. Returns whether anything changed."""
    require(
        not is_person(actor) or actor.is_staff,
        "The termination right follows from the service reports: only the period close or staff record it.",
    )
    with transaction.atomic():
        contract = _lock(contract)
        current = open_right(contract)
        if not triggered:
            if current is None or not period or current.period != period:
                return False
            current.status, current.ended_at = S.WITHDRAWN, timezone.now()
            current.reason = f"The corrected report {report_label} no longer meets the termination rule."
            current.save(update_fields=["status", "ended_at", "reason"])
            _set_flag(contract, raised=False, since=None)
            audit.record(
                actor=actor,
                verb="contract.termination_right_withdrawn",
                obj=contract,
                contract_id=contract.pk,
                changes={
                    "termination_right": [True, False],
                    "status": [S.OPEN, S.WITHDRAWN],
                    "report": [None, report_label],
                },
            )
            return True
        if current is not None:
            return False
        last = TerminationRight.objects.filter(contract=contract).exclude(status=S.WITHDRAWN).first()
        if last is not None and (not period_below or (period and period <= last.period)):
            return False
        right = TerminationRight(
            contract=contract,
            period=period or report_label.split(" ")[0],
            report_label=report_label,
            rule=rule[:300],
            raised_on=on,
            raised_at=timezone.now(),
            expires_at=_expiry(on, exercise_window_days, zone),
        )
        right.save()
        _set_flag(contract, raised=True, since=on)
        audit.record(
            actor=actor,
            verb="contract.termination_right_raised",
            obj=contract,
            contract_id=contract.pk,
            changes={
                "termination_right": [False, True],
                "termination_right_since": [None, str(on)],
                "expires_at": [None, right.expires_at.isoformat() if right.expires_at else None],
                "report": [None, report_label],
            },
        )
    return True


def _end(*, actor: Actor, contract: Contract, status: str, verb: str, reason: str, at: datetime) -> TerminationRight:
    """Precondition: inside a transaction holding the contract's lock."""
    right = open_right(contract)
    if right is None:
        raise Conflict(f"{contract.reference} has no open termination right.", state="none", allowed=[])
    right.status, right.ended_at, right.ended_by, right.reason = status, at, _person(actor), reason
    right.save(update_fields=["status", "ended_at", "ended_by", "reason"])
    _set_flag(contract, raised=False, since=None)
    audit.record(
        actor=actor,
        verb=verb,
        obj=contract,
        contract_id=contract.pk,
        changes={
            "termination_right": [True, False],
            "status": [S.OPEN, status],
            "raised_by": [None, right.report_label],
            **({"reason": [None, reason]} if reason else {}),
        },
    )
    return right


def _require_buyer(actor: Actor, contract: Contract, action: str) -> None:
    s = contract_standing(actor, contract)
    if not is_buyer_manager(s):
        raise NotPermitted(f"Only {contract.buyer.name}'s contract managers may {action} the termination right.")


def contract_termination_right_exercise(*, actor: Actor, contract: Contract, note: str = "") -> TerminationRight:
    """The buyer exercises its open termination right (within its exercise window). This records the
    buyer's decision; the contract's own status and end date change through the contract use cases."""
    _require_buyer(actor, contract, "exercise")
    at = timezone.now()
    lapsed: TerminationRight | None = None
    with transaction.atomic():
        contract = _lock(contract)
        right = open_right(contract)
        if right is None or right.exercisable(at):
            return _end(
                actor=actor,
                contract=contract,
                status=S.EXERCISED,
                verb="contract.termination_right_exercised",
                reason=note.strip(),
                at=at,
            )
        # Its window ended before the daily lapse ran: lapse it now (committed), then refuse.
        lapsed = _end(
            actor=LAPSE, contract=contract, status=S.LAPSED, verb="contract.termination_right_lapsed", reason="", at=at
        )
    expired = timezone.localtime(lapsed.expires_at).strftime("%-d %b %Y") if lapsed.expires_at else ""
    raise Conflict(
        f"Too late: the termination right on {contract.reference} lapsed on {expired}.", state=S.LAPSED, allowed=[]
    )


def contract_termination_right_waive(*, actor: Actor, contract: Contract, reason: str) -> TerminationRight:
    """The buyer waives its open termination right (for this breach: a new right needs a new period below
    the threshold). Says why."""
    if not reason.strip():
        raise InvalidInput("Say why the right is waived.", errors={"reason": ["This field is required."]})
    _require_buyer(actor, contract, "waive")
    with transaction.atomic():
        contract = _lock(contract)
        return _end(
            actor=actor,
            contract=contract,
            status=S.WAIVED,
            verb="contract.termination_right_waived",
            reason=reason.strip(),
            at=timezone.now(),
        )


def contract_termination_rights_lapse(*, now: datetime | None = None) -> int:
    """Lapse every open right whose exercise window ended before ``now`` (one audited act each).
    Idempotent: a right already lapsed is no longer open. Returns how many lapsed."""
    now = now or timezone.now()
    count = 0
    for contract_id in (
        TerminationRight.objects.lapse_due(now).order_by("contract_id").values_list("contract_id", flat=True)
    ):
        with transaction.atomic():
            contract = _lock(Contract(pk=contract_id))
            right = open_right(contract)
            if right is None or right.exercisable(now):
                continue
            _end(
                actor=LAPSE,
                contract=contract,
                status=S.LAPSED,
                verb="contract.termination_right_lapsed",
                reason="",
                at=now,
            )
            count += 1
    return count
