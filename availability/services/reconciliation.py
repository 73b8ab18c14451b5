"""Reconciliation between a contract's counted sources, before a period closes.

Rules:

* **What is compared.** For each covered component, every source whose data
  counts (``MonitoringSource.counts``: buyer probes, the vendor's status page,
  the vendor's tickets...) says *down* where it recorded an outage, *up* where
  it had data and none, and nothing where it had no data (before it was
  registered, after its token was revoked, its no-data spans and silences).
  Sources that only post when something happens (PagerDuty, Opsgenie,
  tickets) say up whenever they are registered and quiet. Where one says down
  and another up for longer than ``uptime.reconciliation_tolerance_seconds``
  (default 300), the run is a ``Discrepancy`` both parties see.
* **Idempotent.** Running again replaces the open items whose interval or
  sources changed (an open item found again unchanged keeps its proposal);
  resolved and disputed items are never touched, and their intervals are not
  reconciled again.
* **Resolved by agreement.** One party proposes to count one source's view or
  to split; the other party accepts (a new proposal by either replaces the
  pending one). Either party may mark an item disputed at once, with a
  reason. The period close marks every item still open disputed.
* **What a decision does to availability** (``availability.data``), in the
  item's interval, for its component, in place of the sources' records:
  a picked source's view counts; a split counts the first half of the
  interval as down (rounded down to the microsecond); disputed counts the
  buyer's sources' view (as recorded when the buyer has no source there) and
  the time is reported as disputed. Incidents, staff outages and maintenance
  are not sources: they count as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from availability import reconcile
from availability.models import Discrepancy, MonitoringSource, NoDataSpan, Outage, counts_q
from availability.report import TermsBook, resolve_period
from availability.services.sources import _notify, party_people, side_of, source_components
from contracts import lock_objects
from contracts.access import require
from contracts.models import Contract
from contracts.terms import Terms
from core.actor import Actor, SystemActor
from core.errors import Conflict, InvalidInput
from core.periods import Period

RECONCILER = SystemActor("source reconciler")
WHOLE_SERVICE = "service"  # availability.data.WHOLE_SERVICE
US = timedelta(microseconds=1)
Side = MonitoringSource.Side
R = Discrepancy.Resolution
RULE = (
    "Where counted sources disagree for longer than the tolerance, the parties reconcile the interval: "
    "a picked source's view counts; a split counts half the interval as down; a disputed interval (and "
    "one still open at the close) counts the buyer's sources' view and is reported as disputed time."
)
CLOSE_REASON = "Unresolved when the period closed."


def tolerance_seconds(terms: Terms | None) -> int:
    if terms is None:
        return reconcile.DEFAULT_TOLERANCE_SECONDS
    value = terms.data["uptime"].get("reconciliation_tolerance_seconds")
    return reconcile.DEFAULT_TOLERANCE_SECONDS if value is None else int(value)


def _url(contract_id: int) -> str:
    return reverse("availability:contract", args=[contract_id]) + "#reconciliation"


def _components(contract: Contract) -> list[str]:
    return list(contract.covered_components or []) or [WHOLE_SERVICE]


def _targets(component: str, components: list[str], listed: bool) -> list[str]:
    """The components an outage record speaks about (as ``availability.data`` scopes it)."""
    if not listed or not component or component == "*":
        return components
    return [component] if component in components else []


@dataclass(frozen=True)
class Found:
    component: str
    start: datetime
    end: datetime
    down: tuple[int, ...]
    up: tuple[int, ...]
    down_seconds: dict[str, int]


def find_discrepancies(contract: Contract, *, period: Period, now: datetime, tolerance: int) -> list[Found]:
    """What the counted sources disagree about in ``period`` up to ``now``,
    less what was already decided (reads only)."""
    start = period.start
    horizon = min(period.end, now)
    if horizon <= start:
        return []
    components = _components(contract)
    listed = bool(contract.covered_components)
    sources = list(MonitoringSource.objects.filter(contract=contract).counting().select_related("contract"))
    if len(sources) < 2:
        return []
    ids = [s.pk for s in sources]

    def us(t: datetime) -> int:
        return (min(max(t, start), horizon) - start) // US

    down: dict[tuple[int, str], list[reconcile.IntPair]] = {}
    for sid, comp, a, b in (
        Outage.objects.filter(contract=contract, monitoring_source_id__in=ids)
        .overlapping(start, horizon)
        .values_list("monitoring_source_id", "component", "start", "end")
    ):
        for name in _targets(comp, components, listed):
            down.setdefault((sid, name), []).append((us(a), us(b or horizon)))
    gaps: dict[tuple[int, str], list[reconcile.IntPair]] = {}
    for sid, comp, a, b in NoDataSpan.objects.filter(source_id__in=ids, start__lt=horizon, end__gt=start).values_list(
        "source_id", "component", "start", "end"
    ):
        gaps.setdefault((sid, comp), []).append((us(a), us(b)))
    settled: dict[str, list[reconcile.IntPair]] = {}
    for comp, a, b in Discrepancy.objects.filter(
        contract=contract,
        start__lt=horizon,
        end__gt=start,
        status__in=[Discrepancy.Status.RESOLVED, Discrepancy.Status.DISPUTED],
    ).values_list("component", "start", "end"):
        settled.setdefault(comp, []).append((us(a), us(b)))

    scope = {s.pk: set(source_components(s)) if listed else {WHOLE_SERVICE} for s in sources}
    found: list[Found] = []
    for name in components:
        views = []
        for s in sources:
            if name not in scope[s.pk] and not down.get((s.pk, name)):
                continue
            ends = s.revoked_at or horizon
            coverage = [(us(s.created_at), us(ends))] if name in scope[s.pk] else []
            holes = list(gaps.get((s.pk, name), []))
            if s.silent_since is not None:
                holes.append((us(s.silent_since), us(horizon)))
            views.append(
                reconcile.SourceView(
                    key=s.pk, down=down.get((s.pk, name), []), coverage=reconcile.subtract(coverage, holes)
                )
            )
        for d in reconcile.disagreements(
            views, period=(0, us(horizon)), tolerance_us=tolerance * 1_000_000, settled=settled.get(name, [])
        ):
            found.append(
                Found(
                    component=name,
                    start=start + d.start * US,
                    end=start + d.end * US,
                    down=tuple(sorted(cast(int, k) for k in d.down)),
                    up=tuple(sorted(cast(int, k) for k in d.up)),
                    down_seconds={str(k): v // 1_000_000 for k, v in zip(d.down, d.down_us, strict=True)},
                )
            )
    return found


@dataclass(frozen=True)
class Reconciled:
    opened: int
    kept: int
    replaced: int
    disputed_at_close: int


def reconcile_period(
    *, contract: Contract, period: Period, terms: Terms | None, now: datetime | None = None, closing: bool = False
) -> Reconciled:
    """Find the discrepancies of ``period`` and store them as open items
    (idempotent, see the module's rules). ``closing``: the period close calls
    this before it freezes the report; what is still open becomes disputed."""
    now = now or timezone.now()
    found = find_discrepancies(contract, period=period, now=now, tolerance=tolerance_seconds(terms))
    if (
        not found
        and not Discrepancy.objects.filter(
            contract=contract, period_start=period.start, status=Discrepancy.Status.OPEN
        ).exists()
    ):
        return Reconciled(opened=0, kept=0, replaced=0, disputed_at_close=0)
    with transaction.atomic():
        contract = lock_objects.contract(contract.pk)
        open_items = list(
            Discrepancy.objects.filter(contract=contract, period_start=period.start, status=Discrepancy.Status.OPEN)
        )
        wanted = {(f.component, f.start, f.end, f.down, f.up): f for f in found}
        keep = {
            d.pk
            for d in open_items
            if (d.component, d.start, d.end, tuple(d.down_sources), tuple(d.up_sources)) in wanted
        }
        stale = [d for d in open_items if d.pk not in keep]
        present = {
            (d.component, d.start, d.end, tuple(d.down_sources), tuple(d.up_sources))
            for d in open_items
            if d.pk in keep
        }
        if stale:
            Discrepancy.objects.filter(pk__in=[d.pk for d in stale]).delete()
        new = [
            Discrepancy(
                contract=contract,
                component=f.component,
                period=period.label,
                period_start=period.start,
                period_end=period.end,
                start=f.start,
                end=f.end,
                down_sources=list(f.down),
                up_sources=list(f.up),
                down_seconds=f.down_seconds,
                detected_at=now,
            )
            for key, f in wanted.items()
            if key not in present
        ]
        Discrepancy.objects.bulk_create(new)
        if new or stale:
            audit.record(
                actor=RECONCILER,
                verb="discrepancy.reconciled",
                obj=contract,
                contract_id=contract.pk,
                changes={
                    "period": [None, period.label],
                    "opened": [None, len(new)],
                    "replaced": [None, len(stale)],
                    "kept": [None, len(keep)],
                },
            )
        if new:
            _tell(
                contract,
                event="discrepancy.opened",
                title=f"{contract.reference}: {len(new)} discrepanc{'y' if len(new) == 1 else 'ies'} between "
                f"monitoring sources in {period.title}",
                body="The sources disagree about when the service was down. Agree on each before the period closes.",
            )
        disputed = 0
        if closing:
            disputed = Discrepancy.objects.filter(
                contract=contract, period_start=period.start, status=Discrepancy.Status.OPEN
            ).update(
                status=Discrepancy.Status.DISPUTED,
                resolution=R.DISPUTED,
                reason=CLOSE_REASON,
                decided_at=now,
                decided_by=None,
            )
            if disputed:
                audit.record(
                    actor=RECONCILER,
                    verb="discrepancy.disputed_at_close",
                    obj=contract,
                    contract_id=contract.pk,
                    changes={"period": [None, period.label], "disputed": [None, disputed]},
                )
                _tell(
                    contract,
                    event="discrepancy.resolved",
                    title=f"{contract.reference}: {disputed} unresolved discrepanc{'y' if disputed == 1 else 'ies'} "
                    f"reported as disputed time in {period.title}",
                    body="Either party may open a dispute about them from the report.",
                )
    return Reconciled(opened=len(new), kept=len(keep), replaced=len(stale), disputed_at_close=disputed)


def reconcile_open_periods(*, now: datetime) -> dict[str, int]:
    """``reconcile_period`` for the period running at ``now`` of every active
    contract with two or more counted sources (the beat's daily run)."""
    ids = list(
        Contract.objects.active()
        .annotate(sources=Count("monitoring_sources", filter=counts_q("monitoring_sources__")))
        .filter(sources__gte=2)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    book = TermsBook.load(ids)
    opened = 0
    for contract in Contract.objects.filter(pk__in=ids).order_by("pk"):
        terms = book.terms(contract.pk, now)
        if terms is None:
            continue
        period = resolve_period(None, terms, now)
        opened += reconcile_period(contract=contract, period=period, terms=terms, now=now).opened
    return {"contracts": len(ids), "opened": opened}


def _tell(
    contract: Contract, *, event: str, title: str, body: str = "", sides: Sequence[str] = (Side.BUYER, Side.VENDOR)
) -> None:
    people: list[User] = []
    for side in sides:
        people.extend(party_people(contract, side))
    _notify(
        users=people, event=event, contract=contract, sides=tuple(sides), title=title, body=body, url=_url(contract.pk)
    )


# -- decisions -------------------------------------------------------------------------------------


def _locked(item: Discrepancy) -> Discrepancy:
    lock_objects.contract_of(item)  # the contract, then the item (core.locks)
    return (
        Discrepancy.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__buyer", "contract__vendor")
        .get(pk=item.pk)
    )


def _party(actor: Actor, item: Discrepancy) -> str:
    side = side_of(actor, item.contract)
    require(
        side in (Side.BUYER, Side.VENDOR),
        "Only the parties (the buyer's contract managers and operations, the vendor's account managers and "
        "support engineers) reconcile their sources.",
    )
    assert side is not None
    return side


def _require_open(item: Discrepancy) -> None:
    if item.status != Discrepancy.Status.OPEN:
        raise Conflict(f"The discrepancy is {item.get_status_display().lower()}.", state=item.status, allowed=[])


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the reason.", errors={"reason": ["Required."]})
    if len(reason) > 2000:
        raise InvalidInput("The reason is too long.", errors={"reason": ["At most 2000 characters."]})
    return reason


def _other(side: str) -> str:
    return Side.VENDOR if side == Side.BUYER else Side.BUYER


def propose_resolution(
    *, actor: Actor, discrepancy: Discrepancy, resolution: str, reason: str, source_id: int | None = None
) -> Discrepancy:
    """A party proposes how to count the interval; the other party accepts it
    (``accept_resolution``). Replaces a pending proposal."""
    reason = _reason(reason)
    if resolution not in (R.SOURCE, R.SPLIT):
        raise InvalidInput(
            "Propose to count one source's view or to split.",
            errors={"resolution": [f"Must be one of: {R.SOURCE}, {R.SPLIT} (mark it disputed instead)."]},
        )
    with transaction.atomic():
        item = _locked(discrepancy)
        side = _party(actor, item)
        _require_open(item)
        source: MonitoringSource | None = None
        if resolution == R.SOURCE:
            named = {*item.down_sources, *item.up_sources}
            if source_id is None or source_id not in named:
                raise InvalidInput(
                    "Pick one of the sources that disagree.",
                    errors={"source": [f"Must be one of: {', '.join(str(i) for i in sorted(named))}."]},
                )
            source = MonitoringSource.objects.get(pk=source_id)
        before = item.proposed_resolution
        item.proposed_resolution = resolution
        item.proposed_source = source
        item.proposed_reason = reason
        item.proposed_side = side
        item.proposed_by = actor if isinstance(actor, User) else None
        item.proposed_at = timezone.now()
        item.save(
            update_fields=[
                "proposed_resolution",
                "proposed_source",
                "proposed_reason",
                "proposed_side",
                "proposed_by",
                "proposed_at",
            ]
        )
        audit.record(
            actor=actor,
            verb="discrepancy.proposed",
            obj=item,
            contract_id=item.contract_id,
            changes={
                "proposed_resolution": [before or None, resolution],
                "source": [None, source.name if source else None],
                "reason": [None, reason],
            },
        )
        what = f"count '{source.name}'" if source else "split the interval"
        _tell(
            item.contract,
            event="discrepancy.resolved",
            sides=(_other(side),),
            title=f"{item.contract.reference}: the {side} proposes to {what} for {item.component} "
            f"from {item.start:%Y-%m-%d %H:%M} UTC",
            body=f"{reason}\nAccept it, propose otherwise, or mark it disputed.",
        )
    return item


def accept_resolution(*, actor: Actor, discrepancy: Discrepancy) -> Discrepancy:
    """The other party accepts the pending proposal: the item is resolved by agreement."""
    with transaction.atomic():
        item = _locked(discrepancy)
        side = _party(actor, item)
        _require_open(item)
        if not item.proposed_resolution:
            raise Conflict("Nothing has been proposed yet.", state=item.status, allowed=["resolve", "dispute"])
        require(side != item.proposed_side, "The other party accepts a proposal, not the party that made it.")
        item.status = Discrepancy.Status.RESOLVED
        item.resolution = item.proposed_resolution
        item.picked_source = item.proposed_source
        item.reason = item.proposed_reason
        item.decided_by = actor if isinstance(actor, User) else None
        item.decided_at = timezone.now()
        item.save(update_fields=["status", "resolution", "picked_source", "reason", "decided_by", "decided_at"])
        audit.record(
            actor=actor,
            verb="discrepancy.resolved",
            obj=item,
            contract_id=item.contract_id,
            changes={
                "status": [Discrepancy.Status.OPEN, item.status],
                "resolution": [None, item.resolution],
                "source": [None, item.picked_source.name if item.picked_source else None],
            },
        )
        _tell(
            item.contract,
            event="discrepancy.resolved",
            sides=(item.proposed_side,),
            title=f"{item.contract.reference}: the {side} accepted your resolution for {item.component} "
            f"from {item.start:%Y-%m-%d %H:%M} UTC",
            body=item.reason,
        )
    return item


def dispute_discrepancy(*, actor: Actor, discrepancy: Discrepancy, reason: str) -> Discrepancy:
    """Either party marks an open item disputed: the buyer's sources' view
    counts and the time is reported as disputed."""
    reason = _reason(reason)
    with transaction.atomic():
        item = _locked(discrepancy)
        side = _party(actor, item)
        _require_open(item)
        item.status = Discrepancy.Status.DISPUTED
        item.resolution = R.DISPUTED
        item.reason = reason
        item.decided_by = actor if isinstance(actor, User) else None
        item.decided_at = timezone.now()
        item.save(update_fields=["status", "resolution", "reason", "decided_by", "decided_at"])
        audit.record(
            actor=actor,
            verb="discrepancy.disputed",
            obj=item,
            contract_id=item.contract_id,
            changes={"status": [Discrepancy.Status.OPEN, item.status], "reason": [None, reason]},
        )
        _tell(
            item.contract,
            event="discrepancy.resolved",
            sides=(_other(side),),
            title=f"{item.contract.reference}: the {side} marked the discrepancy on {item.component} "
            f"from {item.start:%Y-%m-%d %H:%M} UTC disputed",
            body=reason,
        )
    return item


# -- what reads them --------------------------------------------------------------------------------


def period_items(contract: Contract, *, start: datetime) -> list[Discrepancy]:
    """The items of the period starting at ``start`` (one query, sources' names resolved by the caller)."""
    return list(
        Discrepancy.objects.filter(contract=contract, period_start=start)
        .select_related("proposed_source", "picked_source", "proposed_by", "decided_by")
        .order_by("start", "component", "pk")
    )


def summary(items: Iterable[Discrepancy]) -> dict[str, int]:
    rows = list(items)
    return {
        "items": len(rows),
        "open": sum(1 for d in rows if d.status == Discrepancy.Status.OPEN),
        "resolved": sum(1 for d in rows if d.status == Discrepancy.Status.RESOLVED),
        "disputed": sum(1 for d in rows if d.status == Discrepancy.Status.DISPUTED),
        "disputed_seconds": sum(d.seconds for d in rows if d.status == Discrepancy.Status.DISPUTED),
        "seconds": sum(d.seconds for d in rows),
    }
