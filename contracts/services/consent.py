"""Terms change only with both parties: propose, accept, reject, withdraw, counter-propose, comment, and the
staff override.

A draft is proposed by its side's authorised people (``versions.party_side``); proposing freezes its content
and records the proposer's acceptance. The other party accepts the checksum it saw
(``SLAVersion.consent_checksum``); with both acceptances the version is active from its effective date: the
proposed date if it is still ahead (or the first version's, which starts with the contract), else at once.
Rejecting or withdrawing (with a reason) sends the proposal back to its side's draft and drops the acceptances
(the audit trail keeps them). Countering opens the other party's draft based on the proposal; proposing the
counter marks the original "countered". Staff may override, with a reason, printed on the exhibit.

Accepting the contract invitation (``contract_vendor_accept``) does not accept terms: the vendor's person then
sees the proposed version and its checksum, and accepts it as a separate act.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Membership, User
from audit import services as audit
from contracts.access import contract_managers, contract_standing, require
from contracts.models import Contract, SLAVersion, SLAVersionAcceptance, SLAVersionComment
from contracts.services._common import _check_terms, _lock, _person
from contracts.services.versions import (
    activate_locked,
    check_effective_from,
    default_start,
    held_conflict,
    party_side,
)
from core.actor import Actor
from core.errors import Conflict, InvalidInput, NotPermitted

REASON_MAX = 2000
COMMENT_MAX = 4000
_SIDE_PEOPLE: dict[str, str] = {
    SLAVersion.Side.BUYER: "the buyer's contract managers",
    SLAVersion.Side.VENDOR: "the vendor's account managers",
}


class ChecksumMismatch(Conflict):
    """409: the person accepted another content than the version now holds; the body names the current one."""

    def __init__(self, version: SLAVersion, current: str) -> None:
        super().__init__(
            f"SLA v{version.number} is not what you saw: its checksum is now {current}. "
            "Read the current terms and accept them again.",
            state=version.status,
            allowed=["accept"],
        )
        self.extra = {"current_checksum": current}


def _other(side: str) -> str:
    return SLAVersion.Side.VENDOR if side == SLAVersion.Side.BUYER else SLAVersion.Side.BUYER


def _lock_version(contract: Contract, version: SLAVersion) -> tuple[Contract, SLAVersion]:
    contract = _lock(contract)
    return contract, SLAVersion.objects.select_for_update().get(pk=version.pk)


def _speaker(actor: Actor, contract: Contract) -> str:
    side = party_side(contract_standing(actor, contract), actor, contract)
    if side is None:
        raise NotPermitted(
            "Only the buyer's contract managers and the vendor's account managers (or their organizations' admins) "
            "act on terms for a party; staff use the override."
        )
    return side


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("Give a reason.", errors={"reason": ["Required: say why."]})
    if len(text) > REASON_MAX:
        raise InvalidInput("The reason is too long.", errors={"reason": [f"At most {REASON_MAX} characters."]})
    return text


def _require_proposed(version: SLAVersion, what: str) -> None:
    if not version.is_proposed:
        raise Conflict(
            f"SLA v{version.number} is {version.get_status_display().lower()}, not proposed: nothing to {what}.",
            state=version.status,
            allowed=["propose"] if version.is_draft else [],
        )


def _name(actor: Actor) -> str:
    person = _person(actor)
    if person is None:
        return str(actor)
    return str(person.get_full_name() or person.get_username())


def _page(version: SLAVersion) -> str:
    return reverse("contracts:version", args=[version.contract_id, version.number])


def _tell(
    *, users: list[User], event: str, title: str, body: str, url: str, contract: Contract, orgs: list[int]
) -> None:
    """``accounts.services.notify`` with the catalogue ``event``; while notify
    still takes ``verb=`` (its signature is changing), the event key goes
    there, so the call works either way."""
    notify: Any = accounts_services.notify
    params = inspect.signature(notify).parameters
    kwargs: dict[str, Any] = {"users": users, "title": title, "body": body, "url": url}
    if "event" in params:
        kwargs["event"] = event
        if "contract_id" in params:
            kwargs["contract_id"] = contract.pk
        if "organization_ids" in params:
            kwargs["organization_ids"] = orgs
    else:
        kwargs["verb"] = event
    notify(**kwargs)


def _tell_side(
    contract: Contract, side: str | None, *, event: str, title: str, body: str, version: SLAVersion, actor: Actor
) -> None:
    _tell(
        users=contract_managers(contract, side=side, exclude=actor),
        event=event,
        title=title,
        body=body,
        url=_page(version),
        contract=contract,
        orgs=[
            org
            for who, org in ((SLAVersion.Side.BUYER, contract.buyer_id), (SLAVersion.Side.VENDOR, contract.vendor_id))
            if side in (None, who)
        ],
    )


def _accept_row(*, version: SLAVersion, side: str, actor: Actor, contract: Contract) -> SLAVersionAcceptance:
    return SLAVersionAcceptance.objects.create(
        version=version,
        side=side,
        organization_id=contract.buyer_id if side == SLAVersion.Side.BUYER else contract.vendor_id,
        accepted_by=_person(actor),
        accepted_by_name=_name(actor)[:200],
        accepted_at=timezone.now(),
        checksum=version.consent_checksum,
    )


def sla_version_propose(*, actor: Actor, version: SLAVersion, effective_from: datetime | None = None) -> SLAVersion:
    """Put a draft to the other party: freezes its content, records the
    proposer's acceptance. ``effective_from`` None: the first version starts
    with the contract; an amendment takes effect when both have accepted.
    Proposing a counter-proposal marks the proposal it answers "countered"."""
    contract = version.contract
    side = _speaker(actor, contract)
    if side != version.side:
        raise NotPermitted(
            f"Draft SLA v{version.number} is the {version.side}'s: {_SIDE_PEOPLE[version.side]} propose it."
        )
    with transaction.atomic():
        contract, version = _lock_version(contract, version)
        if not version.is_draft:
            raise Conflict(
                f"SLA v{version.number} is {version.get_status_display().lower()}: only a draft is proposed.",
                state=version.status,
                allowed=[],
            )
        if version.is_held:
            raise held_conflict(version)
        answered = version.based_on if version.based_on and version.based_on.is_proposed else None
        proposals = SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.PROPOSED)
        if answered is not None:
            proposals = proposals.exclude(pk=answered.pk)
        open_proposal = proposals.first()
        if open_proposal is not None:
            raise Conflict(
                f"SLA v{open_proposal.number} is already proposed; it is answered first.",
                state=version.status,
                allowed=[],
            )
        if effective_from is None:
            effective_from = default_start(contract, version)
        check_effective_from(contract, effective_from)
        _check_terms(version.terms, components=contract.covered_components)
        version.status = SLAVersion.Status.PROPOSED
        version.proposed_from = effective_from
        version.proposed_at = timezone.now()
        version.proposed_by = _person(actor)
        version.returned_reason = ""
        version.save(update_fields=["status", "proposed_from", "proposed_at", "proposed_by", "returned_reason"])
        version.acceptances.all().delete()
        row = _accept_row(version=version, side=side, actor=actor, contract=contract)
        audit.record(
            actor=actor,
            verb="sla_version.proposed",
            obj=version,
            contract_id=contract.pk,
            changes={
                "status": ["draft", "proposed"],
                "effective_from": [None, effective_from.isoformat() if effective_from else None],
                "checksum": [None, row.checksum],
                "accepted_by": [None, f"{side}: {row.accepted_by_name}"],
            },
        )
        if answered is not None:
            answered = SLAVersion.objects.select_for_update().get(pk=answered.pk)
            answered.status = SLAVersion.Status.COUNTERED
            answered.save(update_fields=["status"])
            audit.record(
                actor=actor,
                verb="sla_version.countered",
                obj=answered,
                contract_id=contract.pk,
                changes={"status": ["proposed", "countered"], "countered_by": [None, version.number]},
            )
        when = f"from {effective_from:%-d %b %Y %H:%M} UTC" if effective_from else "as soon as both parties accept"
        _tell_side(
            contract,
            _other(side),
            event="terms.proposed",
            title=f"{contract.reference}: SLA v{version.number} proposed for your acceptance",
            body=f"{_name(actor)} proposed SLA v{version.number}, in force {when}. Checksum {row.checksum}.",
            version=version,
            actor=actor,
        )
    return version


def sla_version_accept(*, actor: Actor, version: SLAVersion, checksum: str) -> SLAVersion:
    """The other party accepts the proposal whose checksum the person saw. A
    mismatch is a 409 naming the current checksum, and changes nothing. With
    both parties' acceptances the version is put in force."""
    contract = version.contract
    side = _speaker(actor, contract)
    with transaction.atomic():
        contract, version = _lock_version(contract, version)
        _require_proposed(version, "accept")
        if side == SLAVersion.Side.VENDOR and contract.vendor_acceptance != Contract.VendorAcceptance.ACCEPTED:
            raise Conflict(
                f"The vendor has not accepted the contract {contract.reference} yet: answer the invitation first.",
                state=version.status,
                allowed=[],
            )
        current = version.consent_checksum
        if (checksum or "").strip().lower() != current:
            raise ChecksumMismatch(version, current)
        if version.acceptances.filter(side=side).exists():
            raise Conflict(f"The {side} has already accepted SLA v{version.number}.", state=version.status, allowed=[])
        row = _accept_row(version=version, side=side, actor=actor, contract=contract)
        audit.record(
            actor=actor,
            verb="sla_version.accepted",
            obj=version,
            contract_id=contract.pk,
            changes={"accepted_by": [None, f"{side}: {row.accepted_by_name}"], "checksum": [None, current]},
        )
        sides = set(version.acceptances.values_list("side", flat=True))
        if sides != {SLAVersion.Side.BUYER, SLAVersion.Side.VENDOR}:
            _tell_side(
                contract,
                _other(side),
                event="terms.accepted",
                title=f"{contract.reference}: SLA v{version.number} accepted by the {side}",
                body=f"{row.accepted_by_name} accepted checksum {current}.",
                version=version,
                actor=actor,
            )
            return version
        effective = version.proposed_from
        first = default_start(contract, version) is not None
        if effective is not None and not first and effective <= timezone.now():
            effective = None  # the agreed date has passed: in force at once, never backdated over reported periods
        version = activate_locked(
            actor=actor,
            contract=contract,
            version=version,
            effective_from=effective,
            basis=SLAVersion.Basis.ACCEPTED,
            extra={"checksum": [None, current]},
        )
        _tell_side(
            contract,
            None,
            event="terms.accepted",
            title=f"{contract.reference}: SLA v{version.number} accepted by both parties",
            body=f"In force from {version.effective_from:%-d %b %Y %H:%M} UTC. Checksum {current}.",
            version=version,
            actor=actor,
        )
    return version


def _send_back(*, actor: Actor, version: SLAVersion, reason: str, verb: str, side_must_be: str) -> SLAVersion:
    contract = version.contract
    side = _speaker(actor, contract)
    reason = _reason(reason)
    if (side == version.side) != (side_must_be == "proposer"):
        who = _SIDE_PEOPLE[version.side] if side_must_be == "proposer" else _SIDE_PEOPLE[_other(version.side)]
        act = "withdraw" if side_must_be == "proposer" else "reject"
        raise NotPermitted(f"Only {who} {act} SLA v{version.number}.")
    with transaction.atomic():
        contract, version = _lock_version(contract, version)
        _require_proposed(version, "withdraw" if side_must_be == "proposer" else "reject")
        version.status = SLAVersion.Status.DRAFT
        version.returned_reason = reason
        version.save(update_fields=["status", "returned_reason"])
        version.acceptances.all().delete()
        audit.record(
            actor=actor,
            verb=verb,
            obj=version,
            contract_id=contract.pk,
            changes={"status": ["proposed", "draft"], "reason": [None, reason]},
        )
        done = "withdrawn" if verb.endswith("withdrawn") else "rejected"
        _tell_side(
            contract,
            _other(side),
            event="terms.rejected",
            title=f"{contract.reference}: SLA v{version.number} {done} by the {side}",
            body=f"{_name(actor)}: {reason}",
            version=version,
            actor=actor,
        )
    return version


def sla_version_reject(*, actor: Actor, version: SLAVersion, reason: str) -> SLAVersion:
    """The other party refuses the proposal, with a reason: it goes back to its side's draft."""
    return _send_back(actor=actor, version=version, reason=reason, verb="sla_version.rejected", side_must_be="other")


def sla_version_withdraw(*, actor: Actor, version: SLAVersion, reason: str) -> SLAVersion:
    """The proposing side takes its proposal back, with a reason, to edit it again."""
    return _send_back(
        actor=actor, version=version, reason=reason, verb="sla_version.withdrawn", side_must_be="proposer"
    )


def sla_version_counter(*, actor: Actor, version: SLAVersion, change_summary: str = "") -> SLAVersion:
    """The other party answers a proposal with its own draft, based on it
    (``based_on``), to edit and propose; the page shows the redline."""
    contract = version.contract
    side = _speaker(actor, contract)
    if side == version.side:
        raise NotPermitted(f"SLA v{version.number} is your side's proposal: withdraw it to change it.")
    with transaction.atomic():
        contract, version = _lock_version(contract, version)
        _require_proposed(version, "counter")
        draft = SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.DRAFT).first()
        if draft is not None:
            raise Conflict(
                f"Draft SLA v{draft.number} is already open; one draft per contract.", state=version.status, allowed=[]
            )
        number = (SLAVersion.objects.filter(contract=contract).aggregate(n=Max("number"))["n"] or 0) + 1
        counter = SLAVersion.objects.create(
            contract=contract,
            number=number,
            side=side,
            terms=version.terms,
            based_on=version,
            preset=version.preset,
            change_summary=(change_summary or "").strip()[:2000] or f"Counter-proposal to v{version.number}",
            created_by=_person(actor),
        )
        audit.record(
            actor=actor,
            verb="sla_version.counter_drafted",
            obj=counter,
            contract_id=contract.pk,
            changes={"number": [None, number], "based_on": [None, version.number], "side": [None, side]},
        )
    return counter


def sla_version_comment(*, actor: Actor, version: SLAVersion, body: str) -> SLAVersionComment:
    """A comment on a draft or a proposal, by anyone who sees the contract."""
    s = contract_standing(actor, version.contract)
    require(s.sees, "You may not comment on this contract's SLA.")
    text = (body or "").strip()
    if not text:
        raise InvalidInput("Write a comment.", errors={"body": ["Required."]})
    if len(text) > COMMENT_MAX:
        raise InvalidInput("The comment is too long.", errors={"body": [f"At most {COMMENT_MAX} characters."]})
    with transaction.atomic():
        contract, version = _lock_version(version.contract, version)
        if version.status not in (SLAVersion.Status.DRAFT, SLAVersion.Status.PROPOSED):
            raise Conflict(
                f"SLA v{version.number} is {version.get_status_display().lower()}: comments are on drafts and proposals.",
                state=version.status,
                allowed=[],
            )
        comment = SLAVersionComment.objects.create(
            version=version, author=_person(actor), author_name=_name(actor)[:200], body=text
        )
        audit.record(
            actor=actor,
            verb="sla_version.commented",
            obj=version,
            contract_id=contract.pk,
            changes={"comment": [None, text[:200]]},
        )
    return comment


def vendor_has_acceptors(contract: Contract) -> bool:
    """Does anyone speak for the vendor on terms (an active account manager or admin)?"""
    return (
        Membership.objects.filter(organization_id=contract.vendor_id, is_active=True, user__is_active=True)
        .filter(role=Membership.Role.ACCOUNT_MANAGER)
        .exists()
        or Membership.objects.filter(
            organization_id=contract.vendor_id, is_active=True, user__is_active=True, is_admin=True
        ).exists()
    )


def sla_version_activate_override(
    *,
    actor: Actor,
    version: SLAVersion,
    reason: str,
    effective_from: datetime | None = None,
    board_only: bool = False,
) -> SLAVersion:
    """Staff put a draft or proposal in force without the parties'
    acceptances, with a reason printed on the exhibit. ``board_only``: the
    contract's terms are agreed by its board alone because nobody speaks for
    the vendor in Covenant (no active account manager or admin); refused
    otherwise, so the vendor's people are never bypassed under that label."""
    if not getattr(actor, "is_staff", False):
        raise NotPermitted("Only staff may override the parties' acceptance; the parties propose and accept.")
    reason = _reason(reason)
    contract = version.contract
    with transaction.atomic():
        contract, version = _lock_version(contract, version)
        if board_only and vendor_has_acceptors(contract):
            raise Conflict(
                f"{contract.vendor} has people who accept terms: {contract.reference} is not a board-only contract.",
                state=version.status,
                allowed=["override"],
            )
        effective = effective_from
        if effective is None and version.proposed_from is not None:
            effective = version.proposed_from
            if default_start(contract, version) is None and effective <= timezone.now():
                effective = None  # the proposed date has passed: at once
        version = activate_locked(
            actor=actor,
            contract=contract,
            version=version,
            effective_from=effective,
            basis=SLAVersion.Basis.BOARD_ONLY if board_only else SLAVersion.Basis.OVERRIDE,
            override_reason=reason,
        )
        _tell_side(
            contract,
            None,
            event="terms.accepted",
            title=f"{contract.reference}: SLA v{version.number} activated by staff override",
            body=f"In force from {version.effective_from:%-d %b %Y %H:%M} UTC. Reason: {reason}",
            version=version,
            actor=actor,
        )
    return version
