"""What one incident's page reads, in a fixed number of queries whatever the rows.

The incident comes with its header rows joined, the viewer's board seat and
its timeline and attachments prefetched. Its small records (pauses, exclusion
claims, severity changes, links to other contracts, ticked playbook steps: a
handful each) come together in one ``UNION ALL`` of a common shape, rebuilt
here into the models the template and the services know. The parties' people
(contacts and active members) are read once for the playbook and the
assignee choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Value
from django.db.models.functions import Cast

from accounts.access import Standing, standing
from accounts.models import Organization, User
from contracts.access import contract_standing
from contracts.models import BoardSeat, Contract
from contracts.onboarding.selectors import PartyRows, party_rows
from incidents.models import (
    ExclusionClaim,
    Incident,
    IncidentAttachment,
    IncidentLink,
    IncidentPause,
    IncidentPlaybookTick,
    SeverityChange,
)

# What every incident page reads with the incident itself.
HEADER = (
    "contract",
    "contract__buyer",
    "contract__vendor",
    "original_contract",
    "sla_version",
    "opened_by",
    "assignee",
)


@dataclass(frozen=True)
class Detail:
    """The incident and everything its page shows (``incident.events`` and
    ``incident.attachments`` are prefetched; ``claims`` and ``severity_changes``
    newest first, ``pauses`` oldest first, ``links`` in the order they were made)."""

    incident: Incident
    standing: Standing
    claims: list[ExclusionClaim]
    severity_changes: list[SeverityChange]
    pauses: list[IncidentPause]
    links: list[IncidentLink]
    ticks: list[IncidentPlaybookTick]
    people: PartyRows


def with_viewer_flags(incidents: QuerySet[Incident], user: Any, *, pending: bool = False) -> QuerySet[Incident]:
    """Each row with ``viewer_on_board`` (whether ``user`` sits on its contract's board) and, with
    ``pending``, ``pending_claims`` and ``pending_severity_changes`` (what ``allowed_actions`` asks):
    subqueries on the row instead of queries of their own."""
    seat = BoardSeat.objects.filter(contract_id=OuterRef("contract_id"), user_id=user.pk)
    incidents = incidents.annotate(viewer_on_board=Exists(seat))
    if pending:
        waiting = {"incident": OuterRef("pk"), "status": "pending"}
        incidents = incidents.annotate(
            pending_claims=Exists(ExclusionClaim.objects.filter(**waiting)),
            pending_severity_changes=Exists(SeverityChange.objects.filter(**waiting)),
        )
    return incidents


def for_api_detail(incidents: QuerySet[Incident], user: Any) -> QuerySet[Incident]:
    """What the API's incident detail reads besides the row, on the row: the viewer's flags and
    the link that attributed the incident here (``IncidentDetailSerializer``)."""
    flagged = with_viewer_flags(incidents, user, pending=True)
    return flagged.select_related("attributed_from__incident__contract__vendor")


def viewer_standing(user: Any, incident: Incident) -> Standing:
    """The user's standing on the incident's contract; from the row's ``viewer_on_board`` flag when
    it has one (whether this viewer sits on the board is all their standing needs of it)."""
    on_board = getattr(incident, "viewer_on_board", None)
    if on_board is None:
        return contract_standing(user, incident.contract)
    contract = incident.contract
    board = {user.pk} if on_board else set()
    return standing(user, buyer_id=contract.buyer_id, vendor_id=contract.vendor_id, board_user_ids=board)


def load_detail(user: Any, pk: int) -> Detail:
    """The incident page's rows, through the visibility rule (``Incident.DoesNotExist`` otherwise)."""
    incident = (
        with_viewer_flags(Incident.objects.visible_to(user), user)
        .select_related(*HEADER, "attributed_from__incident__contract__vendor")
        .prefetch_related(
            "events", Prefetch("attachments", queryset=IncidentAttachment.objects.select_related("uploaded_by"))
        )
        .get(pk=pk)
    )
    contract = incident.contract
    s = viewer_standing(user, incident)
    records = _records(incident)
    claims = sorted(records["claim"], key=lambda c: c.claimed_at, reverse=True)
    changes = sorted(records["severity"], key=lambda c: (c.proposed_at, c.pk), reverse=True)
    # allowed_actions reads these flags instead of asking the database again.
    incident.pending_claims = any(c.status == ExclusionClaim.Status.PENDING for c in claims)  # type: ignore[attr-defined]
    incident.pending_severity_changes = any(c.is_pending for c in changes)  # type: ignore[attr-defined]
    return Detail(
        incident=incident,
        standing=s,
        claims=claims,
        severity_changes=changes,
        pauses=sorted(records["pause"], key=lambda p: p.started_at),
        links=sorted(records["link"], key=lambda link: link.pk),
        ticks=records["tick"],
        people=party_rows(contract),
    )


# -- the small records, in one query ------------------------------------------------------

_TEXT, _WHEN, _NUMBER = models.TextField(), models.DateTimeField(), models.BigIntegerField()

# The common shape: each column, its type, and where each kind of record keeps it (absent: NULL).
# Users (who made or decided a record) come as pk, username, first and last name: what str(user) shows.
_SHAPE: dict[str, tuple[models.Field, dict[str, str]]] = {
    "row_pk": (_NUMBER, dict.fromkeys(("pause", "claim", "severity", "link", "tick"), "pk")),
    "began": (_WHEN, {"pause": "started_at", "claim": "claimed_at", "severity": "proposed_at", "link": "created_at", "tick": "at"}),
    "ended": (_WHEN, {"pause": "ended_at", "claim": "decided_at", "severity": "decided_at"}),
    "state": (_TEXT, {"claim": "status", "severity": "status", "tick": "party"}),
    "code": (_TEXT, {"claim": "kind", "severity": "from_severity", "tick": "severity"}),
    "code_to": (_TEXT, {"severity": "to_severity", "tick": "role"}),
    "body": (_TEXT, {"pause": "reason", "claim": "reason", "severity": "reason", "link": "reason", "tick": "action"}),
    "remark": (_TEXT, {"claim": "decision_reason", "severity": "decision_reason"}),
    "seq": (_NUMBER, {"tick": "step_order"}),
    "other_incident": (_NUMBER, {"link": "attributed_incident"}),
    "contract_pk": (_NUMBER, {"link": "contract"}),
    "contract_ref": (_TEXT, {"link": "contract__reference"}),
    "vendor_pk": (_NUMBER, {"link": "contract__vendor"}),
    "vendor_name": (_TEXT, {"link": "contract__vendor__name"}),
    **{
        f"{who}_{part}": (
            _NUMBER if part == "pk" else _TEXT,
            {kind: f"{field}__{'id' if part == 'pk' else part}" for kind, field in fields.items()},
        )
        for who, fields in (
            ("by", {"claim": "claimed_by", "severity": "proposed_by", "link": "created_by", "tick": "ticked_by"}),
            ("decider", {"claim": "decided_by", "severity": "decided_by"}),
        )
        for part in ("pk", "username", "first_name", "last_name")
    },
}  # fmt: skip

_KINDS: dict[str, type[models.Model]] = {
    "pause": IncidentPause,
    "claim": ExclusionClaim,
    "severity": SeverityChange,
    "link": IncidentLink,
    "tick": IncidentPlaybookTick,
}


def _branch(kind: str, incident: Incident) -> QuerySet[Any]:
    columns: dict[str, Any] = {"record": Value(kind, output_field=_TEXT)}
    for name, (field, where) in _SHAPE.items():
        # A typed NULL: PostgreSQL types a union's columns branch by branch, and two untyped NULLs
        # become text before a later branch brings the column's real type.
        columns[name] = F(where[kind]) if kind in where else Cast(Value(None), output_field=field)
    return _KINDS[kind]._default_manager.filter(incident=incident).order_by().values(**columns)


def _records(incident: Incident) -> dict[str, list[Any]]:
    first, *rest = (_branch(kind, incident) for kind in _KINDS)
    out: dict[str, list[Any]] = {kind: [] for kind in _KINDS}
    for row in first.union(*rest, all=True):
        out[row["record"]].append(_BUILD[row["record"]](row, incident))
    return out


def _user(row: dict[str, Any], who: str) -> User | None:
    if row[f"{who}_pk"] is None:
        return None
    return User(
        pk=row[f"{who}_pk"],
        username=row[f"{who}_username"],
        first_name=row[f"{who}_first_name"],
        last_name=row[f"{who}_last_name"],
    )


def _pause(row: dict[str, Any], incident: Incident) -> IncidentPause:
    return IncidentPause(
        pk=row["row_pk"], incident=incident, started_at=row["began"], ended_at=row["ended"], reason=row["body"]
    )


def _claim(row: dict[str, Any], incident: Incident) -> ExclusionClaim:
    return ExclusionClaim(
        pk=row["row_pk"], incident=incident, kind=row["code"], reason=row["body"], status=row["state"],
        claimed_by=_user(row, "by"), claimed_at=row["began"],
        decided_by=_user(row, "decider"), decided_at=row["ended"], decision_reason=row["remark"],
    )  # fmt: skip


def _severity(row: dict[str, Any], incident: Incident) -> SeverityChange:
    return SeverityChange(
        pk=row["row_pk"], incident=incident, from_severity=row["code"], to_severity=row["code_to"],
        reason=row["body"], status=row["state"], proposed_by=_user(row, "by"), proposed_at=row["began"],
        decided_by=_user(row, "decider"), decided_at=row["ended"], decision_reason=row["remark"],
    )  # fmt: skip


def _link(row: dict[str, Any], incident: Incident) -> IncidentLink:
    vendor = Organization(pk=row["vendor_pk"], name=row["vendor_name"])
    contract = Contract(pk=row["contract_pk"], reference=row["contract_ref"], vendor=vendor)
    other = Incident(pk=row["other_incident"]) if row["other_incident"] is not None else None
    return IncidentLink(
        pk=row["row_pk"], incident=incident, contract=contract, reason=row["body"],
        attributed_incident=other, created_by=_user(row, "by"), created_at=row["began"],
    )  # fmt: skip


def _tick(row: dict[str, Any], incident: Incident) -> IncidentPlaybookTick:
    return IncidentPlaybookTick(
        pk=row["row_pk"], incident=incident, severity=row["code"], step_order=row["seq"], party=row["state"],
        role=row["code_to"], action=row["body"], ticked_by=_user(row, "by"), at=row["began"],
    )  # fmt: skip


_BUILD = {"pause": _pause, "claim": _claim, "severity": _severity, "link": _link, "tick": _tick}
