"""SLA version use cases: the version in force, edit/hold/release a draft, activate it, amend into a new one.

The two-party path (propose, accept, reject, withdraw, counter, comment, the
staff override) is ``contracts.services.consent``; it ends in ``activate_locked``
here, as do a signed annual review and the setup path ``sla_version_activate``."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.access import Standing, is_organization_admin
from accounts.models import Membership, Organization
from audit import services as audit
from contracts import lock_objects
from contracts.access import can_amend, can_manage, can_manage_side, contract_standing, require
from contracts.models import Contract, SLAVersion
from contracts.services._common import _check_terms, _lock, _person
from core.actor import Actor
from core.errors import Conflict, InvalidInput, NotPermitted


def version_in_force(contract: Contract, at: datetime) -> SLAVersion | None:
    """The frozen version in force at ``at``, None if none (``SLAVersionQuerySet.in_force_at``)."""
    return SLAVersion.objects.for_contract(contract).in_force_at(at)


# -- who speaks for a side on the terms ----------------------------------------------------------


def party_side(s: Standing, actor: Actor, contract: Contract) -> str | None:
    """ "buyer" or "vendor" when the person accepts terms for that party: the
    buyer's contract managers, the vendor's account managers, and the
    organization admins of either party. Staff are not a party (None): they
    use the override."""
    if s.is_buyer and (s.has_role(Membership.Role.CONTRACT_MANAGER) or is_organization_admin(actor, contract.buyer_id)):
        return SLAVersion.Side.BUYER
    if s.is_vendor and (
        s.has_role(Membership.Role.ACCOUNT_MANAGER) or is_organization_admin(actor, contract.vendor_id)
    ):
        return SLAVersion.Side.VENDOR
    return None


def drafting_side(s: Standing) -> str:
    """The side a new draft belongs to: the vendor's when a vendor's person opens it (a board member
    amending), otherwise the buyer's (its managers, staff, a neutral chair)."""
    return SLAVersion.Side.VENDOR if s.is_vendor and not s.is_staff else SLAVersion.Side.BUYER


def sla_version_redraft(*, actor: Actor, version: SLAVersion, holder_url: str) -> SLAVersion:
    """Hand a draft left by a withdrawn amendment to the side now proposing one, for the review that
    names itself with ``holder_url`` (the review decides the draft is its own leftover: another
    side's working draft is never handed over)."""
    s = contract_standing(actor, version.contract)
    require(can_amend(s), "You may not amend this contract's SLA.")
    side = drafting_side(s)
    with transaction.atomic():
        lock_objects.contract(version.contract_id)
        version = SLAVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_draft:
            raise Conflict(f"SLA v{version.number} is not a draft.", state=version.status, allowed=[])
        if version.is_held and version.held_by_url != holder_url:
            raise held_conflict(version)
        if version.side == side:
            return version
        before = version.side
        version.side = side
        version.save(update_fields=["side"])
        audit.record(
            actor=actor,
            verb="sla_version.redrafted",
            obj=version,
            contract_id=version.contract_id,
            changes={"side": [before, side]},
        )
    return version


def may_edit(s: Standing, actor: Actor, version: SLAVersion) -> bool:
    """Who edits a draft in the terms editor: staff, the drafting side's
    authorised people, and board members who are not the other party's
    people (a vendor's person on the board comments on the buyer's draft)."""
    if s.is_staff:
        return True
    if party_side(s, actor, version.contract) == version.side:
        return True
    other = Organization.Kind.VENDOR if version.side == SLAVersion.Side.BUYER else Organization.Kind.BUYER
    return s.on_board and s.side != other


def _start_instant(contract: Contract, terms: dict[str, Any]) -> datetime:
    """The contract's start date at midnight in the terms' own zone, as UTC."""
    zone = ZoneInfo(terms["calendar"]["timezone"])
    return datetime.combine(contract.start_date, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def sla_version_update(
    *,
    actor: Actor,
    version: SLAVersion,
    terms: dict[str, Any] | None = None,
    change_summary: str | None = None,
    holder_url: str = "",
) -> SLAVersion:
    """Edit a draft's terms. A held draft (``sla_version_hold``) is edited
    only by its holder, which names itself with ``holder_url``: everyone else
    (the terms editor, the API) gets a 409 pointing at the holder's page.
    Otherwise the drafting side edits (``consent_rules.may_edit``): the other
    party's people, board members among them, comment instead."""
    s = contract_standing(actor, version.contract)
    held_edit = bool(holder_url) and holder_url == version.held_by_url
    if held_edit:  # the holder (a review) checked the rest; the other party's board members comment, not edit
        require(can_amend(s), "You may not edit this contract's SLA.")
        require(
            may_edit(s, actor, version),
            f"Only the {version.side}'s side edits draft SLA v{version.number}; "
            "the other party's board members comment on the amendment instead.",
        )
    else:
        require(
            may_edit(s, actor, version),
            f"Only the {version.side}'s side edits draft SLA v{version.number}; "
            "the other party comments on it, or counter-proposes once it is proposed.",
        )
    components = list(version.contract.covered_components)
    with transaction.atomic():
        lock_objects.contract(version.contract_id)
        version = SLAVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_proposed:
            raise Conflict(
                f"SLA v{version.number} is proposed for acceptance: its content is frozen. To change it, "
                "the proposer withdraws it, or the other party counter-proposes.",
                state=version.status,
                allowed=["withdraw", "counter", "accept", "reject"],
            )
        if not version.is_draft:
            raise Conflict(
                f"SLA v{version.number} is active and frozen; to change its terms, amend it into a new version.",
                state=version.status,
                allowed=["amend"],
            )
        if version.is_held and holder_url != version.held_by_url:
            raise held_conflict(version)
        if terms is not None:
            _check_terms(terms, components=components)
        before = {"terms": version.terms, "change_summary": version.change_summary}
        if terms is not None:
            version.terms = terms
        if change_summary is not None:
            version.change_summary = change_summary
        version.save(update_fields=["terms", "change_summary"])
        delta = audit.diff(before, {"terms": version.terms, "change_summary": version.change_summary})
        if delta:
            audit.record(
                actor=actor, verb="sla_version.updated", obj=version, contract_id=version.contract_id, changes=delta
            )
    return version


HELD = "held"


def held_conflict(version: SLAVersion) -> Conflict:
    """The refusal of an edit to a held draft, naming the holder and its page."""
    return Conflict(
        f"Draft SLA v{version.number} belongs to {version.held_by}: its terms are edited there, "
        f"where a change is put to the board again ({version.held_by_url}).",
        state=HELD,
        allowed=[],
    )


def sla_version_hold(*, actor: Actor, version: SLAVersion, label: str, url: str) -> SLAVersion:
    """Hand a draft's edits to a holder (an annual review's amendment, named
    ``label`` and edited at ``url``) until ``sla_version_release``. The
    holder's own service has checked the actor's right to propose it; here
    the actor must still be one who may edit the SLA. Holding again by the
    same holder changes nothing."""
    require(can_amend(contract_standing(actor, version.contract)), "You may not edit this contract's SLA.")
    label, url = label.strip()[:120], url.strip()[:300]
    if not label or not url:
        raise InvalidInput("Name the holder and its page.", errors={"held_by": ["Required."]})
    with transaction.atomic():
        lock_objects.contract(version.contract_id)
        version = SLAVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_draft:
            raise Conflict(f"SLA v{version.number} is active and frozen.", state=version.status, allowed=["amend"])
        if version.is_held and version.held_by_url != url:
            raise held_conflict(version)
        if (version.held_by, version.held_by_url) == (label, url):
            return version
        before = {"held_by": version.held_by, "held_by_url": version.held_by_url}
        version.held_by, version.held_by_url = label, url
        version.save(update_fields=["held_by", "held_by_url"])
        audit.record(
            actor=actor,
            verb="sla_version.held",
            obj=version,
            contract_id=version.contract_id,
            changes=audit.diff(before, {"held_by": label, "held_by_url": url}),
        )
    return version


def sla_version_release(*, actor: Actor, version: SLAVersion, url: str) -> SLAVersion:
    """The holder at ``url`` gives the version back to the terms editor (an
    activated version stays frozen either way). Releasing a version that
    holder does not hold changes nothing."""
    with transaction.atomic():
        lock_objects.contract(version.contract_id)
        version = SLAVersion.objects.select_for_update().get(pk=version.pk)
        if not version.held_by or version.held_by_url != url:
            return version
        before = {"held_by": version.held_by, "held_by_url": version.held_by_url}
        version.held_by, version.held_by_url = "", ""
        version.save(update_fields=["held_by", "held_by_url"])
        audit.record(
            actor=actor,
            verb="sla_version.released",
            obj=version,
            contract_id=version.contract_id,
            changes=audit.diff(before, {"held_by": "", "held_by_url": ""}),
        )
    return version


class ReviewLike(Protocol):
    """What may authorize an activation instead of the actor's role: a
    governance board's signed review (``reviews.models.AnnualReview``). Kept
    as a protocol so contracts imports nothing from the apps above it."""

    pk: Any
    contract_id: int

    def authorizes_activation(self, version: SLAVersion) -> bool: ...


def sla_version_activate(
    *,
    actor: Actor,
    version: SLAVersion,
    effective_from: datetime | None = None,
    authorized_by_review: ReviewLike | None = None,
) -> SLAVersion:
    """Freeze a draft and put it in force from ``effective_from``, without
    the parties' acceptances: the path of a signed annual review
    (``authorized_by_review``, whose last signatory is the actor) and of setup
    (data loads, fixtures: basis "recorded", which the exhibit prints as not
    accepted). No page or endpoint calls it: people use the two-party path
    (``consent``) or the staff override.

    The first version takes effect at the contract's start; a later one
    (an amendment) ends the version before it. Versions never overlap: a new
    version must start after every version already activated.
    """
    contract = version.contract
    if authorized_by_review is None:
        require(
            can_manage(contract_standing(actor, contract)), "Only the buyer's contract managers may activate an SLA."
        )
    elif authorized_by_review.contract_id != contract.pk or not authorized_by_review.authorizes_activation(version):
        raise NotPermitted("The review does not authorize putting this SLA version in force.")
    with transaction.atomic():
        contract = _lock(contract)
        version = SLAVersion.objects.select_for_update().get(pk=version.pk)
        basis = SLAVersion.Basis.REVIEW if authorized_by_review else SLAVersion.Basis.RECORDED
        extra = {"authorized_by_review": [None, authorized_by_review.pk]} if authorized_by_review else {}
        return activate_locked(
            actor=actor, contract=contract, version=version, effective_from=effective_from, basis=basis, extra=extra
        )


def latest_active(contract: Contract) -> SLAVersion | None:
    return (
        SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.ACTIVE)
        .order_by("-effective_from")
        .first()
    )


def check_effective_from(contract: Contract, effective_from: datetime | None) -> None:
    """400 for a naive date, or one not after the version in force's start (versions never overlap)."""
    if effective_from is None:
        return
    if timezone.is_naive(effective_from):
        raise InvalidInput(
            "The effective date needs a time zone.", errors={"effective_from": ["Must be timezone-aware."]}
        )
    latest = latest_active(contract)
    if latest is not None and effective_from <= latest.effective_from:
        raise InvalidInput(
            "Versions may not overlap.",
            errors={
                "effective_from": [
                    f"Must be after {latest.effective_from:%Y-%m-%d %H:%M} UTC, when SLA v{latest.number} took effect."
                ]
            },
        )


def default_start(contract: Contract, version: SLAVersion) -> datetime | None:
    """The first version's start (the contract's); None for an amendment (as soon as it is in force)."""
    return None if latest_active(contract) else _start_instant(contract, version.terms)


def activate_locked(
    *,
    actor: Actor,
    contract: Contract,
    version: SLAVersion,
    effective_from: datetime | None,
    basis: str,
    extra: dict[str, Any] | None = None,
    override_reason: str = "",
) -> SLAVersion:
    """Put a draft or proposed ``version`` in force. The caller holds the
    contract's lock and the version's row lock, inside its transaction, and
    has checked who may (``basis`` says on what authority)."""
    if version.status not in (SLAVersion.Status.DRAFT, SLAVersion.Status.PROPOSED):
        raise Conflict(
            f"SLA v{version.number} is {version.get_status_display().lower()}.", state=version.status, allowed=["amend"]
        )
    _check_terms(version.terms, components=contract.covered_components)
    latest = latest_active(contract)
    if effective_from is None:
        effective_from = timezone.now() if latest else _start_instant(contract, version.terms)
    check_effective_from(contract, effective_from)
    if latest is not None:
        latest.effective_to = effective_from
        latest.save(update_fields=["effective_to"])
    before = version.status
    version.status = SLAVersion.Status.ACTIVE
    version.effective_from = effective_from
    version.activated_at = timezone.now()
    version.activated_by = _person(actor)
    version.activation_basis = basis
    version.override_reason = override_reason
    version.save(
        update_fields=[
            "status",
            "effective_from",
            "activated_at",
            "activated_by",
            "activation_basis",
            "override_reason",
        ]
    )
    audit.record(
        actor=actor,
        verb="sla_version.activated",
        obj=version,
        contract_id=contract.pk,
        changes={
            "status": [before, "active"],
            "effective_from": [None, effective_from.isoformat()],
            "activation_basis": [None, basis],
            **({"override_reason": [None, override_reason]} if override_reason else {}),
            **(extra or {}),
        },
    )
    if contract.status == Contract.Status.DRAFT:
        contract.status = Contract.Status.ACTIVE
        contract.save(update_fields=["status", "updated_at"])
        audit.record(
            actor=actor,
            verb="contract.activated",
            obj=contract,
            contract_id=contract.pk,
            changes={"status": ["draft", "active"]},
        )
        from contracts.onboarding import onboarding_plan_create  # the working routine starts (issue 9)

        # The plan is a party manager's act: an organization admin who accepted
        # without a manager role leaves it to the manager who proposed.
        planner = next(
            (p for p in (actor, version.proposed_by) if p and can_manage_side(contract_standing(p, contract))), None
        )
        if planner is not None:
            onboarding_plan_create(actor=planner, contract=contract)
    return version


def sla_version_amend(*, actor: Actor, contract: Contract, change_summary: str = "") -> SLAVersion:
    """A new draft version copying the latest activated terms."""
    require(can_amend(contract_standing(actor, contract)), "You may not amend this contract's SLA.")
    with transaction.atomic():
        contract = _lock(contract)
        base = (
            SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.ACTIVE)
            .order_by("-effective_from")
            .first()
        )
        if base is None:
            raise Conflict(
                "There is no active SLA to amend; edit and activate the draft.",
                state="draft",
                allowed=["edit", "activate"],
            )
        draft = SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.DRAFT).first()
        if draft is not None:
            raise Conflict(
                f"Draft SLA v{draft.number} is already open; edit it instead.", state="draft", allowed=["edit"]
            )
        proposal = SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.PROPOSED).first()
        if proposal is not None:
            raise Conflict(
                f"SLA v{proposal.number} is proposed for acceptance; accept, reject or counter it first.",
                state="proposed",
                allowed=["accept", "reject", "counter", "withdraw"],
            )
        number = (SLAVersion.objects.filter(contract=contract).aggregate(n=Max("number"))["n"] or 0) + 1
        version = SLAVersion.objects.create(
            contract=contract,
            number=number,
            side=drafting_side(contract_standing(actor, contract)),
            terms=base.terms,
            based_on=base,
            preset=base.preset,
            change_summary=change_summary,
            created_by=_person(actor),
        )
        audit.record(
            actor=actor,
            verb="sla_version.amended",
            obj=version,
            contract_id=contract.pk,
            changes={"number": [None, number], "based_on": [None, base.number]},
        )
    return version
