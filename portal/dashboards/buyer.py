"""The buyer's panel: vendor scorecards, most in need of attention first. One
query for the scorecards (each figure a correlated subquery), one grouped
count of the window's breaches per vendor and severity, and one for their
availability sparklines. Availability and credits are the
stored figures (``ServiceReport`` headline columns of the current revisions,
the credit ledger), never a recomputation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery

from accounts.models import Organization
from contracts.models import Contract
from core.charts import APPLIED, OWED, SEVERITY_COLOURS, Point, Segment, sparkline, stacked_bar
from core.money import money
from core.subqueries import correlated_count, correlated_sum
from disputes.models import Dispute
from incidents.models import Incident, Severity
from portal.dashboards.common import BREACH_DAYS, LIST_LIMIT, SPARK_LOOKBACK_DAYS, SPARK_PERIODS, Roles, buyer_scope
from reports.models import Credit, ServiceReport


def breach_window_start(now: datetime) -> datetime:
    """Breaches count when the incident opened in the last ``BREACH_DAYS`` days (whole seconds, so
    the incident list link selects exactly the same incidents)."""
    return (now - timedelta(days=BREACH_DAYS)).replace(microsecond=0)


@dataclass
class Scorecard:
    vendor: Organization
    contracts: int
    termination: int
    termination_contract: tuple[int, str] | None  # (pk, reference) of the oldest termination right
    next_notice: date | None
    days_to_notice: int | None
    open_disputes: int
    breaches: dict[str, int]  # severity value -> breached incidents opened in the last BREACH_DAYS
    owed: Decimal
    applied: Decimal
    currency: str  # "" when the credits are in several currencies
    periods: list[SparkPeriod] = field(default_factory=list)

    @property
    def breach_total(self) -> int:
        return sum(self.breaches.values())

    @property
    def breach_rows(self) -> list[tuple[str, str, int]]:
        return [(s.value, str(s.label), self.breaches.get(s.value, 0)) for s in Severity]

    @property
    def breach_bar(self) -> str:
        parts = [Segment(label, n, SEVERITY_COLOURS[value]) for value, label, n in self.breach_rows]
        summary = ", ".join(f"{label} {n}" for _, label, n in self.breach_rows)
        return stacked_bar(parts, title=f"Breaches in the last {BREACH_DAYS} days: {summary}", empty_label="none")

    @property
    def owed_text(self) -> str:
        return money(self.owed, self.currency) if self.currency else "several currencies"

    @property
    def applied_text(self) -> str:
        return money(self.applied, self.currency) if self.currency else "several currencies"

    @property
    def credit_bar(self) -> str:
        parts = [
            Segment("Applied", self.applied, APPLIED, self.applied_text),
            Segment("Still owed", self.owed, OWED, self.owed_text),
        ]
        return stacked_bar(
            parts,
            title=f"Credits applied {self.applied_text}, still owed {self.owed_text}",
            empty_label="no credits",
        )

    @property
    def latest(self) -> SparkPeriod | None:
        return self.periods[-1] if self.periods else None

    @property
    def missed(self) -> int:
        return sum(1 for p in self.periods if p.met is False)

    @property
    def chart(self) -> str:
        points = [Point(p.short, p.worst, p.met) for p in self.periods]
        if self.latest is None:
            summary = "no closed period yet"
        else:
            summary = (
                f"latest {self.latest.period} {self.latest.worst_text}, "
                f"target missed in {self.missed} of {len(self.periods)}"
            )
        return sparkline(points, title=f"{self.vendor.name}: availability per closed period, {summary}")


@dataclass(frozen=True)
class SparkPeriod:
    period: str  # "2026-10", "2026-Q3"
    start: datetime
    worst: Decimal | None  # the lowest availability of the vendor's contracts that period
    met: bool | None  # every contract met its target (None: nothing measured)
    reports: int

    @property
    def short(self) -> str:
        return self.start.strftime("%b %y") if "Q" not in self.period else self.period

    @property
    def worst_text(self) -> str:
        return "no figure" if self.worst is None else f"{self.worst:.3f} %"


def vendor_scorecards(user: Any, roles: Roles, *, now: datetime, today: date) -> list[Scorecard]:
    """The buyer's vendors, most in need of attention first (breaches in the
    last 90 days, open disputes, termination rights), at most ``LIST_LIMIT``."""
    scope = buyer_scope(user, roles)
    mine = scope.filter(vendor_id=OuterRef("pk"))
    active = mine.filter(status=Contract.Status.ACTIVE)
    right = mine.filter(termination_right=True).order_by("termination_right_since", "reference")
    credits = Credit.objects.filter(contract__in=scope, contract__vendor_id=OuterRef("pk"))
    disputes = Dispute.objects.open().filter(contract__in=scope, contract__vendor_id=OuterRef("pk"))
    group = "contract__vendor_id"
    vendors = list(
        Organization.objects.filter(pk__in=scope.filter(status=Contract.Status.ACTIVE).values("vendor_id")).annotate(
            contracts=correlated_count(active, "vendor_id"),
            termination=correlated_count(mine.filter(termination_right=True), "vendor_id"),
            termination_pk=Subquery(right.values("pk")[:1]),
            termination_ref=Subquery(right.values("reference")[:1]),
            next_notice=Subquery(
                active.filter(notice_deadline__gte=today).order_by("notice_deadline").values("notice_deadline")[:1]
            ),
            open_disputes=correlated_count(disputes, group),
            owed=correlated_sum(credits.owed(now), group, "amount"),
            applied=correlated_sum(credits.filter(status=Credit.Status.APPLIED), group, "amount"),
            currency_low=Subquery(credits.order_by("currency").values("currency")[:1]),
            currency_high=Subquery(credits.order_by("-currency").values("currency")[:1]),
        )
    )
    # The breaches of the window, per vendor and severity, in one query: the recorded breaches
    # from their partial index (no table row read; a bitmap scan of the rows took 124-184 ms at 2M
    # incidents, a correlated count per vendor and severity 6.8 s), plus the few running targets
    # overdue since their last recompute. The two parts of ``breached()`` are disjoint.
    window = Incident.objects.filter(contract__in=scope, opened_at__gte=breach_window_start(now))
    per_vendor = ("contract__vendor_id", "severity")
    recorded = window.breached_recorded().values_list(*per_vendor).annotate(n=Count("*")).order_by()
    unrecorded = window.breached_unrecorded(now).values_list(*per_vendor).annotate(n=Count("*")).order_by()
    breaches: dict[int, dict[str, int]] = {}
    for vendor_id, severity, n in recorded.union(unrecorded, all=True):
        per = breaches.setdefault(vendor_id, {})
        per[severity] = per.get(severity, 0) + n
    by_vendor = {v.pk: {s.value: breaches.get(v.pk, {}).get(s.value, 0) for s in Severity} for v in vendors}
    vendors.sort(key=lambda v: (-sum(by_vendor[v.pk].values()), -v.open_disputes, -v.termination, v.name))
    vendors = vendors[:LIST_LIMIT]
    cards = [
        Scorecard(
            vendor=v,
            contracts=v.contracts,
            termination=v.termination,
            termination_contract=(v.termination_pk, v.termination_ref) if v.termination_pk else None,
            next_notice=v.next_notice,
            days_to_notice=(v.next_notice - today).days if v.next_notice else None,
            open_disputes=v.open_disputes,
            breaches=by_vendor[v.pk],
            owed=v.owed,
            applied=v.applied,
            currency=v.currency_low if v.currency_low == v.currency_high else "",
        )
        for v in vendors
    ]
    if cards:
        _attach_periods(cards, scope, now=now)
    return cards


def _attach_periods(cards: list[Scorecard], scope: QuerySet[Contract], *, now: datetime) -> None:
    """The last ``SPARK_PERIODS`` closed periods of each vendor, from the current
    report revisions: one row per vendor and period (its worst contract). The
    query looks back far enough for twelve quarters, so it returns at most
    ``LIST_LIMIT`` x 36 grouped rows whatever the number of contracts."""
    by_vendor = {c.vendor.pk: c for c in cards}
    rows = (
        ServiceReport.objects.current()
        .filter(
            contract__in=scope,
            contract__vendor_id__in=list(by_vendor),
            period_start__gte=now - timedelta(days=SPARK_LOOKBACK_DAYS),
        )
        .order_by()
        .values("contract__vendor_id", "period", "period_start")
        .annotate(
            worst=Min("availability"),
            missed=Count("pk", filter=Q(availability_met=False)),
            measured=Count("availability"),
            reports=Count("pk"),
        )
    )
    for row in sorted(rows, key=lambda r: r["period_start"]):
        met = None if not row["measured"] else row["missed"] == 0
        by_vendor[row["contract__vendor_id"]].periods.append(
            SparkPeriod(
                period=row["period"],
                start=row["period_start"],
                # SQLite hands MIN() back as a float-made decimal: back to the column's three places.
                worst=None if row["worst"] is None else Decimal(row["worst"]).quantize(Decimal("0.001")),
                met=met,
                reports=row["reports"],
            )
        )
    for card in cards:
        del card.periods[:-SPARK_PERIODS]
