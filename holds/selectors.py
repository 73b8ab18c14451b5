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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from operator import attrgetter
from typing import Any

from django.db.models import BigIntegerField, CharField, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast
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


def _pk(text: str, prefix: str = "") -> int | None:
    text = text.split(":", 1)[0].strip().upper().removeprefix(prefix)
    return int(text) if text.isdigit() else None


# -- the automatic sources, read in one UNION ALL query --------------------------------------------
#
# Each source (and each kind of subject an open dispute may name) is one branch of the same shape:
# which source, its pk, four texts, two numbers and four instants. Branches carry no ORDER BY
# (SQLite refuses one inside a compound query): the lists are sorted here, by the keys the
# separate queries used to order by.

_TEXTS = ("s1", "s2", "s3", "s4")
_NUMBERS = ("n1", "n2")
_INSTANTS = ("d1", "d2", "d3", "d4")
_PREFIX = "hold_"
Row = dict[str, Any]


def _branch(qs: QuerySet[Any], source: str, **columns: str) -> QuerySet[Any]:
    """``qs`` as rows of the shared shape: ``columns`` names the fields that fill it, the rest are
    typed NULLs (PostgreSQL takes a bare NULL parameter for text, which a UNION will not match with
    a number or an instant; the first branch's types convert every row)."""
    shape: dict[str, Any] = {"source": Value(source, output_field=CharField()), "ref": F("pk")}
    for names, output in ((_TEXTS, CharField()), (_NUMBERS, BigIntegerField()), (_INSTANTS, DateTimeField())):
        for name in names:
            shape[name] = F(columns[name]) if name in columns else Cast(Value(None), output_field=output)
    # Prefixed: an annotation may not take a model field's name (``Outage.source``).
    return qs.order_by().values(**{f"{_PREFIX}{name}": value for name, value in shape.items()})


def _rows(qs: QuerySet[Any]) -> Iterator[Row]:
    for row in qs:
        yield {name.removeprefix(_PREFIX): value for name, value in row.items()}


def _disputed(contract: Contract, subject: str) -> Exists:
    """Rows an open dispute of the contract may name: its subject id contains the row's pk. A
    superset of what ``_pk`` reads, which ``_dispute_holds`` then matches exactly."""
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


def _sources(contract: Contract, now: datetime) -> _Sources:
    S, C = Dispute.Subject, Credit.Status
    disputes = _branch(
        Dispute.objects.open().filter(contract=contract),
        "dispute",
        s1="subject_type",
        s2="subject_id",
        s3="subject_label",
        s4="stage_name",
        n1="stage_index",
        n2="report_id",
        d1="report__period_start",
        d2="report__period_end",
    )
    claims = _branch(
        ExclusionClaim.objects.filter(incident__contract=contract, status=ExclusionClaim.Status.PENDING),
        "claim",
        s1="kind",
        n1="incident_id",
        d1="incident__opened_at",
        d2="incident__resolved_at",
        d3="incident__closed_at",
        d4="incident__cancelled_at",
    )
    # A row both claimed (or open) and disputed comes twice: the dicts below keep one.
    outage_columns = {"s1": "exclusion", "s2": "component", "d1": "start", "d2": "end"}
    claimed_outages = _branch(
        Outage.objects.filter(contract=contract, exclusion=Outage.Exclusion.CLAIMED), "outage", **outage_columns
    )
    disputed_outages = _branch(
        Outage.objects.filter(contract=contract).filter(_disputed(contract, S.OUTAGE)), "outage", **outage_columns
    )
    incidents = _branch(
        Incident.objects.filter(contract=contract).filter(_disputed(contract, S.INCIDENT)),
        "incident",
        d1="opened_at",
        d2="resolved_at",
        d3="closed_at",
        d4="cancelled_at",
    )
    credit_columns = {
        "s1": "status",
        "s2": "report__period",
        "d1": "report__period_start",
        "d2": "report__period_end",
        "d3": "claim_deadline",
    }
    open_credits = _branch(
        Credit.objects.filter(contract=contract).filter(
            Q(status__in=[C.CLAIMED, C.DISPUTED]) | Q(status=C.CALCULATED, claim_deadline__gte=now)
        ),
        "credit",
        **credit_columns,
    )
    disputed_credits = _branch(
        Credit.objects.filter(contract=contract).filter(_disputed(contract, S.CREDIT)), "credit", **credit_columns
    )
    reports = _branch(
        ServiceReport.objects.filter(contract=contract).filter(_disputed(contract, S.REPORT_LINE)),
        "report",
        d1="period_start",
        d2="period_end",
    )
    found = _Sources()
    # Each EXISTS stands alone in its branch's WHERE (not under an OR): a semi-join the database
    # plans from the few open disputes, not a subquery run for every row of the contract.
    others = (claims, claimed_outages, disputed_outages, incidents, open_credits, disputed_credits, reports)
    for row in _rows(disputes.union(*others, all=True)):
        if row["source"] == "dispute":
            found.disputes.append(row)
        elif row["source"] == "claim":
            found.claims.append(row)
        else:
            getattr(found, f"{row['source']}s")[row["ref"]] = row
    found.disputes.sort(key=lambda r: r["ref"])
    found.claims.sort(key=lambda r: r["ref"])
    return found


def _subjects_by_lookup(contract: Contract, found: _Sources, missed: dict[str, set[int]]) -> None:
    """Subjects named in digits the ``contains`` superset cannot see (digits other than 0-9, which
    ``int()`` reads): looked up as rows of the same shape. Never for ids the services write."""
    S = Dispute.Subject
    for subject, qs, columns in (
        (S.OUTAGE, Outage.objects.filter(contract=contract), {"d1": "start", "d2": "end"}),
        (
            S.INCIDENT,
            Incident.objects.filter(contract=contract),
            {"d1": "opened_at", "d2": "resolved_at", "d3": "closed_at", "d4": "cancelled_at"},
        ),
        (
            S.CREDIT,
            Credit.objects.filter(contract=contract),
            {"d1": "report__period_start", "d2": "report__period_end"},
        ),
        (S.REPORT_LINE, ServiceReport.objects.filter(contract=contract), {"d1": "period_start", "d2": "period_end"}),
    ):
        if missed.get(subject):
            store = getattr(found, {S.REPORT_LINE: "reports"}.get(subject, f"{subject}s"))
            for row in _rows(_branch(qs.filter(pk__in=missed[subject]), subject, **columns)):
                store[row["ref"]] = row


def _incident_span(row: Row) -> tuple[datetime, datetime | None]:
    """An incident's span, from a row's (opened, resolved, closed, cancelled) instants."""
    return _span(row["d1"], row["d2"] or row["d3"] or row["d4"], FACT_MARGIN)


def _dispute_holds(contract: Contract, found: _Sources) -> list[Hold]:
    S = Dispute.Subject
    stores = {
        S.OUTAGE: found.outages,
        S.INCIDENT: found.incidents,
        S.CREDIT: found.credits,
        S.REPORT_LINE: found.reports,
    }
    missed: dict[str, set[int]] = {}
    for d in found.disputes:
        pk = _pk(d["s2"], "INC-")
        if pk is not None and str(pk) not in d["s2"] and d["s1"] in stores:
            missed.setdefault(d["s1"], set()).add(pk)
    if missed:
        _subjects_by_lookup(contract, found, missed)
    holds = []
    for d in found.disputes:
        pk, subject_type = _pk(d["s2"], "INC-"), d["s1"]
        span: tuple[datetime, datetime | None] | None = None
        subject = stores[subject_type].get(pk) if subject_type in stores and pk is not None else None
        if subject is not None:
            if subject_type == S.OUTAGE:
                span = _span(subject["d1"], subject["d2"], FACT_MARGIN)
            elif subject_type == S.INCIDENT:
                span = _incident_span(subject)
            else:  # a credit's report period, or the report's
                span = (subject["d1"], subject["d2"])
        if d["n2"] is not None:  # the dispute's report
            span = _hull(span, (d["d1"], d["d2"]))
        label = f"Dispute D-{d['ref']} (stage {d['n1'] + 1}: {d['s4']}) on {d['s3']}"
        if span is None:
            holds.append(Hold(kind="dispute", label=label, whole=True))
        else:
            holds.append(Hold(kind="dispute", label=label, start=span[0], end=span[1]))
    return holds


def _claim_holds(found: _Sources) -> list[Hold]:
    holds = []
    for claim in found.claims:
        start, end = _incident_span(claim)
        kind = ExclusionClaim(kind=claim["s1"]).get_kind_display().lower()
        label = f"Pending exclusion claim ({kind}) on {Incident(pk=claim['n1']).reference}"
        holds.append(Hold(kind="exclusion_claim", label=label, start=start, end=end))
    claimed = sorted((o for o in found.outages.values() if o["s1"] == Outage.Exclusion.CLAIMED), key=lambda o: o["ref"])
    for outage in claimed:
        start, end = _span(outage["d1"], outage["d2"], FACT_MARGIN)
        label = f"Pending exclusion claim on Outage #{outage['ref']} ({outage['s2']}, {when(outage['d1'])})"
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
            if c["s1"] in (C.CLAIMED, C.DISPUTED)
            or (c["s1"] == C.CALCULATED and c["d3"] is not None and c["d3"] >= now)
        ),
        key=lambda c: (c["d1"], c["ref"]),
    )
    holds = []
    for credit in open_credits:
        if credit["s1"] == C.CALCULATED:
            why = f"Claim window for credit #{credit['ref']} ({credit['s2']}) open until {when(credit['d3'])}"
        else:
            status = Credit(status=credit["s1"]).get_status_display().lower()
            why = f"Open claim on credit #{credit['ref']} ({credit['s2']}, {status})"
        holds.append(Hold(kind="credit", label=why, start=credit["d1"], end=credit["d2"]))
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
