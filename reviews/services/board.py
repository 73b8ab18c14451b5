"""The review's board: who signs (the signatories follow the contract's
board seats) and what must hold before the board is asked to sign."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from accounts.models import Membership, User
from contracts.models import BoardSeat, Contract, SLAVersion
from contracts.terms import TermsError, validate_terms
from core.errors import Conflict, InvalidInput
from reviews import packet as document
from reviews.models import Amendment, AnnualReview, ReviewSignatory
from reviews.services._common import allowed

ROLE_CHAIR = "Chair"
ROLE_BUYER = "Buyer representative"
ROLE_VENDOR = "Vendor representative"
ROLE_MEMBER = "Board member"
BUYER_PREFERENCE = (Membership.Role.CONTRACT_MANAGER, Membership.Role.OPERATIONS, Membership.Role.VIEWER)
VENDOR_PREFERENCE = (Membership.Role.ACCOUNT_MANAGER, Membership.Role.SUPPORT_ENGINEER, Membership.Role.VIEWER)


# -- signatories ---------------------------------------------------------------------------------


def signatory_plan(
    contract: Contract,
    *,
    seats: Sequence[BoardSeat] | None = None,
    memberships: Mapping[int, Membership] | None = None,
) -> tuple[list[tuple[User, str, bool]], list[str]]:
    """(user, role label, required) for each board member, and the roles the
    board cannot fill. Required: the chair, one representative of the buyer
    and one of the vendor (a party's member on the board, managers first).

    A page that already read them passes every board seat (with its user) and,
    by user id, the board members' active memberships in the two parties."""
    if seats is None:
        seats = list(BoardSeat.objects.filter(contract=contract).select_related("user").order_by("pk"))
    else:
        seats = sorted(seats, key=lambda seat: seat.pk)
    if memberships is None:
        memberships = {
            m.user_id: m
            for m in Membership.objects.filter(
                user_id__in=[s.user_id for s in seats],
                organization_id__in=[contract.buyer_id, contract.vendor_id],
                is_active=True,
            )
        }
    members = memberships
    chair = next((s.user for s in seats if s.is_chair and s.user.is_active), None)

    def pick(org_id: int, preference: Sequence[str]) -> User | None:
        side = [
            s.user
            for s in seats
            if s.user.is_active and getattr(members.get(s.user_id), "organization_id", None) == org_id
        ]
        side.sort(key=lambda u: (u == chair, _rank(members[u.pk].role, preference), u.username))
        return side[0] if side else None

    buyer_rep = pick(contract.buyer_id, BUYER_PREFERENCE)
    vendor_rep = pick(contract.vendor_id, VENDOR_PREFERENCE)
    plan: list[tuple[User, str, bool]] = []
    for seat in seats:
        user = seat.user
        if not user.is_active:
            continue
        roles = [
            label
            for label, who in ((ROLE_CHAIR, chair), (ROLE_BUYER, buyer_rep), (ROLE_VENDOR, vendor_rep))
            if who is not None and who.pk == user.pk
        ]
        plan.append((user, ", ".join(roles) if roles else ROLE_MEMBER, bool(roles)))
    plan.sort(
        key=lambda row: (
            not row[2],
            [ROLE_CHAIR, ROLE_BUYER, ROLE_VENDOR].index(row[1].split(", ")[0]) if row[2] else 9,
        )
    )
    missing = [
        text
        for text, who in (
            ("a chair", chair),
            (f"a representative of {contract.buyer.name} (the buyer)", buyer_rep),
            (f"a representative of {contract.vendor.name} (the vendor)", vendor_rep),
        )
        if who is None
    ]
    return plan, missing


def _rank(role: str, preference: Sequence[str]) -> int:
    return preference.index(role) if role in preference else len(preference)


def sync_signatories(review: AnnualReview) -> list[str]:
    """Make the signatories follow the board; returns the roles still missing."""
    plan, missing = signatory_plan(review.contract)
    wanted = {user.pk: (role, required) for user, role, required in plan}
    for sig in review.signatories.all():
        if sig.user_id not in wanted:
            sig.delete()
    for user, role, required in plan:
        ReviewSignatory.objects.update_or_create(
            review=review, user=user, defaults={"role": role, "required": required}
        )
    return missing


def check_ready(review: AnnualReview, *, now: datetime) -> None:
    """What must hold before the board signs: the signatories exist, and
    every amendment is a valid draft that can take effect when agreed."""
    missing = sync_signatories(review)
    if missing:
        raise Conflict(
            f"The board has no {' and no '.join(missing)}: add them to the board before putting the review to signature.",
            state=review.status,
            allowed=allowed(review),
        )
    errors: dict[str, list[str]] = {}
    for a in Amendment.objects.filter(review=review, status=Amendment.Status.PROPOSED).select_related(
        "sla_version", "sla_version__based_on"
    ):
        key = f"amendments[{a.pk}]"
        version = a.sla_version
        if not version.is_draft:
            errors[f"{key}.sla_version"] = [f"SLA v{version.number} is no longer a draft (it was activated)."]
            continue
        try:
            validate_terms(version.terms)
        except TermsError as exc:
            for path, messages in exc.errors.items():
                errors[f"{key}.terms.{path}"] = list(messages)
        if version.based_on is not None and not document.diff_rows(version.based_on.terms, version.terms):
            errors[f"{key}.terms"] = [
                f"Draft SLA v{version.number} changes nothing yet: edit its terms or withdraw it."
            ]
        if not a.rationale.strip():
            errors[f"{key}.rationale"] = ["A rationale is required."]
        if a.effective_from <= now:
            errors[f"{key}.effective_from"] = ["The effective date has passed: set a future date."]
        latest = SLAVersion.objects.filter(contract=review.contract).frozen().order_by("-effective_from").first()
        if latest is not None and latest.effective_from is not None and a.effective_from <= latest.effective_from:
            errors[f"{key}.effective_from"] = [
                f"Must be after {latest.effective_from:%-d %b %Y %H:%M} UTC, when SLA v{latest.number} took effect."
            ]
    if errors:
        raise InvalidInput(
            "An amendment does not meet the contract's rules, so the review cannot be put to signature.", errors=errors
        )
