"""Monitoring sources both parties trust: registration, consent, revocation,
the token's last use, and silence.

Rules:

* Either party registers a source for a contract: the buyer's contract managers
  and operations people, the vendor's account managers and support engineers
  (and staff). Its data counts towards availability only once a person of the
  other party with one of those roles accepts it; until then, and after a
  rejection, what it posts is kept (payloads, outages, gaps) but counts for
  nothing. Acceptance makes its whole history count, as if accepted from the
  start: the other party has vouched for the monitor, not for a date. Staff,
  the neutral operator, register sources accepted at once.
* Either party (or staff) may revoke a source's token: it posts no more; what
  it recorded while trusted still counts.
* Silence: an accepted, active source with a cadence (probes, Alertmanager with
  its heartbeat, Statuspage) not heard from for max(3 x interval, 10 min) is
  silent from its last use plus its interval. One ``SourceSilence`` and one
  notice to both parties per silent span; the span is no data for the source's
  components (``NoDataSpan``, extended each run, closed when it is heard from).
  PagerDuty and Opsgenie post only when something happens: their silence says
  nothing and is not checked.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlparse

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts import notifications as accounts_notifications
from accounts.models import Membership, User
from audit import services as audit
from availability.models import MonitoringSource, NoDataSpan, ProbeState, SourceSilence
from contracts import lock_objects
from contracts import services as contract_services
from contracts.access import contract_standing, require
from contracts.models import Contract
from core.actor import Actor, SystemActor
from core.errors import Conflict, InvalidInput

TOKEN_PREFIX = "cvm_"  # noqa: S105 - a public marker, not a secret
SOURCE_FIELDS = ["name", "kind", "interval_seconds", "component_label", "token_prefix", "registered_side"]
BUYER_ROLES = (Membership.Role.CONTRACT_MANAGER, Membership.Role.OPERATIONS)
VENDOR_ROLES = (Membership.Role.ACCOUNT_MANAGER, Membership.Role.SUPPORT_ENGINEER)
USE_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute
SILENCE_FLOOR = timedelta(minutes=10)
SILENCE_FACTOR = 3
CADENCED = (MonitoringSource.Kind.PROBE, MonitoringSource.Kind.ALERTMANAGER, MonitoringSource.Kind.STATUSPAGE)
WHOLE_SERVICE = "service"  # availability.data.WHOLE_SERVICE: the one component of a contract listing none
WATCHER = SystemActor("source watcher")
Side = MonitoringSource.Side


def _hash(token: str) -> str:
    from availability.services.monitoring import hash_token

    return hash_token(token)


def side_of(actor: Actor, contract: Contract) -> str | None:
    """The side an actor registers or accepts for; None: may not."""
    s = contract_standing(actor, contract)
    if s.is_staff:
        return Side.STAFF
    if s.is_buyer and s.has_role(*BUYER_ROLES):
        return Side.BUYER
    if s.is_vendor and s.has_role(*VENDOR_ROLES):
        return Side.VENDOR
    return None


def party_people(contract: Contract, side: str) -> list[User]:
    """The people of one party who may register and accept sources."""
    org, roles = (contract.buyer_id, BUYER_ROLES) if side == Side.BUYER else (contract.vendor_id, VENDOR_ROLES)
    return list(
        User.objects.filter(
            memberships__organization_id=org,
            memberships__role__in=roles,
            memberships__is_active=True,
            is_active=True,
        ).distinct()
    )


def _notify(
    *,
    users: Iterable[User],
    event: str,
    title: str,
    contract: Contract,
    sides: tuple[str, ...],
    body: str = "",
    url: str = "",
) -> None:
    """``accounts.services.notify`` with the event key, whichever signature it has
    (it moved from ``verb=`` to ``event=``, with the contract and the parties
    addressed for webhooks and contacts)."""
    params = inspect.signature(accounts_notifications.notify).parameters
    kwargs: dict[str, Any] = {"users": list(users), "title": title, "body": body, "url": url}
    kwargs["event" if "event" in params else "verb"] = event
    if "contract_id" in params:
        kwargs["contract_id"] = contract.pk
    if "organization_ids" in params:
        kwargs["organization_ids"] = [contract.buyer_id if side == Side.BUYER else contract.vendor_id for side in sides]
    accounts_notifications.notify(**kwargs)


def _url(source: MonitoringSource) -> str:
    return reverse("availability:sources", args=[source.contract_id])


def _clean_map(value: Any, errors: dict[str, list[str]]) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or len(value) > 200:
        errors["component_map"] = ["Must be an object of upstream id or name to component (at most 200)."]
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str) or not v.strip() or len(v) > 100 or not str(k).strip() or len(str(k)) > 200:
            errors["component_map"] = [f"Entry {str(k)[:40]!r}: map to a component name of at most 100 characters."]
            return {}
        out[str(k).strip()] = v.strip()
    return out


def register_source(
    *,
    actor: Actor,
    contract: Contract,
    name: str,
    kind: str,
    interval_seconds: int = 60,
    component_label: str = "component",
    component_map: dict[str, str] | None = None,
    pull_url: str = "",
) -> tuple[MonitoringSource, str]:
    """A new source and its token, in plain text this once (only its hash is kept)."""
    side = side_of(actor, contract)
    require(
        side is not None,
        "Only staff, the buyer's contract managers and operations, and the vendor's account managers "
        "and support engineers may register monitoring sources.",
    )
    contract_services.contract_require_accepted(contract, what="Monitoring sources (and so outages)")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = ["Give a name of at most 120 characters."]
    if kind not in MonitoringSource.Kind.values:
        errors["kind"] = [f"Must be one of: {', '.join(MonitoringSource.Kind.values)}."]
    if (
        isinstance(interval_seconds, bool)
        or not isinstance(interval_seconds, int)
        or not 1 <= interval_seconds <= 86_400
    ):
        errors["interval_seconds"] = ["Must be a whole number of seconds from 1 to 86400."]
    component_label = (component_label or "").strip()
    if not component_label or len(component_label) > 60:
        errors["component_label"] = ["Give the alert label naming the component (at most 60 characters)."]
    mapping = _clean_map(component_map, errors)
    pull_url = (pull_url or "").strip()
    if pull_url:
        parsed = urlparse(pull_url)
        if kind != MonitoringSource.Kind.STATUSPAGE:
            errors["pull_url"] = ["Only a Statuspage source is pulled."]
        elif parsed.scheme not in ("http", "https") or not parsed.netloc or len(pull_url) > 200:
            errors["pull_url"] = ["Must be an http(s) URL of at most 200 characters (incidents.json or summary.json)."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    assert side is not None  # require() refused everyone else
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    person = actor if isinstance(actor, User) else None
    with transaction.atomic():
        lock_objects.contract(contract.pk)
        source = MonitoringSource.objects.create(
            contract=contract,
            name=name,
            kind=kind,
            token_hash=_hash(token),
            token_prefix=token[:8],
            interval_seconds=interval_seconds,
            component_label=component_label,
            component_map=mapping,
            pull_url=pull_url,
            registered_by=person,
            registered_side=side,
            accepted_by=person if side == Side.STAFF else None,
            accepted_at=now if side == Side.STAFF else None,
        )
        audit.record(
            actor=actor,
            verb="monitoring_source.created",
            obj=source,
            contract_id=contract.pk,
            changes=audit.created(source, SOURCE_FIELDS),
        )
        if side != Side.STAFF:
            other = Side.VENDOR if side == Side.BUYER else Side.BUYER
            _notify(
                users=party_people(contract, other),
                event="source.proposed",
                contract=contract,
                sides=(other,),
                title=f"{contract.reference}: monitoring source '{name}' awaits your acceptance",
                body=f"The {side} registered {source.get_kind_display()} '{name}'. Its data counts once you accept it.",
                url=_url(source),
            )
    return source, token


def _locked(source: MonitoringSource) -> MonitoringSource:
    lock_objects.contract_of(source)  # the contract, then the source (core.locks)
    return (
        MonitoringSource.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__buyer", "contract__vendor")
        .get(pk=source.pk)
    )


def _decide(*, actor: Actor, source: MonitoringSource, accept: bool, reason: str) -> MonitoringSource:
    reason = (reason or "").strip()
    if not accept and not reason:
        raise InvalidInput("Give the reason for rejecting.", errors={"reason": ["Required to reject."]})
    with transaction.atomic():
        source = _locked(source)
        side = side_of(actor, source.contract)
        require(
            side in (Side.BUYER, Side.VENDOR) and side != source.registered_side,
            "Only the other party's managers, operations or support engineers may accept or reject this source.",
        )
        if source.status != MonitoringSource.Status.PROPOSED:
            raise Conflict(f"The source is {source.status}.", state=source.status, allowed=[])
        now = timezone.now()
        if accept:
            source.accepted_at, source.accepted_by = now, actor if isinstance(actor, User) else None
            fields = ["accepted_at", "accepted_by"]
        else:
            source.rejected_at, source.rejected_reason = now, reason
            fields = ["rejected_at", "rejected_reason"]
        source.save(update_fields=fields)
        verb = "accepted" if accept else "rejected"
        audit.record(
            actor=actor,
            verb=f"monitoring_source.{verb}",
            obj=source,
            contract_id=source.contract_id,
            changes={"status": [MonitoringSource.Status.PROPOSED, source.status], "reason": [None, reason]},
        )
        _notify(
            users=party_people(source.contract, source.registered_side),
            event="source.accepted",
            contract=source.contract,
            sides=(source.registered_side,),
            title=f"{source.contract.reference}: monitoring source '{source.name}' {verb}",
            body=reason,
            url=_url(source),
        )
    return source


def accept_source(*, actor: Actor, source: MonitoringSource) -> MonitoringSource:
    return _decide(actor=actor, source=source, accept=True, reason="")


def reject_source(*, actor: Actor, source: MonitoringSource, reason: str) -> MonitoringSource:
    return _decide(actor=actor, source=source, accept=False, reason=reason)


def revoke_source(*, actor: Actor, source: MonitoringSource) -> MonitoringSource:
    with transaction.atomic():
        source = _locked(source)
        require(
            side_of(actor, source.contract) is not None,
            "Only staff and the parties' managers, operations or support engineers may revoke sources.",
        )
        if source.revoked_at is not None:
            raise Conflict("The source's token is already revoked.", state="revoked", allowed=[])
        now = timezone.now()
        source.revoked_at = now
        source.save(update_fields=["revoked_at"])
        _close_silence(source, now)
        audit.record(
            actor=actor,
            verb="monitoring_source.revoked",
            obj=source,
            contract_id=source.contract_id,
            changes={"revoked_at": [None, source.revoked_at.isoformat()]},
        )
    return source


# -- the token's use and silence -----------------------------------------------------------------


def note_use(source: MonitoringSource, *, now: datetime | None = None) -> None:
    """The source was heard from: record the token's use (at most one UPDATE a
    minute) and end its silence if it was silent."""
    now = now or timezone.now()
    if source.last_used_at is None or now - source.last_used_at >= USE_RESOLUTION:
        MonitoringSource.objects.filter(pk=source.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - USE_RESOLUTION)
        ).update(last_used_at=now)
        source.last_used_at = now
    if source.silent_since is not None:
        end_silence(source=source, at=now)


def _close_silence(source: MonitoringSource, at: datetime) -> None:
    silence = SourceSilence.objects.filter(source=source, ended_at__isnull=True).first()
    if silence is not None:
        end = max(at, silence.started_at)
        silence.ended_at = end
        silence.save(update_fields=["ended_at"])
        NoDataSpan.objects.filter(source=source, start=silence.started_at).update(end=end)
    if source.silent_since is not None:
        source.silent_since = None
        source.save(update_fields=["silent_since"])


def end_silence(*, source: MonitoringSource, at: datetime) -> None:
    """The silent source spoke at ``at``: its silence (and no-data span) ends there."""
    with transaction.atomic():
        source = _locked(source)
        if source.silent_since is None:
            return
        since = source.silent_since
        _close_silence(source, at)
        audit.record(
            actor=WATCHER,
            verb="monitoring_source.heard_again",
            obj=source,
            contract_id=source.contract_id,
            changes={"silent": [since.isoformat(), at.isoformat()]},
        )


def silence_threshold(source: MonitoringSource) -> timedelta:
    return max(SILENCE_FACTOR * timedelta(seconds=source.interval_seconds), SILENCE_FLOOR)


def source_components(source: MonitoringSource) -> list[str]:
    """The components a source's silence leaves without data: what it has probed,
    else what its mapping names, else every component the contract covers."""
    covered = list(source.contract.covered_components or [])
    if not covered:
        return [WHOLE_SERVICE]
    if source.kind == MonitoringSource.Kind.PROBE:
        probed = set(ProbeState.objects.filter(source=source).values_list("component", flat=True))
        if probed & set(covered):
            return [c for c in covered if c in probed]
    mapped = set((source.component_map or {}).values()) & set(covered)
    return [c for c in covered if c in mapped] if mapped else covered


def silent_candidates(*, now: datetime) -> list[int]:
    """Ids of accepted, active, cadenced sources not heard from in time (a cheap
    pre-filter on the 10-minute floor; ``check_silence`` applies the exact rule)."""
    return list(
        MonitoringSource.objects.counting()
        .filter(revoked_at__isnull=True, silent_since__isnull=True, kind__in=CADENCED)
        .filter(
            Q(last_used_at__lt=now - SILENCE_FLOOR) | Q(last_used_at__isnull=True, created_at__lt=now - SILENCE_FLOOR)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def check_silence(*, source_id: int, now: datetime) -> bool:
    """Open a silence for this source if it is silent; True when one was opened.
    Idempotent: at most one open silence per source (a unique constraint)."""
    with transaction.atomic():
        contract_id = MonitoringSource.objects.filter(pk=source_id).values_list("contract_id", flat=True).first()
        if contract_id is None:
            return False
        lock_objects.contract(contract_id)  # the contract, then the source (core.locks)
        source = (
            MonitoringSource.objects.select_for_update(of=("self",))
            .select_related("contract", "contract__buyer", "contract__vendor")
            .get(pk=source_id)
        )
        heard = source.last_used_at or source.accepted_at or source.created_at
        if (
            source.silent_since is not None
            or source.revoked_at is not None
            or not source.counts
            or source.kind not in CADENCED
            or now - heard < silence_threshold(source)
        ):
            return False
        since = heard + timedelta(seconds=source.interval_seconds)
        try:
            with transaction.atomic():
                SourceSilence.objects.create(source=source, started_at=since, detected_at=now)
        except IntegrityError:  # opened concurrently
            return False
        source.silent_since = since
        source.save(update_fields=["silent_since"])
        NoDataSpan.objects.bulk_create(
            [
                NoDataSpan(contract=source.contract, source=source, component=c, start=since, end=now)
                for c in source_components(source)
            ],
            ignore_conflicts=True,
        )
        audit.record(
            actor=WATCHER,
            verb="monitoring_source.silent",
            obj=source,
            contract_id=source.contract_id,
            changes={"silent_since": [None, since.isoformat()]},
        )
        contract = source.contract
        _notify(
            users=[*party_people(contract, Side.BUYER), *party_people(contract, Side.VENDOR)],
            event="source.stale",
            contract=contract,
            sides=(Side.BUYER, Side.VENDOR),
            title=f"{contract.reference}: monitoring source '{source.name}' is silent",
            body=f"Nothing received since {heard:%Y-%m-%d %H:%M} UTC. The silence counts as no data, not as up.",
            url=_url(source),
        )
    return True


def extend_silences(*, now: datetime) -> int:
    """Carry every open silence's no-data spans up to now (two queries)."""
    open_spans = list(SourceSilence.objects.filter(ended_at__isnull=True).values_list("source_id", "started_at"))
    if not open_spans:
        return 0
    match = reduce(or_, (Q(source_id=sid, start=since) for sid, since in open_spans))
    return NoDataSpan.objects.filter(match, end__lt=now).update(end=now)


# -- what both parties see -------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceHealth:
    ok: bool
    silent_since: datetime | None
    coverage: Fraction | None  # percent of the period so far with data; None before the source existed


def source_health(sources: list[MonitoringSource], *, start: datetime, now: datetime) -> dict[int, SourceHealth]:
    """Health and coverage over [start, now) for each source, in one query: the
    share of the time since the later of ``start`` and the source's creation not
    covered by its no-data spans (merged across its components)."""
    from availability.engine import merge

    ids = [s.pk for s in sources]
    gaps: dict[int, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
    for sid, a, b in NoDataSpan.objects.filter(source_id__in=ids, start__lt=now, end__gt=start).values_list(
        "source_id", "start", "end"
    ):
        gaps[sid].append((a, b))
    out: dict[int, SourceHealth] = {}
    for s in sources:
        begin = max(start, s.created_at)
        spans = list(gaps[s.pk])
        if s.silent_since is not None:
            spans.append((s.silent_since, now))
        total = (now - begin).total_seconds()
        if total <= 0:
            out[s.pk] = SourceHealth(ok=s.silent_since is None, silent_since=s.silent_since, coverage=None)
            continue
        missing = sum(
            ((min(b, now) - max(a, begin)).total_seconds() for a, b in merge(spans) if min(b, now) > max(a, begin)),
            0.0,
        )
        coverage = Fraction(100) * (1 - Fraction(missing) / Fraction(total))
        out[s.pk] = SourceHealth(ok=s.silent_since is None, silent_since=s.silent_since, coverage=coverage)
    return out


def contract_sources(contract: Contract, *, now: datetime) -> tuple[list[MonitoringSource], dict[int, SourceHealth]]:
    """Every source of a contract (both parties see all of them) with its health
    and coverage over the current period so far: a fixed number of queries."""
    from availability.report import TermsBook, resolve_period

    book = TermsBook.load([contract.pk])
    period = resolve_period(None, book.terms(contract.pk, now), now)
    rows = list(
        MonitoringSource.objects.filter(contract=contract)
        .select_related("registered_by", "accepted_by")
        .order_by("name", "id")
    )
    return rows, source_health(rows, start=period.start, now=now)
