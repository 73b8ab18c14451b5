"""Scale data: thousands of contracts and millions of incidents, fast.

What goes through the real code and what is bulk-written:

* organizations and one buyer operations person: the accounts services
  (audit entries included);
* contracts, their active SLA version and both parties' acceptances: bulk.
  Every invariant the consent services keep is written as they would: the
  vendor has accepted the contract, the version is active from the start of
  the contract with ``activation_basis=accepted``, and one acceptance row per
  side carries the version's ``consent_checksum``. Bypassed: the audit
  entries and notifications of creating, proposing and accepting;
* incidents and their pauses: bulk, with every stored clock (due, met,
  elapsed, breached, next due, next risk) computed by ``incidents.sla.recompute``,
  the glue every incident service calls, on unsaved rows. No timeline events
  or audit entries (imported history has none either);
* outages: bulk, a few per contract and month;
* closed reports and their credit ledger rows: the real ``close_period``
  (snapshot, checksum, ledger, audit entry) for a sample of contracts
  (``close_contracts``), every ended month of the window. The other contracts
  have no closed report: a copied snapshot would not be what the close
  computes, and ``verify_reports`` would have nothing true to check.

PostgreSQL gets the big tables through COPY (psycopg's ``cursor.copy``);
SQLite gets batched INSERTs (``executemany``), all in one transaction.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.duration import duration_microseconds

from accounts import services as account_services
from accounts.models import Membership, Organization, User
from availability.models import Outage
from contracts.models import Contract, SLAVersion, SLAVersionAcceptance
from contracts.presets import preset_terms
from core import periods
from core.actor import SystemActor
from incidents import counters, sla
from incidents.clocks import due_time
from incidents.models import TARGET_KINDS, Incident, IncidentPause

ACTOR = SystemActor("system:generate_scale")
SEVERITY_MIX = (("critical", 2), ("high", 10), ("medium", 38), ("low", 50))  # percent
PRODUCTION_SHARE = 0.8
LATE_SHARE = 0.08  # incidents that miss a target on purpose
PAUSE_SHARE = 0.05  # finished incidents with one (ended) pause
OPEN_DAYS = 3  # incidents opened in the last days are still running
OUTAGES_PER_MONTH = 2  # per contract, on average
PRESETS = ("enterprise-24x7", "business-hours")
TITLES = (
    "Checkout API returns 502",
    "Login latency above 5 s",
    "Nightly settlement batch failed",
    "Webhook deliveries delayed",
    "Report export times out",
    "SSO redirect loop",
    "Dashboard shows stale data",
)
COMPONENTS = ["api", "web", "batch"]
BATCH = 20_000
CHUNK = 10_000  # incidents per unit of work (one COPY each)


@dataclass(frozen=True)
class Size:
    contracts: int
    incidents: int
    close_contracts: int


SIZES = {
    "small": Size(contracts=50, incidents=20_000, close_contracts=4),
    "200k": Size(contracts=1_000, incidents=200_000, close_contracts=20),
    "2m": Size(contracts=5_000, incidents=2_000_000, close_contracts=50),
}


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


class _Writer:
    """COPY on PostgreSQL, one multi-row INSERT per batch on SQLite (what
    bulk_create sends, without its per-value preparation, which cost two
    thirds of the time); explicit primary keys so child rows (pauses) can
    point at rows not yet written. Values are converted as the fields'
    ``get_db_prep_save`` would: the test reads rows back through the ORM."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def next_id(self, model: type[models.Model]) -> int:
        top = model._default_manager.aggregate(top=models.Max("pk"))["top"]
        return (top or 0) + 1

    def _converter(self, f: models.Field) -> Callable[[Any], Any] | None:
        if isinstance(f, models.JSONField):
            return lambda v: f.get_db_prep_save(v, connection)
        if self.postgres:
            return None  # psycopg adapts datetimes, intervals, decimals and dates itself
        if isinstance(f, models.DateTimeField):
            return lambda v: None if v is None else str(v.astimezone(UTC).replace(tzinfo=None))
        if isinstance(f, models.DurationField):
            return lambda v: None if v is None else duration_microseconds(v)
        if isinstance(f, models.DateField | models.DecimalField):
            return lambda v: f.get_db_prep_save(v, connection)
        return None

    def values(self, model: type[models.Model], rows: Sequence[models.Model]) -> list[list[Any]]:
        """Rows as database values, in ``concrete_fields`` order."""
        prep = [(f.attname, self._converter(f)) for f in model._meta.concrete_fields]
        return [[v[name] if fn is None else fn(v[name]) for name, fn in prep] for v in (r.__dict__ for r in rows)]

    def write(self, model: type[models.Model], rows: Sequence[models.Model]) -> None:
        self.write_values(model, self.values(model, rows))

    def write_values(self, model: type[models.Model], values: list[list[Any]]) -> None:
        if not values:
            return
        fields = model._meta.concrete_fields
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                # Table and column names come from the model, never from input.
                sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
                cursor.executemany(sql, values)

    def finish(self, models_: Iterable[type[models.Model]]) -> None:
        """After explicit ids: move PostgreSQL's sequences past them."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(models_)):
                cursor.execute(statement)


def _bare(model: type[models.Model], defaults: dict[str, Any], **values: Any) -> Any:
    """A model instance without Model.__init__ (a third of the per-row cost at
    millions of rows): every concrete field's default, then ``values``."""
    obj = model.__new__(model)
    obj.__dict__.update(defaults)
    obj.__dict__.update(values)
    obj._state = ModelState()
    return obj


def _defaults(model: type[models.Model], now: datetime) -> dict[str, Any]:
    out = {f.attname: f.get_default() for f in model._meta.concrete_fields}
    for f in model._meta.concrete_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            out[f.attname] = now
    return out


def generate(
    *,
    contracts: int,
    incidents: int,
    months: int = 12,
    seed: int = 1,
    close_contracts: int = 0,
    workers: int = 1,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Result:
    """Generate one buyer's portfolio: ``contracts`` contracts with
    ``incidents`` incidents spread over the last ``months`` months.
    ``workers`` processes compute the incidents' clocks (forked while this
    one holds the transaction; they never touch the database, this one writes)."""
    if contracts < 1 or incidents < 0 or months < 1:
        raise ValueError("contracts >= 1, incidents >= 0 and months >= 1 are required.")
    now = now or timezone.now()
    rng = random.Random(seed)
    result = Result()
    writer = _Writer()
    month_periods = periods.last_n(periods.last_ended(now, kind="month", zone="UTC"), months)
    window_start = month_periods[0].start

    def step(name: str, started: float, count: int | None = None) -> None:
        elapsed = time.perf_counter() - started
        result.seconds[name] = elapsed
        if count is not None:
            result.counts[name] = count
        rate = f" ({count / elapsed:,.0f} rows/s)" if count and elapsed > 0 else ""
        progress(f"{name}: {count if count is not None else '-':,} in {elapsed:.1f} s{rate}")

    started = time.perf_counter()
    buyer, vendors = _organizations(seed=seed, vendors=max(2, contracts // 20))
    step("organizations", started, 1 + len(vendors))

    with transaction.atomic():
        started = time.perf_counter()
        created, versions = _contracts(
            writer, rng, seed=seed, n=contracts, buyer=buyer, vendors=vendors, start=window_start, now=now
        )
        step("contracts", started, len(created))

        started = time.perf_counter()
        n_incidents, n_pauses = _incidents(
            writer,
            contracts=created,
            versions=versions,
            n=incidents,
            start=window_start,
            now=now,
            seed=seed,
            workers=workers,
        )
        step("incidents", started, n_incidents)
        result.counts["pauses"] = n_pauses

        started = time.perf_counter()
        n_outages = _outages(writer, rng, contracts=created, months=month_periods, now=now)
        step("outages", started, n_outages)
        writer.finish([Contract, SLAVersion, SLAVersionAcceptance, Incident, IncidentPause, Outage])

        # The rows bypassed the incident services, which keep the dashboards' counters: rebuild them.
        started = time.perf_counter()
        step("incident counters", started, counters.recount([c.pk for c in created]))

    if writer.postgres:
        # VACUUM also sets the visibility map, so index-only scans (the dashboards' breach counts)
        # read no table page from the start; autovacuum would get there later on its own. It cannot
        # run inside a transaction, where ANALYZE alone does.
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (Contract, SLAVersion, Incident, IncidentPause, Outage):
                cursor.execute(f"{verb} {connection.ops.quote_name(model._meta.db_table)}")

    started = time.perf_counter()
    reports, credits = _close(created[:close_contracts], months=months, now=now)
    step("reports", started, reports)
    result.counts["credits"] = credits
    return result


def _organizations(*, seed: int, vendors: int) -> tuple[Organization, list[Organization]]:
    slug = f"scale-{seed}"
    if Organization.objects.filter(slug=f"{slug}-buyer").exists():
        raise ValueError(f"Scale data for seed {seed} exists already: use another seed or a fresh database.")
    buyer = account_services.organization_create(
        actor=ACTOR, name=f"Scale Buyer {seed}", kind=Organization.Kind.BUYER, slug=f"{slug}-buyer"
    )
    # Operations: sees every contract of the buyer and, holding no signing
    # role, signs in without a second factor (benchmarks log in as this person).
    user = User.objects.create_user(username=f"{slug}-ops", email=f"{slug}-ops@scale.covenant.test")
    account_services.membership_add(actor=ACTOR, organization=buyer, user=user, role=Membership.Role.OPERATIONS)
    out = [
        account_services.organization_create(
            actor=ACTOR, name=f"Scale Vendor {seed}-{i:04d}", kind=Organization.Kind.VENDOR, slug=f"{slug}-v{i:04d}"
        )
        for i in range(vendors)
    ]
    return buyer, out


def _contracts(
    writer: _Writer,
    rng: random.Random,
    *,
    seed: int,
    n: int,
    buyer: Organization,
    vendors: list[Organization],
    start: datetime,
    now: datetime,
) -> tuple[list[Contract], dict[int, SLAVersion]]:
    terms = {p: preset_terms(p) for p in PRESETS}
    start_day = (start - timedelta(days=31)).date()
    c_defaults, v_defaults, a_defaults = (_defaults(m, now) for m in (Contract, SLAVersion, SLAVersionAcceptance))
    c_id, v_id, a_id = (writer.next_id(m) for m in (Contract, SLAVersion, SLAVersionAcceptance))
    contracts, versions, acceptances = [], [], []
    effective = datetime.combine(start_day, datetime.min.time(), tzinfo=UTC)
    for i in range(n):
        term_end = date(now.year + rng.randint(1, 3), rng.randint(1, 12), 1)
        notice = rng.choice([30, 60, 90, 120])
        vendor = vendors[i % len(vendors)]
        contract = _bare(
            Contract,
            c_defaults,
            id=c_id + i,
            reference=f"SCALE-{seed}-{i:06d}",
            product=f"Generated product {i}",
            buyer_id=buyer.pk,
            vendor_id=vendor.pk,
            status=Contract.Status.ACTIVE,
            start_date=start_day,
            term_end=term_end,
            notice_period_days=notice,
            notice_deadline=Contract.compute_notice_deadline(term_end, notice),
            monthly_fee=Decimal(rng.randrange(1_000, 90_000)),
            currency="EUR",
            covered_components=list(COMPONENTS),
            vendor_acceptance=Contract.VendorAcceptance.ACCEPTED,
            vendor_answered_at=effective,
        )
        preset = PRESETS[i % len(PRESETS)]
        version = _bare(
            SLAVersion,
            v_defaults,
            id=v_id + i,
            contract_id=contract.pk,
            number=1,
            status=SLAVersion.Status.ACTIVE,
            side=SLAVersion.Side.BUYER,
            effective_from=effective,
            proposed_from=effective,
            proposed_at=effective,
            activated_at=effective,
            activation_basis=SLAVersion.Basis.ACCEPTED,
            preset=preset,
            terms=terms[preset],
        )
        checksum = version.consent_checksum
        for k, (side, org) in enumerate(((SLAVersion.Side.BUYER, buyer), (SLAVersion.Side.VENDOR, vendor))):
            acceptances.append(
                _bare(
                    SLAVersionAcceptance,
                    a_defaults,
                    id=a_id + 2 * i + k,
                    version_id=version.pk,
                    side=side,
                    organization_id=org.pk,
                    accepted_by_id=None,
                    accepted_by_name=f"{org.name} (generated)",
                    accepted_at=effective,
                    checksum=checksum,
                )
            )
        contracts.append(contract)
        versions.append(version)
    writer.write(Contract, contracts)
    writer.write(SLAVersion, versions)
    writer.write(SLAVersionAcceptance, acceptances)
    return contracts, {v.contract_id: v for v in versions}


@dataclass(frozen=True)
class _Plan:
    """What every incident chunk needs; plain data, shared with worker
    processes by fork."""

    contracts: list[tuple[int, int]]  # (contract id, version id)
    versions: dict[int, SLAVersion]
    start: datetime
    now: datetime
    first_id: int
    first_pause_id: int
    seed: int


_PLAN: _Plan | None = None  # set before the worker processes fork


def _incident_chunk(bounds: tuple[int, int]) -> tuple[list[list[Any]], list[list[Any]]]:
    """Incidents ``first..last-1`` of the plan, their clocks computed by the
    engine, as database values. Each chunk has its own random stream, so the
    data is the same whatever the number of processes."""
    plan = _PLAN
    assert plan is not None
    first, last = bounds
    rng = random.Random(plan.seed * 1_000_003 + first)
    start, now = plan.start, plan.now
    i_defaults, p_defaults = _defaults(Incident, now), _defaults(IncidentPause, now)
    severities = [s for s, _ in SEVERITY_MIX]
    weights = [w for _, w in SEVERITY_MIX]
    span = (now - start).total_seconds() - 3600
    open_after = now - timedelta(days=OPEN_DAYS)
    rows: list[Incident] = []
    pauses: list[IncidentPause] = []
    for k in range(first, last):
        contract_id, version_id = plan.contracts[k % len(plan.contracts)]
        version = plan.versions[version_id]
        opened = start + timedelta(seconds=int(rng.uniform(0, span)))
        severity = rng.choices(severities, weights)[0]
        environment = "production" if rng.random() < PRODUCTION_SHARE else "non_production"
        row = _bare(
            Incident,
            i_defaults,
            id=plan.first_id + k,
            contract_id=contract_id,
            sla_version_id=version_id,
            title=TITLES[k % len(TITLES)],
            severity=severity,
            environment=environment,
            component=COMPONENTS[k % len(COMPONENTS)],
            opened_at=opened,
            imported=True,
            import_source="generate_scale",
        )
        row._state.fields_cache["sla_version"] = version  # sla.terms_of parses each version's terms once
        terms = sla.terms_of(row)
        targets = {kind: terms.target(severity, environment, kind) for kind in TARGET_KINDS}
        ack = targets["acknowledge"]
        fix = [t.duration for kind, t in targets.items() if t is not None and kind != "acknowledge"]
        ack_span = ack.duration if ack else timedelta(hours=1)
        fix_span = min(fix) if fix else timedelta(days=2)
        # Wall time never runs slower than business time: a fraction of the
        # target on the wall clock is on time on any clock.
        acked = opened + ack_span * rng.uniform(0.1, 0.9)
        resolved = max(acked + timedelta(minutes=1), opened + fix_span * rng.uniform(0.3, 0.95))
        if rng.random() < LATE_SHARE:
            kind = "acknowledge" if rng.random() < 0.4 else rng.choice(["restore", "resolve"])
            target = targets.get(kind)
            if target is not None:
                clock = sla.clock_of(terms, target)
                due = due_time(clock=clock, start=opened, target=target.duration, pauses=())
                if due is not None:
                    late = due + target.duration * rng.uniform(0.05, 1.0) + timedelta(minutes=1)
                    if kind == "acknowledge":
                        acked = late
                    resolved = max(resolved, late, acked + timedelta(minutes=1))
        running = opened >= open_after
        if running:
            status = Incident.Status.ACKNOWLEDGED if acked < now else Incident.Status.OPEN
            row.__dict__.update(status=status, acknowledged_at=acked if acked < now else None)
        else:
            row.__dict__.update(
                status=Incident.Status.CLOSED, acknowledged_at=acked, resolved_at=resolved, closed_at=resolved
            )
        row_pauses: list[IncidentPause] = []
        if not running and rng.random() < PAUSE_SHARE:
            length = resolved - opened
            began = opened + length * rng.uniform(0.1, 0.5)
            row_pauses.append(
                _bare(
                    IncidentPause,
                    p_defaults,
                    id=plan.first_pause_id + k,  # at most one per incident
                    incident_id=row.pk,
                    started_at=began,
                    ended_at=began + length * rng.uniform(0.1, 0.4),
                    reason="Waiting for the customer's logs",
                )
            )
        sla.recompute(row, now=now, pauses=row_pauses)
        if running:
            row.next_escalation_at = sla.next_escalation(sla.thresholds(row, now=now, pauses=row_pauses), set())
        row._state.fields_cache.clear()
        rows.append(row)
        pauses.extend(row_pauses)
    writer = _Writer()
    return writer.values(Incident, rows), writer.values(IncidentPause, pauses)


def _incidents(
    writer: _Writer,
    *,
    contracts: list[Contract],
    versions: dict[int, SLAVersion],
    n: int,
    start: datetime,
    now: datetime,
    seed: int,
    workers: int,
) -> tuple[int, int]:
    """Chunks of incidents computed in ``workers`` processes (fork; 1: in
    this process) and written here, in order, as they arrive."""
    global _PLAN
    _PLAN = _Plan(
        contracts=[(c.pk, versions[c.pk].pk) for c in contracts],
        versions={v.pk: v for v in versions.values()},
        start=start,
        now=now,
        first_id=writer.next_id(Incident),
        first_pause_id=writer.next_id(IncidentPause),
        seed=seed,
    )
    chunks = [(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK)]
    total = paused = 0
    try:
        if workers > 1 and len(chunks) > 1:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.imap(_incident_chunk, chunks)
                for rows, pauses in results:
                    writer.write_values(Incident, rows)
                    writer.write_values(IncidentPause, pauses)
                    total, paused = total + len(rows), paused + len(pauses)
        else:
            for bounds in chunks:
                rows, pauses = _incident_chunk(bounds)
                writer.write_values(Incident, rows)
                writer.write_values(IncidentPause, pauses)
                total, paused = total + len(rows), paused + len(pauses)
    finally:
        _PLAN = None
    return total, paused


def _outages(
    writer: _Writer, rng: random.Random, *, contracts: list[Contract], months: list[periods.Period], now: datetime
) -> int:
    defaults = _defaults(Outage, now)
    next_id = writer.next_id(Outage)
    rows: list[Outage] = []
    for contract in contracts:
        for month in months:
            seconds = int((month.end - month.start).total_seconds()) - 6 * 3600
            for _ in range(rng.choice(range(2 * OUTAGES_PER_MONTH + 1))):
                begin = month.start + timedelta(seconds=rng.randrange(seconds))
                roll = rng.random()
                exclusion = Outage.Exclusion.ACCEPTED if roll < 0.05 else Outage.Exclusion.CLAIMED if roll < 0.1 else ""
                rows.append(
                    _bare(
                        Outage,
                        defaults,
                        id=next_id + len(rows),
                        contract_id=contract.pk,
                        component=rng.choice(COMPONENTS),
                        start=begin,
                        end=begin + timedelta(minutes=rng.choice([2, 5, 8, 15, 30, 45, 90, 240])),
                        cause="Generated",
                        source=Outage.Source.MONITORING,
                        exclusion=exclusion,
                        exclusion_kind="third_party" if exclusion else "",
                        exclusion_reason="Upstream provider outage" if exclusion else "",
                    )
                )
    for i in range(0, len(rows), BATCH):
        writer.write(Outage, rows[i : i + BATCH])
    return len(rows)


def _close(contracts: list[Contract], *, months: int, now: datetime) -> tuple[int, int]:
    """Close every ended month of the window through the real close."""
    from reports.models import Credit, ServiceReport
    from reports.services import close_period

    before = Credit.objects.count()
    reports = 0
    for contract in Contract.objects.filter(pk__in=[c.pk for c in contracts]).order_by("pk"):
        up = contract.sla_versions.get(number=1).terms["uptime"]
        for p in periods.last_n(periods.last_ended(now, kind=up["period"], zone=up["timezone"]), months):
            if p.start.date() < contract.start_date:
                continue
            close_period(contract=contract, period=p.label, now=now)
            reports += 1
    assert ServiceReport.objects.filter(contract__in=contracts).count() >= reports
    return reports, Credit.objects.count() - before
