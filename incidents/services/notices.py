"""Who hears of an incident, maintenance or change event: the other party's
people on the contract (``notify`` then adds their webhooks and the
contract's contacts without a login). Never the person acting, and never a
party that cannot see the contract: a vendor sees it only once it accepted it
(``contracts.models.visibility_q``)."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Membership, User
from accounts.notifications import notify
from contracts.models import Contract
from core.actor import Actor
from incidents.models import Environment, Incident, Severity

# The vendor's on-call people and the buyer's people who work incidents.
VENDOR_PEOPLE = (Membership.Role.SUPPORT_ENGINEER, Membership.Role.ACCOUNT_MANAGER)
BUYER_PEOPLE = (Membership.Role.CONTRACT_MANAGER, Membership.Role.OPERATIONS)
# Mailed at once even to people who chose the digest: a Sev-1/2 (critical, high) in production.
URGENT_SEVERITIES = (Severity.CRITICAL, Severity.HIGH)


def party_org(contract: Contract, side: str) -> int | None:
    """The organization of ``side`` ("buyer"/"vendor") if it may see the contract."""
    if side == "buyer":
        return contract.buyer_id
    if contract.vendor_acceptance != Contract.VendorAcceptance.ACCEPTED:
        return None
    return contract.vendor_id


def party_people(contract: Contract, side: str, *, exclude: Actor | None = None) -> list[User]:
    org_id = party_org(contract, side)
    if org_id is None:
        return []
    users = User.objects.filter(
        is_active=True,
        memberships__organization_id=org_id,
        memberships__is_active=True,
        memberships__role__in=VENDOR_PEOPLE if side == "vendor" else BUYER_PEOPLE,
    ).distinct()
    if exclude is not None and exclude.pk is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users.order_by("pk"))


def tell_party(
    contract: Contract,
    *,
    sides: tuple[str, ...],
    event: str,
    actor: Actor | None,
    title: str,
    body: str,
    url: str,
    urgent: bool = False,
) -> None:
    """``event`` to the people of ``sides`` on ``contract``. Call inside the use case's transaction."""
    orgs = [org for org in (party_org(contract, side) for side in sides) if org is not None]
    if not orgs:
        return
    people = [u for side in sides for u in party_people(contract, side, exclude=actor)]
    notify(
        users=people,
        event=event,
        title=title,
        body=body,
        url=url,
        contract_id=contract.pk,
        organization_ids=orgs,
        urgent=urgent,
    )


def tell_incident(incident: Incident, *, to: str, event: str, actor: Actor | None, title: str, body: str = "") -> None:
    """``to``: "vendor", "buyer" or "both"."""
    contract = incident.contract
    urgent = (
        event == "incident.opened"
        and incident.severity in URGENT_SEVERITIES
        and incident.environment == Environment.PRODUCTION
    )
    tell_party(
        contract,
        sides=("buyer", "vendor") if to == "both" else (to,),
        event=event,
        actor=actor,
        title=f"{incident.reference} {title}: {incident.title}"[:200],
        body=body
        or f"{contract.reference}: {incident.get_severity_display()} / {incident.get_environment_display()}"
        f" on {incident.component}.",
        url=reverse("incidents:detail", args=[incident.pk]),
        urgent=urgent,
    )


def other_side(actor: Actor, incident: Incident) -> str:
    """The party that did not act: the vendor for a buyer's act, the buyer for
    the vendor's, both for anyone else (a board member, staff)."""
    if actor.pk is None:
        return "both"
    org_ids = set(Membership.objects.filter(user_id=actor.pk, is_active=True).values_list("organization_id", flat=True))
    if incident.contract.buyer_id in org_ids:
        return "vendor"
    if incident.contract.vendor_id in org_ids:
        return "buyer"
    return "both"
