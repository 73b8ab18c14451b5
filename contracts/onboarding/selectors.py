"""Read side of the working routine: the agreed roles resolved to people, the
RACI table checked against them, onboarding progress and who has read what.

Everything here reads; the writes are in ``contracts.onboarding``. Each
function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Exists, JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Membership, User
from contracts.models import (
    BoardSeat,
    Contract,
    ContractContact,
    OnboardingItem,
    Party,
    ResourceConfirmation,
    SLAVersion,
    TrainingResource,
)
from contracts.pdf import PARTY_LABELS, RACI_LABELS, playbook_trigger_text, role_label
from contracts.terms import CONTACT_ROLES, PARTIES, Terms, raci_flags
from contracts.versions import InForceFallback, in_force_among


@dataclass(frozen=True)
class Person:
    name: str
    email: str = ""
    phone: str = ""
    user_id: int | None = None
    source: str = "member"  # "contact" (named in the contract's contacts) or "member" (holds the membership role)


@dataclass
class People:
    """Who fills each (party, role) on one contract, from its contacts and its parties' memberships."""

    by_role: dict[tuple[str, str], list[Person]] = field(default_factory=dict)
    by_party: dict[str, list[Person]] = field(default_factory=dict)

    def of(self, party: str, role: str | None) -> list[Person]:
        if not role:
            return self.by_party.get(party, [])
        return self.by_role.get((party, role), [])


@dataclass(frozen=True)
class PartyRows:
    """The contract's contacts and its parties' active members, loaded once for a
    page that asks several of the functions below (each takes ``preloaded=``)."""

    contacts: list[ContractContact]
    members: list[Membership]


def party_rows(contract: Contract, *, members: list[Membership] | None = None) -> PartyRows:
    """Two queries, whatever the number of people (one with ``members``, from ``board_and_members``)."""
    contacts = list(ContractContact.objects.filter(contract=contract).select_related("user").order_by("name"))
    if members is None:
        members = list(
            Membership.objects.filter(
                organization_id__in=[contract.buyer_id, contract.vendor_id], is_active=True, user__is_active=True
            ).select_related("user")
        )
    return PartyRows(contacts=contacts, members=members)


def board_and_members(contract: Contract) -> tuple[list[BoardSeat], list[Membership]]:
    """The contract's board seats (every seat, with its user) and its parties' active members (as
    ``party_rows``), in one query on their users: each user carries their seat and their membership
    in each party as columns. Seats in the model's order, memberships by id."""
    seat = BoardSeat.objects.filter(contract_id=contract.pk, user_id=OuterRef("pk"))
    buyer, vendor = (
        Membership.objects.filter(user_id=OuterRef("pk"), organization_id=org_id, is_active=True)
        for org_id in (contract.buyer_id, contract.vendor_id)
    )
    users = User.objects.filter(Exists(seat) | (Q(is_active=True) & (Exists(buyer) | Exists(vendor)))).annotate(
        seat_pk=Subquery(seat.values("pk")[:1]),
        seat_is_chair=Subquery(seat.values("is_chair")[:1]),
        buyer_member_pk=Subquery(buyer.values("pk")[:1]),
        buyer_member_role=Subquery(buyer.values("role")[:1]),
        vendor_member_pk=Subquery(vendor.values("pk")[:1]),
        vendor_member_role=Subquery(vendor.values("role")[:1]),
    )
    seats: list[BoardSeat] = []
    members: list[Membership] = []
    for u in users:
        if u.seat_pk is not None:
            seats.append(BoardSeat(pk=u.seat_pk, contract=contract, user=u, is_chair=bool(u.seat_is_chair)))
        if not u.is_active:
            continue
        for org_id, pk, role in (
            (contract.buyer_id, u.buyer_member_pk, u.buyer_member_role),
            (contract.vendor_id, u.vendor_member_pk, u.vendor_member_role),
        ):
            if pk is not None:
                members.append(Membership(pk=pk, user=u, organization_id=org_id, role=role, is_active=True))
    seats.sort(key=lambda s: (not s.is_chair, s.user.username))
    members.sort(key=lambda m: m.pk)
    return seats, members


def people_of(contract: Contract, *, preloaded: PartyRows | None = None) -> People:
    """Two queries (none with ``preloaded``): the contract's contacts and the parties' active memberships."""
    rows = preloaded or party_rows(contract)
    people = People()
    for contact in rows.contacts:
        name = contact.name or (str(contact.user) if contact.user else contact.email)
        people.by_role.setdefault((contact.side, contact.role), []).append(
            Person(name=name, email=contact.email, phone=contact.phone, user_id=contact.user_id, source="contact")
        )
    side = {contract.buyer_id: Party.BUYER, contract.vendor_id: Party.VENDOR}
    for m in sorted(rows.members, key=lambda m: (m.user.first_name, m.user.username)):
        party = side[m.organization_id]
        person = Person(name=str(m.user), email=m.user.email, user_id=m.user_id)
        people.by_role.setdefault((party, m.role), []).append(person)
        if m.role != Membership.Role.VIEWER:
            people.by_party.setdefault(party, []).append(person)
    return people


def terms_in_force(contract: Contract, at: Any = None) -> SLAVersion | None:
    """The version in force now (or the latest activated one, or the draft): whose routine is shown."""
    at = at or timezone.now()
    versions = list(contract.sla_versions.order_by("number"))
    shown = in_force_among(versions, at, fallback=InForceFallback.LATEST_FROZEN)
    return shown or (versions[-1] if versions else None)


@dataclass(frozen=True)
class ShownTerms:
    """The number and terms of the version ``terms_in_force`` picks."""

    number: int
    terms: dict[str, Any]


def with_terms_in_force(contracts: QuerySet[Contract], at: datetime) -> QuerySet[Contract]:
    """The contracts with ``terms_in_force`` on their own row (``shown_number``, ``shown_terms``):
    the version in force at ``at``, else the latest activated one, else the latest by number."""
    versions = SLAVersion.objects.filter(contract_id=OuterRef("pk"))
    picks = (
        versions.governing(at).order_by("-effective_from", "-number"),
        versions.frozen().filter(effective_from__isnull=False).order_by("-effective_from", "-number"),
        versions.order_by("-number"),
    )
    return contracts.annotate(
        shown_number=Coalesce(*(Subquery(v.values("number")[:1]) for v in picks)),
        shown_terms=Coalesce(*(Subquery(v.values("terms")[:1]) for v in picks), output_field=JSONField()),
    )


def shown_terms(contract: Contract) -> ShownTerms | None:
    """What ``terms_in_force`` says, from the row of ``with_terms_in_force`` (else one query)."""
    if hasattr(contract, "shown_number"):
        number = getattr(contract, "shown_number", None)
        return ShownTerms(number=number, terms=getattr(contract, "shown_terms", {})) if number is not None else None
    version = terms_in_force(contract)
    return ShownTerms(number=version.number, terms=version.terms) if version else None


# -- RACI ------------------------------------------------------------------------------------


def raci_table(terms: Mapping[str, Any], people: People) -> list[dict[str, Any]]:
    """The agreed RACI rows, each cell with its people, and flags: nobody (or
    both parties) accountable as agreed, or an accountable role nobody holds."""
    rows = []
    for r in Terms(terms).raci:
        flags = list(raci_flags(r))
        cells = []
        for party in PARTIES:
            letter = r.get(party) or ""
            role = r.get(f"role_{party}") or None
            holders = people.of(party, role) if letter else []
            cells.append(
                {
                    "party": party,
                    "party_label": PARTY_LABELS[party],
                    "letter": letter,
                    "meaning": RACI_LABELS[letter],
                    "role": role or "",
                    "role_label": role_label(role) if role else f"the {party}",
                    "people": holders,
                }
            )
            if letter == "A" and not flags and not holders:
                who = f"no one on the {party} side is {_a(role_label(role))}" if role else f"the {party} has no people"
                flags.append(f"Nobody accountable: {who}.")
        rows.append({"activity": r["activity"], "cells": cells, "flags": flags, "flagged": bool(flags)})
    return rows


def _a(label: str) -> str:
    return f"an {label.lower()}" if label[:1].lower() in "aeiou" else f"a {label.lower()}"


# -- the playbook ------------------------------------------------------------------------------


def playbook_steps(terms: Mapping[str, Any], people: People, severity: str | None = None) -> list[dict[str, Any]]:
    """The playbook steps (of one severity) with the people who fill each role."""
    out = []
    for s in Terms(terms).playbook(severity):
        holders = people.of(s["party"], s["role"])
        out.append(
            {
                "severity": s["severity"],
                "order": s["order"],
                "party": s["party"],
                "party_label": PARTY_LABELS[s["party"]],
                "role": s["role"],
                "role_label": role_label(s["role"]),
                "contact_role": s["role"] in CONTACT_ROLES,
                "people": holders,
                "trigger": s["trigger"],
                "value": s.get("value"),
                "target": s.get("target"),
                "when": playbook_trigger_text(s),
                "action": s["action"],
            }
        )
    return out


# -- onboarding ---------------------------------------------------------------------------------


def onboarding_progress(
    contract: Contract | int, today: date | None = None, *, items: Sequence[OnboardingItem] | None = None
) -> dict[str, Any]:
    """Counts of the plan's items by state, in one query (none when the page already holds ``items``,
    every item of the plan)."""
    today = today or timezone.localdate()
    if items is not None:
        is_open = [i.status == OnboardingItem.Status.OPEN for i in items]
        counts = {
            "total": len(items),
            "done": sum(1 for i in items if i.status == OnboardingItem.Status.DONE),
            "waived": sum(1 for i in items if i.status == OnboardingItem.Status.WAIVED),
            "open": sum(is_open),
            "overdue": sum(1 for i, o in zip(items, is_open, strict=True) if o and i.due_date < today),
        }
    else:
        open_q = Q(status=OnboardingItem.Status.OPEN)
        counts = OnboardingItem.objects.filter(contract=contract).aggregate(
            total=Count("id"),
            done=Count("id", filter=Q(status=OnboardingItem.Status.DONE)),
            waived=Count("id", filter=Q(status=OnboardingItem.Status.WAIVED)),
            open=Count("id", filter=open_q),
            overdue=Count("id", filter=open_q & Q(due_date__lt=today)),
        )
    return progress_from_counts(**counts)


# The counts ``progress_from_counts`` takes: every item of the plan, and those in each state.
ONBOARDING_COUNTS = ("total", "done", "waived", "open", "overdue")


def progress_from_counts(*, total: int, done: int, waived: int, open: int, overdue: int) -> dict[str, Any]:
    """The progress a page shows, from the plan's counts: the counts, and how many items are
    finished (done or waived), the share finished in percent, and whether the plan is complete."""
    finished = done + waived
    return {
        "total": total,
        "done": done,
        "waived": waived,
        "open": open,
        "overdue": overdue,
        "finished": finished,
        "percent": round(100 * finished / total) if total else 0,
        "complete": total > 0 and open == 0,
    }


def audience_of_all(
    contract: Contract,
    resources: Sequence[TrainingResource],
    people: People | None = None,
    *,
    preloaded: PartyRows | None = None,
) -> dict[int, list[tuple[int, str]]]:
    """resource id -> [(user id, name)] who must read it, for many resources in
    two queries (memberships and contacts; none with ``preloaded``)."""
    rows = preloaded or party_rows(contract)
    members = sorted(rows.members, key=lambda m: m.user.username)
    contacts = [{"side": c.side, "role": c.role, "user_id": c.user_id} for c in rows.contacts if c.user_id is not None]
    side_of = {contract.buyer_id: Party.BUYER, contract.vendor_id: Party.VENDOR}
    out: dict[int, list[tuple[int, str]]] = {}
    for resource in resources:
        sides = set(PARTIES) if resource.audience == TrainingResource.Audience.BOTH else {resource.audience}
        roles = set(resource.roles or [])
        via_contact = {c["user_id"] for c in contacts if c["side"] in sides and c["role"] in roles}
        chosen: dict[int, str] = {}
        for m in members:
            if side_of[m.organization_id] in sides and (not roles or m.role in roles or m.user_id in via_contact):
                chosen[m.user_id] = str(m.user)
        out[resource.pk] = sorted(chosen.items(), key=lambda pair: pair[1])
    return out


def reading_status(
    contract: Contract, resources: Sequence[TrainingResource], user: Any, *, preloaded: PartyRows | None = None
) -> list[dict[str, Any]]:
    """Per resource: who must read it, who confirmed (and when), whether ``user`` has."""
    audiences = audience_of_all(contract, resources, preloaded=preloaded)
    confirmations: dict[int, dict[int, Any]] = {}
    for c in ResourceConfirmation.objects.filter(resource__in=resources).select_related("user").order_by("at"):
        confirmations.setdefault(c.resource_id, {})[c.user_id] = c
    rows = []
    for resource in resources:
        read = confirmations.get(resource.pk, {})
        audience = audiences[resource.pk]
        pending = [name for uid, name in audience if uid not in read]
        rows.append(
            {
                "resource": resource,
                "audience": audience,
                "confirmed": list(read.values()),
                "pending": pending,
                "confirmed_count": sum(1 for uid, _ in audience if uid in read),
                "mine": read.get(getattr(user, "pk", None)),
                "must_read": any(uid == getattr(user, "pk", None) for uid, _ in audience),
                "roles": [role_label(r) for r in resource.roles or []],
            }
        )
    return rows


def item_rows(items: Iterable[OnboardingItem], today: date | None = None) -> list[OnboardingItem]:
    today = today or timezone.localdate()
    rows = list(items)
    for item in rows:
        item.overdue = item.is_overdue(today)
        item.days_late = (today - item.due_date).days if item.overdue else 0
    return rows
