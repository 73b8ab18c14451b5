"""What the availability page reads besides the contract, its terms and the
stored figures: the facts of the live periods together with the lists the page
shows, one query per table whatever the number of rows.

``data.load_facts`` reads the same facts for the API and the reports, one query
per kind of fact. Here each table is read once for every purpose on the page
(the outages that count and the outage table's page, the windows judged and the
upcoming ones, the decided discrepancies and the selected period's), and the
contract's sources come with the small span-shaped facts (no-data spans, silent
probes, critical incidents) in one ``UNION ALL`` (``core.unions``). Which rows
are facts is stated once, in ``availability.data`` (``outages_in``,
``windows_in``...), for both readers. The contract comes joined to its SLA
versions, and the change notices joined to their messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Field,
    IntegerField,
    Q,
    QuerySet,
)

from availability.data import (
    Facts,
    critical_incidents_in,
    decisions_in,
    no_data_in,
    outages_in,
    silent_probes,
    windows_in,
)
from availability.models import (
    ChangeMessage,
    ChangeNotice,
    Discrepancy,
    MaintenanceWindow,
    MonitoringSource,
    NoDataSpan,
    Outage,
)
from availability.report import TermsBook
from contracts.access import get_visible_contract
from contracts.models import Contract, SLAVersion
from core.unions import Branch, union_rows
from incidents.models import Incident

UPCOMING_SHOWN = 20
# The columns of the union of the contract's sources and their span-shaped facts, each named
# after the model field it holds; a branch fills those its model has (``_monitoring``).
MONITORING_SHAPE: dict[str, Field[Any, Any]] = {
    # a source
    "name": CharField(),
    "kind": CharField(),
    "registered_side": CharField(),
    "accepted_at": DateTimeField(),
    "rejected_at": DateTimeField(),
    "revoked_at": DateTimeField(),
    "silent_since": DateTimeField(),
    "interval_seconds": IntegerField(),  # and a probe state's source's
    # the facts: a no-data span (component, source, start, end), a probe state (component,
    # source, last post) and an incident (component, opened, restored, excluded)
    "component": CharField(),
    "source_id": BigIntegerField(),
    "start": DateTimeField(),
    "end": DateTimeField(),
    "last_at": DateTimeField(),
    "opened_at": DateTimeField(),
    "restore_met_at": DateTimeField(),
    "excluded": BooleanField(),
}
SOURCE_COLUMNS = (
    "name", "kind", "registered_side", "accepted_at", "rejected_at", "revoked_at", "silent_since", "interval_seconds",
)  # fmt: skip


def _same(*columns: str) -> dict[str, str]:
    """Shape columns filled from the model fields of the same name."""
    return {column: column for column in columns}


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
            wanted["counts"] = Q(pk__in=outages_in(self.contract, start=span[0], end=span[1]).values("pk"))
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
            wanted["judged"] = Q(pk__in=windows_in(self.contract, start=span[0], end=span[1]).values("pk"))
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
            wanted["decided"] = Q(pk__in=decisions_in(self.contract, start=span[0], end=span[1]).values("pk"))
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
        """The contract's sources (by name) and, with a span, what ``load_facts`` reads beside
        outages and windows, in its order: the counted no-data spans, the silent probes' last
        posts and the critical incidents with no outage. One ``UNION ALL``."""
        contract = self.contract
        branches = {
            "sources": Branch(
                MonitoringSource.objects.filter(contract=contract),
                _same(*SOURCE_COLUMNS),
                [F("name").asc(), F("pk").asc()],
            )
        }
        if span is not None:
            start, end = span
            branches["no_data"] = Branch(
                no_data_in(contract, start=start, end=end),
                _same("component", "source_id", "start", "end"),
                [F("start").asc(), F("pk").asc()],
            )
            branches["silent"] = Branch(
                silent_probes(contract),
                {**_same("component", "source_id", "last_at"), "interval_seconds": "source__interval_seconds"},
            )
            if critical_incidents:
                branches["incidents"] = Branch(
                    critical_incidents_in(contract, start=start, end=end),
                    _same("component", "opened_at", "restore_met_at", "excluded"),
                    [F("opened_at").desc(), F("pk").desc()],  # the model's order, as load_facts reads them
                )
        rows = union_rows(MONITORING_SHAPE, branches)
        sources = [
            MonitoringSource(pk=r["pk"], contract=contract, **{c: r[c] for c in SOURCE_COLUMNS})
            for r in rows["sources"]
        ]
        no_data = [
            NoDataSpan(pk=r["pk"], contract=contract, source_id=r["source_id"], component=r["component"],
                       start=r["start"], end=r["end"])
            for r in rows.get("no_data", [])
        ]  # fmt: skip
        silent = [
            (r["component"], r["last_at"] + timedelta(seconds=r["interval_seconds"]), r["source_id"])
            for r in rows.get("silent", [])
        ]
        incidents = [
            Incident(pk=r["pk"], contract=contract, component=r["component"], opened_at=r["opened_at"],
                     restore_met_at=r["restore_met_at"], excluded=bool(r["excluded"]), severity="critical",
                     environment="production")
            for r in rows.get("incidents", [])
        ]  # fmt: skip
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
