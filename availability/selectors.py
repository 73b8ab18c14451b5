"""What the availability page reads besides the contract, its terms and the
stored figures: the facts of the live periods together with the lists the page
shows, one query per table whatever the number of rows.

``data.load_facts`` reads the same facts for the API and the reports, one query
per kind of fact. Here each table is read once for every purpose on the page
(the outages that count and the outage table's page, the windows judged and the
upcoming ones, the decided discrepancies and the selected period's), and the
contract's sources come with the small span-shaped facts (no-data spans, silent
probes, critical incidents) in one ``UNION ALL``. The contract comes joined to its
SLA versions, and the change notices joined to their messages.
``availability/tests/test_page_selectors.py`` holds the facts equal to
``load_facts``'s; keep the two in step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast

from availability.data import Facts
from availability.models import (
    ChangeMessage,
    ChangeNotice,
    Discrepancy,
    MaintenanceWindow,
    MonitoringSource,
    NoDataSpan,
    Outage,
    ProbeState,
    counts_q,
)
from availability.report import TermsBook
from contracts.access import get_visible_contract
from contracts.models import Contract, SLAVersion
from incidents.models import Incident

UPCOMING_SHOWN = 20
DECIDED = (Discrepancy.Status.RESOLVED, Discrepancy.Status.DISPUTED)
# The columns of the union of the contract's sources and their span-shaped facts, in this order in
# every branch: what the row is, its id, component (a source's name), start and end (a source's
# acceptance and rejection), a number (a source's interval, a no-data span's source, an incident's
# exclusion), and a source's kind, registering side, revocation and silence (null for the others).
ROW_COLUMNS = (
    "row_kind", "row_id", "row_component", "row_start", "row_end", "row_number",
    "row_source_kind", "row_side", "row_revoked_at", "row_silent_since",
)  # fmt: skip


@dataclass(frozen=True)
class PageRows:
    outages: list[Outage]  # the outage table's page, latest first
    upcoming: list[MaintenanceWindow]  # scheduled windows not over yet, soonest first
    sources: list[MonitoringSource]  # every source of the contract, revoked ones too, by name
    items: list[Discrepancy]  # the selected period's discrepancies


class PageReader:
    """Reads the page's rows, with the facts when ``load_facts`` is asked for
    them (``report.history`` asks once, for the span of the live periods;
    without terms it never does, and ``rows`` reads the lists alone)."""

    def __init__(
        self,
        contract: Contract,
        *,
        now: datetime,
        outages: QuerySet[Outage],
        offset: int,
        per_page: int,
        period_start: datetime,
    ) -> None:
        self.contract = contract
        self.now = now
        self.table = outages  # the outage table's rows (filtered), any order
        self.offset = offset
        self.per_page = per_page
        self.period_start = period_start
        self._rows: PageRows | None = None
        self._facts: Facts | None = None

    def load_facts(
        self, contract: Contract, *, start: datetime, end: datetime, critical_incidents: bool = True
    ) -> Facts:
        """``data.load_facts`` for this page's contract (``report.FactsLoader``)."""
        assert contract.pk == self.contract.pk and self._rows is None, "one load per page"
        self._read(span=(start, end), critical_incidents=critical_incidents)
        assert self._facts is not None
        return self._facts

    def rows(self) -> PageRows:
        if self._rows is None:
            self._read(span=None, critical_incidents=False)
        assert self._rows is not None
        return self._rows

    # -- one query per table ---------------------------------------------------------------

    def _read(self, *, span: tuple[datetime, datetime] | None, critical_incidents: bool) -> None:
        outages, counted = self._outages(span)
        windows, upcoming = self._windows(span)
        items, decisions = self._discrepancies(span)
        sources, incidents, no_data, silent = self._monitoring(span, critical_incidents=critical_incidents)
        self._rows = PageRows(outages=outages, upcoming=upcoming, sources=sources, items=items)
        if span is not None:
            self._facts = Facts(
                outages=counted,
                critical_incidents=incidents,
                windows=windows,
                no_data=no_data,
                silent=silent,
                decisions=decisions,
                source_sides={s.pk: s.registered_side for s in sources} if decisions else {},
            )

    @staticmethod
    def _flagged(queryset: QuerySet[Any], wanted: dict[str, Q]) -> QuerySet[Any]:
        """The rows matching any of ``wanted``, each with a flag per condition."""
        flags = {name: ExpressionWrapper(q, output_field=BooleanField()) for name, q in wanted.items()}
        return queryset.annotate(**flags).filter(reduce(or_, wanted.values()))

    def _outages(self, span: tuple[datetime, datetime] | None) -> tuple[list[Outage], list[Outage]]:
        """The table's page and (with a span) the outages that count in it, as ``load_facts`` has them."""
        page = self.table.order_by("-start", "-id").values("pk")[self.offset : self.offset + self.per_page]
        wanted = {"on_page": Q(pk__in=page)}
        if span is not None:
            counting = Outage.objects.filter(contract=self.contract).counting().overlapping(*span)
            wanted["counts"] = Q(pk__in=counting.values("pk"))
        rows = list(
            self._flagged(Outage.objects.filter(contract=self.contract), wanted).select_related(
                "monitoring_source", "created_by"
            )
        )
        listed = sorted((o for o in rows if o.on_page), key=lambda o: (o.start, o.pk), reverse=True)
        counted = sorted((o for o in rows if span is not None and o.counts), key=lambda o: (o.start, o.pk))
        return listed, counted

    def _windows(
        self, span: tuple[datetime, datetime] | None
    ) -> tuple[list[MaintenanceWindow], list[MaintenanceWindow]]:
        """The windows that can touch the span (as ``load_facts`` has them) and the upcoming ones."""
        upcoming = MaintenanceWindow.objects.filter(
            contract=self.contract, end__gte=self.now, status=MaintenanceWindow.Status.SCHEDULED
        ).order_by("start", "id")
        wanted = {"upcoming": Q(pk__in=upcoming.values("pk")[:UPCOMING_SHOWN])}
        if span is not None:
            wanted["judged"] = Q(start__lt=span[1], end__gt=span[0] - timedelta(days=1))
        rows = list(
            self._flagged(MaintenanceWindow.objects.filter(contract=self.contract), wanted)
            .select_related("created_by", "late_accepted_by")
            .order_by("-start", "-id")  # the model's order, as load_facts reads them
        )
        return [w for w in rows if span is not None and w.judged], [w for w in reversed(rows) if w.upcoming]

    def _discrepancies(self, span: tuple[datetime, datetime] | None) -> tuple[list[Discrepancy], list[Discrepancy]]:
        """The selected period's items (``reconciliation.period_items``) and the decided ones in the span."""
        wanted = {"listed": Q(period_start=self.period_start)}
        if span is not None:
            wanted["decided"] = Q(start__lt=span[1], end__gt=span[0], status__in=DECIDED)
        rows = list(
            self._flagged(Discrepancy.objects.filter(contract=self.contract), wanted)
            .select_related("proposed_source", "picked_source", "proposed_by", "decided_by")
            .order_by("start", "component", "pk")
        )
        decided = sorted((d for d in rows if span is not None and d.decided), key=lambda d: (d.start, d.pk))
        return [d for d in rows if d.listed], decided

    def _monitoring(
        self, span: tuple[datetime, datetime] | None, *, critical_incidents: bool
    ) -> tuple[list[MonitoringSource], list[Incident], list[NoDataSpan], list[tuple[str, datetime, int]]]:
        """The contract's sources and (with a span) what ``load_facts`` reads
        beside outages and windows: the counted no-data spans, the silent
        probes' last posts and the critical incidents with no outage. One
        ``UNION ALL`` of rows shaped alike (``ROW_COLUMNS``)."""
        contract = self.contract
        no_time = Cast(Value(None), output_field=DateTimeField())
        no_text = Cast(Value(None), output_field=CharField())

        def shaped(queryset: QuerySet[Any], kind: str, **columns: Any) -> QuerySet[Any]:
            padding = {
                "row_source_kind": no_text,
                "row_side": no_text,
                "row_revoked_at": no_time,
                "row_silent_since": no_time,
            }
            return (
                queryset.order_by().annotate(row_kind=Value(kind), **{**padding, **columns}).values_list(*ROW_COLUMNS)
            )

        branches = [
            shaped(
                MonitoringSource.objects.filter(contract=contract), "source",
                row_id=F("pk"), row_component=F("name"), row_start=F("accepted_at"), row_end=F("rejected_at"),
                row_number=F("interval_seconds"), row_source_kind=F("kind"), row_side=F("registered_side"),
                row_revoked_at=F("revoked_at"), row_silent_since=F("silent_since"),
            ),
        ]  # fmt: skip
        if span is not None:
            start, end = span
            branches += [
                shaped(
                    NoDataSpan.objects.filter(contract=contract, start__lt=end, end__gt=start).counting(), "nodata",
                    row_id=F("pk"), row_component=F("component"), row_start=F("start"), row_end=F("end"),
                    row_number=F("source_id"),
                ),
                shaped(
                    ProbeState.objects.filter(
                        counts_q("source__"),
                        source__contract=contract,
                        source__kind=MonitoringSource.Kind.PROBE,
                        source__revoked_at__isnull=True,
                    ),
                    "silent",
                    row_id=F("source_id"), row_component=F("component"), row_start=F("last_at"), row_end=no_time,
                    row_number=F("source__interval_seconds"),
                ),
            ]  # fmt: skip
            if critical_incidents:
                branches.append(
                    shaped(
                        Incident.objects.reportable()
                        .filter(contract=contract, severity="critical", environment="production", opened_at__lt=end)
                        .exclude(restore_met_at__lte=start)
                        .exclude(outages__isnull=False),
                        "incident",
                        row_id=F("pk"),
                        row_component=F("component"),
                        row_start=F("opened_at"),
                        row_end=F("restore_met_at"),
                        row_number=Cast("excluded", output_field=IntegerField()),
                    )  # fmt: skip
                )
        sources: list[MonitoringSource] = []
        incidents: list[Incident] = []
        no_data: list[NoDataSpan] = []
        silent: list[tuple[str, datetime, int]] = []
        rows = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
        for kind, pk, label, since, until, number, source_kind, side, revoked_at, silent_since in rows:
            if kind == "source":
                sources.append(MonitoringSource(pk=pk, contract=contract, name=label, kind=source_kind,
                                                accepted_at=since, rejected_at=until, interval_seconds=number,
                                                registered_side=side, revoked_at=revoked_at,
                                                silent_since=silent_since))  # fmt: skip
            elif kind == "nodata":
                no_data.append(NoDataSpan(pk=pk, contract=contract, source_id=number, component=label,
                                          start=since, end=until))  # fmt: skip
            elif kind == "silent":
                silent.append((label, since + timedelta(seconds=number), pk))
            else:
                incidents.append(Incident(pk=pk, contract=contract, component=label, opened_at=since,
                                          restore_met_at=until, excluded=bool(number), severity="critical",
                                          environment="production"))  # fmt: skip
        sources.sort(key=lambda s: (s.name, s.pk))
        no_data.sort(key=lambda n: n.start)
        return sources, incidents, no_data, silent


def change_log(contract: Contract, *, limit: int) -> list[ChangeNotice]:
    """The latest ``limit`` change notices, latest planned first, each with its
    thread of messages (``notice.thread``, oldest first): one query, the
    notices joined to their messages."""
    latest = ChangeNotice.objects.filter(contract=contract).order_by("-planned_at", "-id").values("pk")[:limit]
    notice_fields = [f.attname for f in ChangeNotice._meta.concrete_fields]
    message_fields = [f.attname for f in ChangeMessage._meta.concrete_fields]
    rows = (
        ChangeNotice.objects.filter(pk__in=latest)
        .order_by("-planned_at", "-id", "messages__created_at", "messages__id")
        .values_list(*notice_fields, *(f"messages__{f.removesuffix('_id')}" for f in message_fields))
    )
    db = ChangeNotice.objects.db
    notices: dict[int, ChangeNotice] = {}
    for row in rows:
        values, message = row[: len(notice_fields)], row[len(notice_fields) :]
        notice = notices.get(values[0])
        if notice is None:
            notice = notices[values[0]] = ChangeNotice.from_db(db, notice_fields, values)
            notice.thread = []  # type: ignore[attr-defined]
        if message[0] is not None:
            notice.thread.append(ChangeMessage.from_db(db, message_fields, message))  # type: ignore[attr-defined]
    return list(notices.values())


def contract_and_terms(user: Any, pk: int, *, annotate: Callable[[str], dict[str, Any]]) -> tuple[Contract, TermsBook]:
    """The contract if ``user`` may see it (404 otherwise, as ``get_visible_contract``)
    and its frozen SLA versions, in one query: the versions with their contract
    joined. ``annotate(ref)``: the page's scalar subqueries on the contract,
    ``ref`` naming the contract's id in the outer query. A contract with no
    frozen version is read alone (then no period is computed live)."""
    versions = list(
        SLAVersion.objects.frozen()
        .filter(contract_id=pk, contract__in=Contract.objects.visible_to(user))
        .select_related("contract__buyer", "contract__vendor")
        .annotate(**annotate("contract_id"))
    )
    if not versions:
        return get_visible_contract(user, pk, annotate=annotate("pk")), TermsBook([])
    contract = versions[0].contract
    for name in annotate("contract_id"):
        setattr(contract, name, getattr(versions[0], name))
    for version in versions:
        version.contract = contract
    return contract, TermsBook(versions)
