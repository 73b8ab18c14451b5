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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from operator import attrgetter
from typing import Any

from django.db.models import BigIntegerField, CharField, DateTimeField, Exists, Field, OuterRef, Q, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from availability.models import Outage
from contracts.models import Contract
from core.datetimes import when
from core.unions import Branch, union_rows
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


def _pk(text: str, prefix: str = "") -> int | None:
    text = text.split(":", 1)[0].strip().upper().removeprefix(prefix)
    return int(text) if text.isdigit() else None


# -- the automatic sources, read in one UNION ALL query --------------------------------------------
#
# Each source (and each kind of subject an open dispute may name) is one list of ``union_rows``.
# ``start`` and ``end`` are the span of what a row stands for: an outage, an incident (ended when
# resolved, closed or cancelled), a report's period, or the period of a dispute's own report.

Row = dict[str, Any]

_SHAPE: dict[str, Field[Any, Any]] = {
    # an open dispute
    "subject_type": TextField(),
    "subject_id": TextField(),
    "subject_label": TextField(),
    "stage_name": TextField(),
    "stage_index": BigIntegerField(),
    "report_id": BigIntegerField(),
    # a pending exclusion claim on an incident
    "kind": TextField(),
    "incident_id": BigIntegerField(),
    # an outage
    "exclusion": TextField(),
    "component": TextField(),
    # a credit
    "status": TextField(),
    "period": TextField(),
    "claim_deadline": DateTimeField(),
    # every row
    "start": DateTimeField(),
    "end": DateTimeField(),
}


def _incident_span_columns(path: str = "") -> dict[str, Any]:
    return {
        "start": f"{path}opened_at",
        "end": Coalesce(f"{path}resolved_at", f"{path}closed_at", f"{path}cancelled_at"),
    }


_OUTAGE = {"start": "start", "end": "end"}
_CREDIT = {"start": "report__period_start", "end": "report__period_end"}
_REPORT = {"start": "period_start", "end": "period_end"}


def _disputed(contract: Contract, subject: str) -> Exists:
    """Rows an open dispute of the contract may name: its subject id contains the row's pk. SQL
    cannot read ids the way ``_pk`` does (" inc-0012 : checkout" is 12), so this asks for a superset
    that ``_dispute_holds`` then matches exactly."""
    return Exists(
        Dispute.objects.open().filter(
            contract=contract,
            subject_type=subject,
            subject_id__contains=Cast(OuterRef("pk"), output_field=CharField()),
        )
    )


@dataclass
class _Sources:
    disputes: list[Row] = field(default_factory=list)
    claims: list[Row] = field(default_factory=list)
    outages: dict[int, Row] = field(default_factory=dict)
    incidents: dict[int, Row] = field(default_factory=dict)
    credits: dict[int, Row] = field(default_factory=dict)
    reports: dict[int, Row] = field(default_factory=dict)


def _by_pk(*lists: list[Row]) -> dict[int, Row]:
    """One row per pk: a row both claimed (or open) and disputed comes in two lists."""
    return {row["pk"]: row for rows in lists for row in rows}


def _sources(contract: Contract, now: datetime) -> _Sources:
    S, C = Dispute.Subject, Credit.Status
    outage_columns = {**_OUTAGE, "exclusion": "exclusion", "component": "component"}
    credit_columns = {**_CREDIT, "status": "status", "period": "report__period", "claim_deadline": "claim_deadline"}
    # Each EXISTS stands alone in its list's WHERE (not under an OR): a semi-join the database
    # plans from the few open disputes, not a subquery run for every row of the contract.
    rows = union_rows(
        _SHAPE,
        {
            "dispute": Branch(
                Dispute.objects.open().filter(contract=contract),
                {
                    "subject_type": "subject_type",
                    "subject_id": "subject_id",
                    "subject_label": "subject_label",
                    "stage_name": "stage_name",
                    "stage_index": "stage_index",
                    "report_id": "report_id",
                    "start": "report__period_start",
                    "end": "report__period_end",
                },
            ),
            "claim": Branch(
                ExclusionClaim.objects.filter(incident__contract=contract, status=ExclusionClaim.Status.PENDING),
                {"kind": "kind", "incident_id": "incident_id", **_incident_span_columns("incident__")},
            ),
            "claimed_outage": Branch(
                Outage.objects.filter(contract=contract, exclusion=Outage.Exclusion.CLAIMED), outage_columns
            ),
            "disputed_outage": Branch(
                Outage.objects.filter(contract=contract).filter(_disputed(contract, S.OUTAGE)), outage_columns
            ),
            "incident": Branch(
                Incident.objects.filter(contract=contract).filter(_disputed(contract, S.INCIDENT)),
                _incident_span_columns(),
            ),
            "open_credit": Branch(
                Credit.objects.filter(contract=contract).filter(
                    Q(status__in=[C.CLAIMED, C.DISPUTED]) | Q(status=C.CALCULATED, claim_deadline__gte=now)
                ),
                credit_columns,
            ),
            "disputed_credit": Branch(
                Credit.objects.filter(contract=contract).filter(_disputed(contract, S.CREDIT)), credit_columns
            ),
            "report": Branch(
                ServiceReport.objects.filter(contract=contract).filter(_disputed(contract, S.REPORT_LINE)), _REPORT
            ),
        },
    )
    return _Sources(
        disputes=rows["dispute"],
        claims=rows["claim"],
        outages=_by_pk(rows["claimed_outage"], rows["disputed_outage"]),
        incidents=_by_pk(rows["incident"]),
        credits=_by_pk(rows["open_credit"], rows["disputed_credit"]),
        reports=_by_pk(rows["report"]),
    )


def _subjects_by_lookup(contract: Contract, stores: dict[str, dict[int, Row]], missed: dict[str, set[int]]) -> None:
    """Subjects named in digits the ``contains`` superset cannot see (digits other than 0-9, which
    ``int()`` reads): looked up in one more query. Never for ids the services write."""
    S = Dispute.Subject
    subjects = {
        S.OUTAGE: (Outage.objects.filter(contract=contract), _OUTAGE),
        S.INCIDENT: (Incident.objects.filter(contract=contract), _incident_span_columns()),
        S.CREDIT: (Credit.objects.filter(contract=contract), _CREDIT),
        S.REPORT_LINE: (ServiceReport.objects.filter(contract=contract), _REPORT),
    }
    rows = union_rows(
        _SHAPE,
        {
            subject: Branch(qs.filter(pk__in=missed[subject]), columns)
            for subject, (qs, columns) in subjects.items()
            if missed.get(subject)
        },
    )
    for subject, found in rows.items():
        for pk, row in _by_pk(found).items():
            stores[subject].setdefault(pk, row)  # a row the sources read already has every column


def _incident_span(row: Row) -> tuple[datetime, datetime | None]:
    return _span(row["start"], row["end"], FACT_MARGIN)


def _dispute_holds(contract: Contract, found: _Sources) -> list[Hold]:
    S = Dispute.Subject
    stores: dict[str, dict[int, Row]] = {
        S.OUTAGE: found.outages,
        S.INCIDENT: found.incidents,
        S.CREDIT: found.credits,
        S.REPORT_LINE: found.reports,
    }
    missed: dict[str, set[int]] = {}
    for d in found.disputes:
        pk = _pk(d["subject_id"], "INC-")
        if pk is not None and str(pk) not in d["subject_id"] and d["subject_type"] in stores:
            missed.setdefault(d["subject_type"], set()).add(pk)
    if missed:
        _subjects_by_lookup(contract, stores, missed)
    holds = []
    for d in found.disputes:
        pk, subject_type = _pk(d["subject_id"], "INC-"), d["subject_type"]
        span: tuple[datetime, datetime | None] | None = None
        subject = stores[subject_type].get(pk) if subject_type in stores and pk is not None else None
        if subject is not None:
            if subject_type in (S.OUTAGE, S.INCIDENT):
                span = _span(subject["start"], subject["end"], FACT_MARGIN)
            else:  # a credit's report period, or the report's
                span = (subject["start"], subject["end"])
        if d["report_id"] is not None:  # the dispute's report
            span = _hull(span, (d["start"], d["end"]))
        label = f"Dispute D-{d['pk']} (stage {d['stage_index'] + 1}: {d['stage_name']}) on {d['subject_label']}"
        if span is None:
            holds.append(Hold(kind="dispute", label=label, whole=True))
        else:
            holds.append(Hold(kind="dispute", label=label, start=span[0], end=span[1]))
    return holds


def _claim_holds(found: _Sources) -> list[Hold]:
    holds = []
    for claim in found.claims:
        start, end = _incident_span(claim)
        kind = ExclusionClaim(kind=claim["kind"]).get_kind_display().lower()
        label = f"Pending exclusion claim ({kind}) on {Incident(pk=claim['incident_id']).reference}"
        holds.append(Hold(kind="exclusion_claim", label=label, start=start, end=end))
    claimed = sorted(
        (o for o in found.outages.values() if o["exclusion"] == Outage.Exclusion.CLAIMED), key=lambda o: o["pk"]
    )
    for outage in claimed:
        start, end = _span(outage["start"], outage["end"], FACT_MARGIN)
        label = f"Pending exclusion claim on Outage #{outage['pk']} ({outage['component']}, {when(outage['start'])})"
        holds.append(Hold(kind="exclusion_claim", label=label, start=start, end=end))
    return holds


def _review_holds(contract: Contract, reviews: Iterable[AnnualReview] | None) -> list[Hold]:
    if reviews is None:
        reviews = AnnualReview.objects.filter(contract=contract, status__in=OPEN_REVIEW)
    holds = []
    for review in sorted((r for r in reviews if r.status in OPEN_REVIEW), key=lambda r: (r.anniversary, r.pk)):
        end = datetime.combine(review.anniversary, time.min, tzinfo=UTC)
        start = end - timedelta(days=366)
        label = f"{review.label} ({review.get_status_display().lower()})"
        holds.append(Hold(kind="review", label=label, start=start - REVIEW_MARGIN, end=end + REVIEW_MARGIN))
    return holds


def _credit_holds(found: _Sources, now: datetime) -> list[Hold]:
    C = Credit.Status
    open_credits = sorted(
        (
            c
            for c in found.credits.values()
            if c["status"] in (C.CLAIMED, C.DISPUTED)
            or (c["status"] == C.CALCULATED and c["claim_deadline"] is not None and c["claim_deadline"] >= now)
        ),
        key=lambda c: (c["start"], c["pk"]),
    )
    holds = []
    for credit in open_credits:
        if credit["status"] == C.CALCULATED:
            why = f"Claim window for credit #{credit['pk']} ({credit['period']}) open until {when(credit['claim_deadline'])}"
        else:
            status = Credit(status=credit["status"]).get_status_display().lower()
            why = f"Open claim on credit #{credit['pk']} ({credit['period']}, {status})"
        holds.append(Hold(kind="credit", label=why, start=credit["start"], end=credit["end"]))
    return holds


def manual_hold(hold: LegalHold) -> Hold:
    label = f"Legal hold {hold.reference}: {hold.reason.strip()[:120]}"
    if hold.scope == LegalHold.Scope.CONTRACT:
        return Hold(kind="legal_hold", label=label, whole=True, legal_hold=hold)
    return Hold(kind="legal_hold", label=label, start=hold.starts_at, end=hold.ends_at, legal_hold=hold)


def legal_holds_of(contract: Contract, *, released: int) -> tuple[list[LegalHold], list[LegalHold]]:
    """The contract's active legal holds (oldest first) and its ``released`` most recently released
    ones (newest first), in one query."""
    recent = LegalHold.objects.filter(contract=contract, released_at__isnull=False).order_by("-released_at")
    rows = list(
        LegalHold.objects.filter(contract=contract)
        .filter(Q(released_at__isnull=True) | Q(pk__in=recent.values("pk")[:released]))
        .select_related("placed_by")
        .order_by("placed_at")
    )
    gone = sorted((h for h in rows if h.released_at is not None), key=attrgetter("released_at"), reverse=True)
    return [h for h in rows if h.released_at is None], gone


def holds_for(
    contract: Contract,
    *,
    now: datetime | None = None,
    legal_holds: Iterable[LegalHold] | None = None,
    reviews: Iterable[AnnualReview] | None = None,
) -> list[Hold]:
    """Every hold on the contract's evidence now: manual holds first, then the automatic ones.
    Three queries (legal holds, the automatic sources in one UNION ALL, open reviews), however many
    holds there are; fewer when the caller passes the contract's active ``legal_holds`` (oldest
    first) or its ``reviews`` (any status: the open ones are picked here), already loaded. (One
    more only for a dispute naming its subject in digits other than 0-9: ``_subjects_by_lookup``.)"""
    now = now or timezone.now()
    if legal_holds is None:
        legal_holds = (
            LegalHold.objects.active().filter(contract=contract).select_related("placed_by").order_by("placed_at")
        )
    found = _sources(contract, now)
    return [
        *(manual_hold(h) for h in legal_holds),
        *_dispute_holds(contract, found),
        *_claim_holds(found),
        *_review_holds(contract, reviews),
        *_credit_holds(found, now),
    ]


# The name the retention job and the issue use: the ranges that are held, each with its reason.
held_ranges = holds_for


def holding(holds: list[Hold], at: datetime | None) -> list[Hold]:
    """The holds that keep evidence of ``at``."""
    return [h for h in holds if h.covers(at)]
