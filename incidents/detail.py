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
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from accounts.access import Standing, standing
from accounts.models import Organization, User
from contracts.access import contract_standing
from contracts.models import BoardSeat, Contract
from contracts.onboarding.selectors import PartyRows, party_rows
from core.unions import Branch, union_rows
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

_USER_PARTS = ("id", "username", "first_name", "last_name")  # what str(user) shows, and its pk

# The shared shape: every column any of the records fills.
_SHAPE: dict[str, models.Field] = {
    "started_at": models.DateTimeField(),
    "ended_at": models.DateTimeField(),
    "status": models.TextField(),
    "kind": models.TextField(),
    "severity_from": models.TextField(),
    "severity_to": models.TextField(),
    "text": models.TextField(),
    "decision_reason": models.TextField(),
    "step_order": models.BigIntegerField(),
    "party": models.TextField(),
    "role": models.TextField(),
    "other_incident_id": models.BigIntegerField(),
    "contract_id": models.BigIntegerField(),
    "contract_reference": models.TextField(),
    "vendor_id": models.BigIntegerField(),
    "vendor_name": models.TextField(),
    **{f"by_{part}": models.BigIntegerField() if part == "id" else models.TextField() for part in _USER_PARTS},
    **{f"decider_{part}": models.BigIntegerField() if part == "id" else models.TextField() for part in _USER_PARTS},
}


def _people(prefix: str, field: str) -> dict[str, str]:
    return {f"{prefix}_{part}": f"{field}__{part}" for part in _USER_PARTS}


def _records(incident: Incident) -> dict[str, list[Any]]:
    mine = {"incident": incident}
    rows = union_rows(
        _SHAPE,
        {
            "pause": Branch(
                IncidentPause.objects.filter(**mine),
                {"started_at": "started_at", "ended_at": "ended_at", "text": "reason"},
            ),
            "claim": Branch(
                ExclusionClaim.objects.filter(**mine),
                {
                    "started_at": "claimed_at",
                    "ended_at": "decided_at",
                    "status": "status",
                    "kind": "kind",
                    "text": "reason",
                    "decision_reason": "decision_reason",
                    **_people("by", "claimed_by"),
                    **_people("decider", "decided_by"),
                },
            ),
            "severity": Branch(
                SeverityChange.objects.filter(**mine),
                {
                    "started_at": "proposed_at",
                    "ended_at": "decided_at",
                    "status": "status",
                    "severity_from": "from_severity",
                    "severity_to": "to_severity",
                    "text": "reason",
                    "decision_reason": "decision_reason",
                    **_people("by", "proposed_by"),
                    **_people("decider", "decided_by"),
                },
            ),
            "link": Branch(
                IncidentLink.objects.filter(**mine),
                {
                    "started_at": "created_at",
                    "text": "reason",
                    "other_incident_id": "attributed_incident_id",
                    "contract_id": "contract_id",
                    "contract_reference": "contract__reference",
                    "vendor_id": "contract__vendor_id",
                    "vendor_name": "contract__vendor__name",
                    **_people("by", "created_by"),
                },
            ),
            "tick": Branch(
                IncidentPlaybookTick.objects.filter(**mine),
                {
                    "started_at": "at",
                    "severity_from": "severity",
                    "step_order": "step_order",
                    "party": "party",
                    "role": "role",
                    "text": "action",
                    **_people("by", "ticked_by"),
                },
            ),
        },
    )
    return {kind: [_BUILD[kind](row, incident) for row in kind_rows] for kind, kind_rows in rows.items()}


def _user(row: dict[str, Any], who: str) -> User | None:
    if row[f"{who}_id"] is None:
        return None
    return User(
        pk=row[f"{who}_id"],
        username=row[f"{who}_username"],
        first_name=row[f"{who}_first_name"],
        last_name=row[f"{who}_last_name"],
    )


def _pause(row: dict[str, Any], incident: Incident) -> IncidentPause:
    return IncidentPause(
        pk=row["pk"], incident=incident, started_at=row["started_at"], ended_at=row["ended_at"], reason=row["text"]
    )


def _claim(row: dict[str, Any], incident: Incident) -> ExclusionClaim:
    return ExclusionClaim(
        pk=row["pk"], incident=incident, kind=row["kind"], reason=row["text"], status=row["status"],
        claimed_by=_user(row, "by"), claimed_at=row["started_at"],
        decided_by=_user(row, "decider"), decided_at=row["ended_at"], decision_reason=row["decision_reason"],
    )  # fmt: skip


def _severity(row: dict[str, Any], incident: Incident) -> SeverityChange:
    return SeverityChange(
        pk=row["pk"], incident=incident, from_severity=row["severity_from"], to_severity=row["severity_to"],
        reason=row["text"], status=row["status"], proposed_by=_user(row, "by"), proposed_at=row["started_at"],
        decided_by=_user(row, "decider"), decided_at=row["ended_at"], decision_reason=row["decision_reason"],
    )  # fmt: skip


def _link(row: dict[str, Any], incident: Incident) -> IncidentLink:
    vendor = Organization(pk=row["vendor_id"], name=row["vendor_name"])
    contract = Contract(pk=row["contract_id"], reference=row["contract_reference"], vendor=vendor)
    other = Incident(pk=row["other_incident_id"]) if row["other_incident_id"] is not None else None
    return IncidentLink(
        pk=row["pk"], incident=incident, contract=contract, reason=row["text"],
        attributed_incident=other, created_by=_user(row, "by"), created_at=row["started_at"],
    )  # fmt: skip


def _tick(row: dict[str, Any], incident: Incident) -> IncidentPlaybookTick:
    return IncidentPlaybookTick(
        pk=row["pk"], incident=incident, severity=row["severity_from"], step_order=row["step_order"],
        party=row["party"], role=row["role"], action=row["text"], ticked_by=_user(row, "by"), at=row["started_at"],
    )  # fmt: skip


_BUILD = {"pause": _pause, "claim": _claim, "severity": _severity, "link": _link, "tick": _tick}
