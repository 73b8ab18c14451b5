"""What holds a contract's evidence now, and why: THE answer the purge, the deletion guards, the
contract page and the API share.

Automatic holds are computed, never stored, so they end by themselves when what they stand for
ends (a dispute resolved, a claim decided, a review signed, a claim window closed):

- an open dispute holds the period its subject falls in (the report of that period may be
  reissued from its evidence when the dispute is resolved), or the subject's own span when
  no report of the period exists yet;
- a pending exclusion claim (on an incident or on an outage) holds the span of what it claims;
- an open annual review holds the contract year it reviews;
- a credit still open to a claim (calculated within its window) or under an open claim (claimed,
  disputed) holds its report's period;
- an active manual legal hold holds its period, or the whole contract.

A hold whose subject can no longer be found holds the whole contract: when in doubt, keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from availability.models import Outage
from contracts.models import Contract
from core.datetimes import when
from disputes.models import Dispute
from holds.models import LegalHold
from incidents.models import ExclusionClaim, Incident
from reports.models import Credit, ServiceReport
from reviews.models import AnnualReview

# Around a single fact (an outage, an incident) the evidence arrives a little before and after
# its recorded span: the alert that opened it, the resolved notice or the probe that closed it.
FACT_MARGIN = timedelta(hours=1)
# An annual review looks at the contract year that ends on its anniversary; a day either side
# covers the anniversary's time zone.
REVIEW_MARGIN = timedelta(days=1)

OPEN_REVIEW = (
    AnnualReview.Status.PREPARING,
    AnnualReview.Status.IN_REVIEW,
    AnnualReview.Status.AWAITING_SIGNATURES,
)


@dataclass(frozen=True)
class Hold:
    """One reason the contract's evidence is kept: everything of the contract (``whole``), or
    what was received or happened in [start, end) (``end`` None: still running)."""

    kind: str  # "legal_hold", "dispute", "exclusion_claim", "review", "credit"
    label: str
    start: datetime | None = None
    end: datetime | None = None
    whole: bool = False
    legal_hold: LegalHold | None = None

    def covers(self, at: datetime | None) -> bool:
        """Whether evidence of the contract at ``at`` is held (None: not tied to a time, such as a
        contract document, which only a whole-contract hold holds)."""
        if self.whole:
            return True
        if at is None:
            return False
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)

    def q(self, field: str) -> Q:
        """Rows whose ``field`` this hold covers; a whole-contract hold matches every row."""
        if self.whole:
            return Q(pk__isnull=False)
        q = Q(pk__isnull=False)
        if self.start is not None:
            q &= Q(**{f"{field}__gte": self.start})
        if self.end is not None:
            q &= Q(**{f"{field}__lt": self.end})
        return q

    @property
    def scope_text(self) -> str:
        if self.whole:
            return "The whole contract"
        return f"{when(self.start)} – {when(self.end) if self.end else 'ongoing'}"


def _span(start: datetime, end: datetime | None, margin: timedelta) -> tuple[datetime, datetime | None]:
    return start - margin, (end + margin) if end is not None else None


def _hull(
    a: tuple[datetime, datetime | None] | None, b: tuple[datetime, datetime | None] | None
) -> tuple[datetime, datetime | None] | None:
    if a is None or b is None:
        return a or b
    end = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return min(a[0], b[0]), end


def _incident_end(incident: Incident) -> datetime | None:
    return incident.resolved_at or incident.closed_at or incident.cancelled_at


def _pk(text: str, prefix: str = "") -> int | None:
    text = text.split(":", 1)[0].strip().upper().removeprefix(prefix)
    return int(text) if text.isdigit() else None


def _dispute_holds(contract: Contract) -> list[Hold]:
    disputes = list(Dispute.objects.open().filter(contract=contract).select_related("report").order_by("pk"))
    S = Dispute.Subject
    ids: dict[str, set[int]] = {kind: set() for kind in S.values}
    for d in disputes:
        pk = _pk(d.subject_id, "INC-")
        if pk is not None:
            ids[d.subject_type].add(pk)
    outages = Outage.objects.filter(contract=contract, pk__in=ids[S.OUTAGE]).in_bulk() if ids[S.OUTAGE] else {}
    incidents = Incident.objects.filter(contract=contract, pk__in=ids[S.INCIDENT]).in_bulk() if ids[S.INCIDENT] else {}
    credits = (
        Credit.objects.filter(contract=contract, pk__in=ids[S.CREDIT]).select_related("report").in_bulk()
        if ids[S.CREDIT]
        else {}
    )
    reports = (
        ServiceReport.objects.filter(contract=contract, pk__in=ids[S.REPORT_LINE]).in_bulk()
        if ids[S.REPORT_LINE]
        else {}
    )
    holds = []
    for d in disputes:
        pk = _pk(d.subject_id, "INC-")
        span: tuple[datetime, datetime | None] | None = None
        if d.subject_type == S.OUTAGE and pk in outages:
            outage = outages[pk]
            span = _span(outage.start, outage.end, FACT_MARGIN)
        elif d.subject_type == S.INCIDENT and pk in incidents:
            incident = incidents[pk]
            span = _span(incident.opened_at, _incident_end(incident), FACT_MARGIN)
        elif d.subject_type == S.CREDIT and pk in credits:
            report = credits[pk].report
            span = (report.period_start, report.period_end)
        elif d.subject_type == S.REPORT_LINE and pk in reports:
            span = (reports[pk].period_start, reports[pk].period_end)
        if d.report is not None:
            span = _hull(span, (d.report.period_start, d.report.period_end))
        label = f"Dispute D-{d.pk} (stage {d.stage_index + 1}: {d.stage_name}) on {d.subject_label}"
        if span is None:
            holds.append(Hold(kind="dispute", label=label, whole=True))
        else:
            holds.append(Hold(kind="dispute", label=label, start=span[0], end=span[1]))
    return holds


def _claim_holds(contract: Contract) -> list[Hold]:
    holds = []
    claims = (
        ExclusionClaim.objects.filter(incident__contract=contract, status=ExclusionClaim.Status.PENDING)
        .select_related("incident")
        .order_by("pk")
    )
    for claim in claims:
        start, end = _span(claim.incident.opened_at, _incident_end(claim.incident), FACT_MARGIN)
        label = f"Pending exclusion claim ({claim.get_kind_display().lower()}) on {claim.incident.reference}"
        holds.append(Hold(kind="exclusion_claim", label=label, start=start, end=end))
    outages = Outage.objects.filter(contract=contract, exclusion=Outage.Exclusion.CLAIMED).order_by("pk")
    for outage in outages:
        start, end = _span(outage.start, outage.end, FACT_MARGIN)
        label = f"Pending exclusion claim on Outage #{outage.pk} ({outage.component}, {when(outage.start)})"
        holds.append(Hold(kind="exclusion_claim", label=label, start=start, end=end))
    return holds


def _review_holds(contract: Contract) -> list[Hold]:
    holds = []
    reviews = AnnualReview.objects.filter(contract=contract, status__in=OPEN_REVIEW).order_by("anniversary", "pk")
    for review in reviews:
        end = datetime.combine(review.anniversary, time.min, tzinfo=UTC)
        start = end - timedelta(days=366)
        label = f"{review.label} ({review.get_status_display().lower()})"
        holds.append(Hold(kind="review", label=label, start=start - REVIEW_MARGIN, end=end + REVIEW_MARGIN))
    return holds


def _credit_holds(contract: Contract, now: datetime) -> list[Hold]:
    C = Credit.Status
    open_credits = (
        Credit.objects.filter(contract=contract)
        .filter(Q(status__in=[C.CLAIMED, C.DISPUTED]) | Q(status=C.CALCULATED, claim_deadline__gte=now))
        .select_related("report")
        .order_by("report__period_start", "pk")
    )
    holds = []
    for credit in open_credits:
        if credit.status == C.CALCULATED:
            why = f"Claim window for credit #{credit.pk} ({credit.report.period}) open until {when(credit.claim_deadline)}"
        else:
            why = f"Open claim on credit #{credit.pk} ({credit.report.period}, {credit.get_status_display().lower()})"
        holds.append(Hold(kind="credit", label=why, start=credit.report.period_start, end=credit.report.period_end))
    return holds


def manual_hold(hold: LegalHold) -> Hold:
    label = f"Legal hold {hold.reference}: {hold.reason.strip()[:120]}"
    if hold.scope == LegalHold.Scope.CONTRACT:
        return Hold(kind="legal_hold", label=label, whole=True, legal_hold=hold)
    return Hold(kind="legal_hold", label=label, start=hold.starts_at, end=hold.ends_at, legal_hold=hold)


def holds_for(contract: Contract, *, now: datetime | None = None) -> list[Hold]:
    """Every hold on the contract's evidence now: manual holds first, then the automatic ones.
    A constant number of queries, however many holds there are."""
    now = now or timezone.now()
    manual = LegalHold.objects.active().filter(contract=contract).select_related("placed_by").order_by("placed_at")
    return [
        *(manual_hold(h) for h in manual),
        *_dispute_holds(contract),
        *_claim_holds(contract),
        *_review_holds(contract),
        *_credit_holds(contract, now),
    ]


# The name the retention job and the issue use: the ranges that are held, each with its reason.
held_ranges = holds_for


def holding(holds: list[Hold], at: datetime | None) -> list[Hold]:
    """The holds that keep evidence of ``at``."""
    return [h for h in holds if h.covers(at)]
