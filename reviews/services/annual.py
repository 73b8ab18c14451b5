"""Annual reviews: the governance board's yearly look at a contract, the
review packet, SLA amendments and the board's sign-off.

Life of a review::

    preparing ──circulate──> in_review ──freeze──> awaiting_signatures ──last approval──> signed
        ^  ^                    │                      │   │
        │  └──── return ────────┘<──── return ─────────┘   └── any rejection ──> preparing
        └─ (preparing / in_review / awaiting) ── close ──> rejected (final, without agreement)

Every use case is keyword-only, runs in one transaction, checks the actor's
right, and writes an audit entry per change. Errors: ``InvalidInput`` (400,
field errors), ``NotPermitted`` (403), ``Conflict`` (409, naming the state and
what it allows).

Lock order (fixed, to rule out deadlocks): the review row, then the contract
row, then the review's draft SLA versions, then (through ``audit.record``)
the audit chain's head. ``contracts.services`` locks the contract before a
version too, so the two never wait on each other in opposite orders.

Signatures: the review row lock serializes signers (on SQLite the IMMEDIATE
transaction does), so two different people signing at the same moment both
count, each exactly once, and whoever comes second sees the first's signature
and completes the review if it was the last one. The unique constraint on
(review, user, packet) is what makes a double submission by the same person
count once even outside this lock.

Activation: the last required approval puts the amended SLA version in force
through ``contracts.services.sla_version_activate`` with the signing person as
actor and ``authorized_by_review=review``: the board's sign-off is the
authority (the last signatory may be the vendor's representative or the chair,
who may not activate terms on their own), and the audit entry names both the
person whose signature completed it and the review.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.access import Standing
from accounts.models import Membership, User
from accounts.services import notify
from audit import services as audit
from contracts import services as contract_services
from contracts.access import can_amend, can_manage, can_manage_side, contract_standing
from contracts.models import BoardSeat, Contract, SLAVersion
from contracts.terms import TermsError, validate_terms
from core.checksum import checksum
from core.errors import Conflict, InvalidInput, NotPermitted
from reviews import packet as packets
from reviews.models import Amendment, AnnualReview, ReviewComment, ReviewPacket, ReviewSignatory, Signature

S = AnnualReview.Status
D = Signature.Decision
SYSTEM = "system:annual-reviews"
OPEN_STATES = (S.PREPARING, S.IN_REVIEW, S.AWAITING_SIGNATURES)
EDITABLE_STATES = OPEN_STATES
RECORD_FIELDS = ("agenda", "meeting_date", "minutes", "decisions", "recommendation", "recommendation_reasons")
REVIEW_FIELDS = ["contract", "year", "anniversary", "scheduled_for", "status"]
AMENDMENT_FIELDS = ("title", "rationale", "evidence", "effective_from")
ROLE_CHAIR = "Chair"
ROLE_BUYER = "Buyer representative"
ROLE_VENDOR = "Vendor representative"
ROLE_MEMBER = "Board member"
BUYER_PREFERENCE = (Membership.Role.CONTRACT_MANAGER, Membership.Role.OPERATIONS, Membership.Role.VIEWER)
VENDOR_PREFERENCE = (Membership.Role.ACCOUNT_MANAGER, Membership.Role.SUPPORT_ENGINEER, Membership.Role.VIEWER)


def lead_days() -> int:
    """How many days before the anniversary the review opens (``COVENANT_REVIEW_LEAD_DAYS``)."""
    return int(getattr(settings, "COVENANT_REVIEW_LEAD_DAYS", 30))


def review_url(review: AnnualReview) -> str:
    return reverse("reviews:detail", args=[review.pk])


# -- anniversaries ---------------------------------------------------------------------------


def anniversary_in(start: date, year: int) -> date:
    """The contract's anniversary in ``year`` (28 Feb for a 29 Feb start in a common year)."""
    try:
        return start.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def due_anniversary(contract: Contract, today: date, *, lead: int | None = None) -> date | None:
    """The anniversary whose review should be open by ``today``: at most
    ``lead`` days ahead. One that passed at most ``lead`` days ago still
    counts (the runs around it were missed: caught up), an older one does
    not; nor one before the contract's first anniversary or after the day
    its term ends."""
    lead = lead_days() if lead is None else lead
    horizon = today + timedelta(days=lead)
    candidate = anniversary_in(contract.start_date, horizon.year)
    if candidate > horizon:
        candidate = anniversary_in(contract.start_date, horizon.year - 1)
    if candidate < today - timedelta(days=lead):
        return None
    if candidate <= contract.start_date or candidate > contract.term_end + timedelta(days=1):
        return None
    return candidate


def next_anniversary(contract: Contract, today: date) -> date | None:
    """The first anniversary on or after ``today`` (for opening a review by hand)."""
    for year in (today.year, today.year + 1):
        candidate = anniversary_in(contract.start_date, year)
        if candidate >= today and candidate > contract.start_date:
            return candidate if candidate <= contract.term_end + timedelta(days=1) else None
    return None


# -- who ---------------------------------------------------------------------------------------


def _standing(actor: Any, contract: Contract) -> Standing:
    contract.__dict__.pop("_board_user_ids", None)  # board changes between calls: read it fresh
    return contract_standing(actor, contract)


def is_chair(actor: Any, contract: Contract) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False)
        and BoardSeat.objects.filter(contract=contract, user_id=actor.pk, is_chair=True).exists()
    )


def may_lead(actor: Any, contract: Contract) -> bool:
    """Open, circulate, freeze, return and close a review; edit its record:
    the chair, the buyer's contract managers, staff."""
    return can_manage(_standing(actor, contract)) or is_chair(actor, contract)


def may_comment(actor: Any, contract: Contract) -> bool:
    s = _standing(actor, contract)
    return s.on_board or can_manage_side(s)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# -- signatories ---------------------------------------------------------------------------------


def signatory_plan(contract: Contract) -> tuple[list[tuple[User, str, bool]], list[str]]:
    """(user, role label, required) for each board member, and the roles the
    board cannot fill. Required: the chair, one representative of the buyer
    and one of the vendor (a party's member on the board, managers first)."""
    seats = list(BoardSeat.objects.filter(contract=contract).select_related("user").order_by("pk"))
    members = {
        m.user_id: m
        for m in Membership.objects.filter(
            user_id__in=[s.user_id for s in seats],
            organization_id__in=[contract.buyer_id, contract.vendor_id],
            is_active=True,
        )
    }
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


def _sync_signatories(review: AnnualReview) -> list[str]:
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


# -- packets ---------------------------------------------------------------------------------------


def current_packet(review: AnnualReview) -> ReviewPacket | None:
    return review.packets.order_by("-version").first()


def signing_packet(review: AnnualReview) -> ReviewPacket | None:
    """The frozen packet up for signature (or signed)."""
    if review.status not in (S.AWAITING_SIGNATURES, S.SIGNED):
        return None
    return review.packets.filter(frozen=True).order_by("-version").first()


def _generate(review: AnnualReview, *, actor: Any, frozen: bool, now: datetime) -> ReviewPacket:
    """Render the next packet version. Freezing always renders a new one, so
    a packet number never stands for two different files."""
    data = packets.packet_data(review)
    data_sum = checksum(data)
    fingerprint = packets.amendments_fingerprint(review)
    version = (review.packets.aggregate(n=Max("version"))["n"] or 0) + 1
    packet = ReviewPacket(
        review=review,
        version=version,
        frozen=frozen,
        frozen_at=now if frozen else None,
        data=data,
        data_checksum=data_sum,
        amendments_fingerprint=fingerprint,
        generated_at=now,
        generated_by=_person(actor),
    )
    content = packets.render_packet_pdf(data, version=version, generated_at=now, frozen=frozen)
    _store(review, packet, content)
    packet.save()
    audit.record(
        actor=actor,
        verb="annual_review.packet_frozen" if frozen else "annual_review.packet_generated",
        obj=review,
        contract_id=review.contract_id,
        changes={"packet": [None, version], "checksum": [None, packet.checksum], "frozen": [None, frozen]},
    )
    return packet


def _store(review: AnnualReview, packet: ReviewPacket, content: bytes) -> None:
    packet.review = review
    packet.checksum = hashlib.sha256(content).hexdigest()
    packet.pdf.save(packets.packet_filename(review, packet.version), ContentFile(content), save=False)


# -- locking and state ----------------------------------------------------------------------------------


def _lock(review: AnnualReview) -> AnnualReview:
    """Lock in the fixed order: review, contract, the review's draft versions."""
    locked = AnnualReview.objects.select_for_update().get(pk=review.pk)
    locked.contract = Contract.objects.select_for_update().select_related("buyer", "vendor").get(pk=locked.contract_id)
    drafts = list(
        Amendment.objects.filter(review=locked, status=Amendment.Status.PROPOSED).values_list(
            "sla_version_id", flat=True
        )
    )
    if drafts:
        list(SLAVersion.objects.select_for_update().filter(pk__in=drafts).order_by("pk"))
    return locked


def _allowed(review: AnnualReview) -> list[str]:
    return {
        S.PREPARING: ["edit", "regenerate_packet", "propose_amendment", "comment", "circulate", "freeze", "close"],
        S.IN_REVIEW: ["edit", "propose_amendment", "comment", "return", "freeze", "close"],
        S.AWAITING_SIGNATURES: ["sign", "reject", "comment", "edit", "return", "close"],
        S.SIGNED: ["comment"],
        S.REJECTED: [],
    }[review.status]


def _require_state(review: AnnualReview, states: Iterable[str], action: str) -> None:
    if review.status not in states:
        raise Conflict(
            f"Cannot {action}: the review is {review.get_status_display().lower()}.",
            state=review.status,
            allowed=_allowed(review),
        )


def _set_status(review: AnnualReview, to: str, *, actor: Any, verb: str, extra: dict[str, Any] | None = None) -> None:
    before = review.status
    review.status = to
    review.save(update_fields=["status", "updated_at", *(extra or {}).keys()])
    audit.record(
        actor=actor,
        verb=verb,
        obj=review,
        contract_id=review.contract_id,
        changes={"status": [before, to], **{k: [None, v] for k, v in (extra or {}).items()}},
    )


def board_users(review: AnnualReview) -> list[User]:
    return [s.user for s in BoardSeat.objects.filter(contract_id=review.contract_id).select_related("user")]


def _tell(users: Iterable[User], review: AnnualReview, *, verb: str, title: str, body: str = "") -> None:
    notify(users=[u for u in users if u.is_active], verb=verb, title=title, body=body, url=review_url(review))


def _valid_signatures(review: AnnualReview, packet: ReviewPacket | None) -> list[Signature]:
    if packet is None:
        return []
    return list(Signature.objects.filter(review=review, packet=packet, voided_at__isnull=True).select_related("user"))


def _void(review: AnnualReview, *, actor: Any, reason: str, now: datetime, keep: Signature | None = None) -> list[User]:
    """Void every valid signature of the review (rows stay, marked void);
    returns who had signed."""
    rows = list(Signature.objects.filter(review=review, voided_at__isnull=True).select_related("user"))
    if keep is not None:
        rows = [r for r in rows if r.pk != keep.pk]
    if not rows:
        return []
    Signature.objects.filter(pk__in=[r.pk for r in rows]).update(voided_at=now, void_reason=reason[:300])
    audit.record(
        actor=actor,
        verb="annual_review.signatures_voided",
        obj=review,
        contract_id=review.contract_id,
        changes={"signatures": [[r.user.username for r in rows], []], "reason": [None, reason]},
    )
    return [r.user for r in rows]


def _changed(review: AnnualReview, *, actor: Any, what: str, now: datetime) -> ReviewPacket | None:
    """Something the packet shows changed. While awaiting signatures that
    voids every signature, freezes a new packet and tells the signers; while
    preparing the draft packet is simply out of date until regenerated."""
    if review.status != S.AWAITING_SIGNATURES:
        return None
    old = signing_packet(review)
    signers = _void(
        review, actor=actor, reason=f"{what} after packet v{old.version if old else '?'} was frozen", now=now
    )
    packet = _generate(review, actor=actor, frozen=True, now=now)
    who = str(actor) if _person(actor) else "the system"
    if signers:
        _tell(
            signers,
            review,
            verb="annual_review.signature_voided",
            title=f"Your signature on {review.contract.reference} annual review {review.year} is void",
            body=(
                f"{what[0].upper()}{what[1:]} (by {who}) after you signed packet v{old.version if old else '?'}. "
                f"Every signature is void; packet v{packet.version} (checksum {packet.checksum[:12]}…) is up for "
                "signature: please read it and sign again."
            ),
        )
    others = [s.user for s in review.signatories.select_related("user") if s.user not in signers]
    _tell(
        others,
        review,
        verb="annual_review.packet_changed",
        title=f"New packet v{packet.version} for {review.contract.reference} annual review {review.year}",
        body=f"{what[0].upper()}{what[1:]}; packet v{packet.version} replaces the one up for signature.",
    )
    return packet


# -- open -----------------------------------------------------------------------------------------------


def review_open(
    *,
    actor: Any,
    contract: Contract,
    anniversary: date | None = None,
    now: datetime | None = None,
    generate_packet: bool = True,
) -> AnnualReview:
    """Open the review for ``anniversary`` (default: the next one), compute
    its signatories from the board, generate packet v1 and notify the board."""
    now = now or timezone.now()
    if _person(actor):
        _require(
            may_lead(actor, contract), "Only the board's chair and the buyer's contract managers may open a review."
        )
    if contract.status != Contract.Status.ACTIVE:
        raise Conflict(
            f"Contract {contract.reference} is {contract.get_status_display().lower()}: only active contracts are reviewed.",
            state=contract.status,
        )
    anniversary = anniversary or next_anniversary(contract, timezone.localdate(now))
    if anniversary is None:
        raise Conflict(f"Contract {contract.reference} has no anniversary left in its term.", state=contract.status)
    try:
        with transaction.atomic():
            Contract.objects.select_for_update().filter(pk=contract.pk).first()
            review = AnnualReview.objects.create(
                contract=contract,
                year=anniversary.year,
                anniversary=anniversary,
                scheduled_for=anniversary,
                opened_at=now,
                opened_by=_person(actor),
                agenda=default_agenda(contract),
            )
            audit.record(
                actor=actor,
                verb="annual_review.opened",
                obj=review,
                contract_id=contract.pk,
                changes=audit.created(review, REVIEW_FIELDS),
            )
            missing = _sync_signatories(review)
            if generate_packet:
                _generate(review, actor=actor, frozen=False, now=now)
            _tell(
                board_users(review),
                review,
                verb="annual_review.opened",
                title=f"Annual review {review.year} of {contract.reference} is open",
                body=(
                    f"The board reviews {contract.reference} ({contract.product}) for the anniversary on "
                    f"{anniversary:%-d %b %Y}. The packet is ready to read; propose amendments and comment in Covenant."
                    + (f"\nThe board still lacks {', '.join(missing)} to sign." if missing else "")
                ),
            )
    except IntegrityError:
        raise Conflict(
            f"The annual review of {contract.reference} for {anniversary:%-d %b %Y} is already open.", state="open"
        ) from None
    return review


def default_agenda(contract: Contract) -> str:
    return "\n".join(
        [
            "1. The year in figures: availability, incident targets, satisfaction",
            "2. Breaches, credits and disputes",
            "3. Change-notice and maintenance compliance",
            "4. Open feedback items",
            "5. Proposed SLA amendments",
            f"6. Renewal recommendation (notice deadline {contract.notice_deadline:%-d %b %Y})",
        ]
    )


def open_due_reviews(*, now: datetime | None = None, lead: int | None = None) -> list[AnnualReview]:
    """Open the review of each active contract whose anniversary is at most
    ``lead`` days ahead (``COVENANT_REVIEW_LEAD_DAYS``), once: an existing
    review, or one opened concurrently (the unique constraint), is skipped."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    contracts = list(Contract.objects.active().select_related("buyer", "vendor").order_by("pk"))
    due = {c.pk: due_anniversary(c, today, lead=lead) for c in contracts}
    existing = set(
        AnnualReview.objects.filter(contract_id__in=[pk for pk, a in due.items() if a]).values_list(
            "contract_id", "anniversary"
        )
    )
    opened = []
    for contract in contracts:
        anniversary = due[contract.pk]
        if anniversary is None or (contract.pk, anniversary) in existing:
            continue
        try:
            opened.append(review_open(actor=SYSTEM, contract=contract, anniversary=anniversary, now=now))
        except Conflict:
            continue  # opened by a concurrent run
    return opened


# -- the record ------------------------------------------------------------------------------------------


def review_update(*, actor: Any, review: AnnualReview, **changes: Any) -> AnnualReview:
    """Agenda, meeting date, minutes, decisions and the renewal recommendation."""
    unknown = set(changes) - set(RECORD_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", errors={k: ["This field cannot be changed here."] for k in unknown})
    _require(
        may_lead(actor, review.contract), "Only the board's chair and the buyer's contract managers edit the record."
    )
    errors: dict[str, list[str]] = {}
    if "recommendation" in changes and changes["recommendation"] not in ("", *AnnualReview.Recommendation.values):
        errors["recommendation"] = [f"Must be one of: {', '.join(AnnualReview.Recommendation.values)}."]
    meeting = changes.get("meeting_date")
    if meeting is not None and timezone.is_naive(meeting):
        errors["meeting_date"] = ["Must be timezone-aware."]
    now = timezone.now()
    with transaction.atomic():
        review = _lock(review)
        _require_state(review, EDITABLE_STATES, "edit the record")
        rec = changes.get("recommendation", review.recommendation)
        reasons = changes.get("recommendation_reasons", review.recommendation_reasons)
        if rec and not (reasons or "").strip():
            errors["recommendation_reasons"] = ["Give the reasons for the recommendation."]
        if errors:
            raise InvalidInput("Please correct the errors below.", errors=errors)
        before = audit.snapshot(review, RECORD_FIELDS)
        for key, value in changes.items():
            setattr(review, key, value.strip() if isinstance(value, str) else value)
        review.save()
        delta = audit.diff(before, audit.snapshot(review, RECORD_FIELDS))
        if delta:
            audit.record(
                actor=actor, verb="annual_review.updated", obj=review, contract_id=review.contract_id, changes=delta
            )
            _changed(review, actor=actor, what="the board record changed", now=now)
    return review


def packet_regenerate(*, actor: Any, review: AnnualReview) -> ReviewPacket:
    """A new draft packet from today's figures. While signatures are being
    collected this is a change to the packet: it freezes a new one and voids
    every signature."""
    s = _standing(actor, review.contract)
    _require(s.on_board or can_manage(s), "Only the board and the buyer's contract managers regenerate the packet.")
    now = timezone.now()
    with transaction.atomic():
        review = _lock(review)
        _require_state(review, (S.PREPARING, S.IN_REVIEW, S.AWAITING_SIGNATURES), "regenerate the packet")
        if review.status == S.AWAITING_SIGNATURES:
            return _changed(review, actor=actor, what="the packet was regenerated", now=now)
        return _generate(review, actor=actor, frozen=False, now=now)


# -- amendments -------------------------------------------------------------------------------------------------


def _aware(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise InvalidInput("Please correct the errors below.", errors={name: ["A date and time with a time zone."]})
    return value


def effective_from_date(contract: Contract, day: date) -> datetime:
    """Local midnight of ``day`` in the SLA's calendar zone."""
    version = packets.reference_version(contract, timezone.now())
    zone = version.terms["calendar"]["timezone"] if version else "UTC"
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def _evidence(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("Please correct the errors below.", errors={"evidence": ["A list of references."]})
    return [v.strip() for v in value if v.strip()][:50]


def _check_amendment_fields(title: str, rationale: str, effective_from: datetime, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = ["Name the change."]
    if not (rationale or "").strip():
        errors["rationale"] = ["Explain why, with the year's evidence: a rationale is required."]
    if effective_from <= now:
        errors["effective_from"] = ["Must be in the future: signed amendments never change past periods."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)


def amendment_propose(
    *,
    actor: Any,
    review: AnnualReview,
    title: str,
    rationale: str,
    effective_from: datetime,
    evidence: Sequence[str] | str | None = None,
    terms: dict[str, Any] | None = None,
) -> Amendment:
    """Propose an SLA change: a new draft version (``sla_version_amend``,
    or the contract's open draft if nobody's amendment holds it), edited to
    ``terms`` when given, with its rationale. Board members and the buyer's
    contract managers."""
    _require(can_amend(_standing(actor, review.contract)), "Only board members may propose amendments.")
    effective_from = _aware(effective_from, "effective_from")
    now = timezone.now()
    _check_amendment_fields(title, rationale, effective_from, now)
    refs = _evidence(evidence)
    with transaction.atomic():
        review = _lock(review)
        _require_state(review, (S.PREPARING, S.IN_REVIEW, S.AWAITING_SIGNATURES), "propose an amendment")
        taken = Amendment.objects.filter(review=review, status=Amendment.Status.PROPOSED).first()
        if taken is not None:
            raise Conflict(
                f"“{taken.title}” is already proposed on draft SLA v{taken.sla_version.number}; "
                "edit it (one draft SLA version per contract) or withdraw it first.",
                state=review.status,
                allowed=["edit_amendment", "withdraw_amendment"],
            )
        contract = review.contract
        draft = SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.DRAFT).first()
        if draft is not None and Amendment.objects.filter(sla_version=draft, status=Amendment.Status.PROPOSED).exists():
            raise Conflict(
                f"Draft SLA v{draft.number} belongs to another review's amendment.", state=review.status, allowed=[]
            )
        if draft is None:
            draft = contract_services.sla_version_amend(actor=actor, contract=contract, change_summary=title.strip())
        if terms is not None:
            draft = contract_services.sla_version_update(actor=actor, version=draft, terms=terms)
        amendment = Amendment.objects.create(
            review=review,
            sla_version=draft,
            title=title.strip(),
            rationale=rationale.strip(),
            evidence=refs,
            effective_from=effective_from,
            proposed_by=_person(actor),
            proposed_at=now,
        )
        audit.record(
            actor=actor,
            verb="annual_review.amendment_proposed",
            obj=amendment,
            contract_id=review.contract_id,
            changes={**audit.created(amendment, list(AMENDMENT_FIELDS)), "sla_version": [None, draft.number]},
        )
        _changed(review, actor=actor, what=f"amendment “{amendment.title}” was proposed", now=now)
        others = [u for u in board_users(review) if u.pk != getattr(actor, "pk", None)]
        _tell(
            others,
            review,
            verb="annual_review.amendment_proposed",
            title=f"Amendment proposed for {contract.reference}: {amendment.title}",
            body=amendment.rationale,
        )
    return amendment


def amendment_update(
    *,
    actor: Any,
    amendment: Amendment,
    title: str | None = None,
    rationale: str | None = None,
    effective_from: datetime | None = None,
    evidence: Sequence[str] | str | None = None,
    terms: dict[str, Any] | None = None,
) -> Amendment:
    """Edit a proposed amendment's wording, date or draft terms. After a
    signature this voids every signature (and says so to the signers)."""
    review = amendment.review
    _require(can_amend(_standing(actor, review.contract)), "Only board members may edit amendments.")
    now = timezone.now()
    with transaction.atomic():
        review = _lock(review)
        amendment = Amendment.objects.select_related("sla_version").get(pk=amendment.pk)
        _require_state(review, (S.PREPARING, S.IN_REVIEW, S.AWAITING_SIGNATURES), "edit an amendment")
        if amendment.status != Amendment.Status.PROPOSED:
            raise Conflict(f"The amendment is {amendment.get_status_display().lower()}.", state=amendment.status)
        before = audit.snapshot(amendment, AMENDMENT_FIELDS)
        if title is not None:
            amendment.title = title.strip()
        if rationale is not None:
            amendment.rationale = rationale.strip()
        if effective_from is not None:
            amendment.effective_from = _aware(effective_from, "effective_from")
        if evidence is not None:
            amendment.evidence = _evidence(evidence)
        _check_amendment_fields(amendment.title, amendment.rationale, amendment.effective_from, now)
        old_terms = amendment.sla_version.terms
        if terms is not None:
            amendment.sla_version = contract_services.sla_version_update(
                actor=actor, version=amendment.sla_version, terms=terms
            )
        amendment.save()
        delta = audit.diff(before, audit.snapshot(amendment, AMENDMENT_FIELDS))
        if delta:
            audit.record(
                actor=actor,
                verb="annual_review.amendment_updated",
                obj=amendment,
                contract_id=review.contract_id,
                changes=delta,
            )
        if delta or (terms is not None and terms != old_terms):
            _changed(review, actor=actor, what=f"amendment “{amendment.title}” changed", now=now)
    return amendment


def amendment_withdraw(*, actor: Any, amendment: Amendment, reason: str = "") -> Amendment:
    """Take a proposal off the table (its draft SLA version stays a draft)."""
    review = amendment.review
    s = _standing(actor, review.contract)
    _require(
        can_manage(s) or is_chair(actor, review.contract) or getattr(actor, "pk", None) == amendment.proposed_by_id,
        "Only the proposer, the chair and the buyer's contract managers withdraw an amendment.",
    )
    now = timezone.now()
    with transaction.atomic():
        review = _lock(review)
        amendment = Amendment.objects.get(pk=amendment.pk)
        _require_state(review, (S.PREPARING, S.IN_REVIEW, S.AWAITING_SIGNATURES), "withdraw an amendment")
        if amendment.status != Amendment.Status.PROPOSED:
            raise Conflict(f"The amendment is {amendment.get_status_display().lower()}.", state=amendment.status)
        amendment.status = Amendment.Status.WITHDRAWN
        amendment.note = reason.strip()
        amendment.save(update_fields=["status", "note", "updated_at"])
        audit.record(
            actor=actor,
            verb="annual_review.amendment_withdrawn",
            obj=amendment,
            contract_id=review.contract_id,
            changes={"status": ["proposed", "withdrawn"], "note": [None, amendment.note]},
        )
        _changed(review, actor=actor, what=f"amendment “{amendment.title}” was withdrawn", now=now)
    return amendment


def sync_amendment_change(version_id: int) -> bool:
    """A draft SLA version held by an amendment was saved outside the review
    (the contract's terms editor). If a frozen packet no longer shows its
    terms, this is a change after freezing: void and refreeze. Idempotent."""
    amendment = (
        Amendment.objects.filter(sla_version_id=version_id, status=Amendment.Status.PROPOSED)
        .select_related("review")
        .first()
    )
    if amendment is None or amendment.review.status != S.AWAITING_SIGNATURES:
        return False
    with transaction.atomic():
        review = _lock(amendment.review)
        packet = signing_packet(review)
        if packet is None or packet.amendments_fingerprint == packets.amendments_fingerprint(review):
            return False
        _changed(review, actor=SYSTEM, what="the draft SLA terms were edited", now=timezone.now())
    return True


# -- comments ------------------------------------------------------------------------------------------------------


def comment_add(*, actor: Any, review: AnnualReview, body: str, amendment: Amendment | None = None) -> ReviewComment:
    _require(may_comment(actor, review.contract), "Only board members and the parties' managers may comment.")
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write a comment.", errors={"body": ["This field may not be blank."]})
    if amendment is not None and amendment.review_id != review.pk:
        raise InvalidInput("That amendment belongs to another review.", errors={"amendment": ["Not this review's."]})
    with transaction.atomic():
        review = AnnualReview.objects.select_for_update().get(pk=review.pk)
        _require_state(review, (*OPEN_STATES, S.SIGNED), "comment")
        comment = ReviewComment.objects.create(
            review=review, amendment=amendment, author=_person(actor), body=body, created_at=timezone.now()
        )
        audit.record(
            actor=actor,
            verb="annual_review.commented",
            obj=comment,
            contract_id=review.contract_id,
            changes={"body": [None, body[:500]], "amendment": [None, amendment.pk if amendment else None]},
        )
        others = [u for u in board_users(review) if u.pk != getattr(actor, "pk", None)]
        _tell(
            others,
            review,
            verb="annual_review.commented",
            title=f"{actor} commented on {review.contract.reference} annual review {review.year}",
            body=body[:1000],
        )
    return comment


# -- moving through the states ------------------------------------------------------------------------------------------


def review_circulate(*, actor: Any, review: AnnualReview) -> AnnualReview:
    """Put the packet in front of the board (preparing -> in review)."""
    _require(may_lead(actor, review.contract), "Only the chair and the buyer's contract managers circulate the packet.")
    now = timezone.now()
    with transaction.atomic():
        review = _lock(review)
        _require_state(review, (S.PREPARING,), "circulate the packet")
        packet = current_packet(review)
        if packet is None or packet.amendments_fingerprint != packets.amendments_fingerprint(review):
            packet = _generate(review, actor=actor, frozen=False, now=now)
        _set_status(review, S.IN_REVIEW, actor=actor, verb="annual_review.circulated")
        _tell(
            board_users(review),
            review,
            verb="annual_review.circulated",
            title=f"Annual review {review.year} of {review.contract.reference}: packet v{packet.version} to review",
            body="Read the packet, comment and propose amendments before the board meets.",
        )
    return review


def check_ready(review: AnnualReview, *, now: datetime) -> None:
    """What must hold before the board signs: the signatories exist, and
    every amendment is a valid draft that can take effect when agreed."""
    missing = _sync_signatories(review)
    if missing:
        raise Conflict(
            f"The board has no {' and no '.join(missing)}: add them to the board before putting the review to signature.",
            state=review.status,
            allowed=_allowed(review),
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
        if version.based_on is not None and not packets.diff_rows(version.based_on.terms, version.terms):
            errors[f"{key}.terms"] = [
                f"Draft SLA v{version.number} changes nothing yet: edit its terms or withdraw it."
            ]
        if not a.rationale.strip():
            errors[f"{key}.rationale"] = ["A rationale is required."]
        if a.effective_from <= now:
            errors[f"{key}.effective_from"] = ["The effective date has passed: set a future date."]
        latest = SLAVersion.objects.filter(contract=review.contract).frozen().order_by("-effective_from").first()
        if latest is not None and a.effective_from <= latest.effective_from:
            errors[f"{key}.effective_from"] = [
                f"Must be after {latest.effective_from:%-d %b %Y %H:%M} UTC, when SLA v{latest.number} took effect."
            ]
    if errors:
        raise InvalidInput(
            "An amendment does not meet the contract's rules, so the review cannot be put to signature.", errors=errors
        )


def review_freeze(*, actor: Any, review: AnnualReview) -> ReviewPacket:
    """Freeze the packet and ask the signatories to sign."""
    _require(may_lead(actor, review.contract), "Only the chair and the buyer's contract managers freeze the packet.")
    now = timezone.now()
    with transaction.atomic():
        review = _lock(review)
        _require_state(review, (S.PREPARING, S.IN_REVIEW), "freeze the packet")
        check_ready(review, now=now)
        packet = _generate(review, actor=actor, frozen=True, now=now)
        _set_status(review, S.AWAITING_SIGNATURES, actor=actor, verb="annual_review.put_to_signature")
        required = list(review.signatories.select_related("user"))
        _tell(
            [s.user for s in required],
            review,
            verb="annual_review.awaiting_signature",
            title=f"Please sign: {review.contract.reference} annual review {review.year} (packet v{packet.version})",
            body=(
                f"Packet v{packet.version} is frozen (SHA-256 {packet.checksum}). Read it, then approve or reject "
                "it in Covenant. A signature cannot be withdrawn."
            ),
        )
    return packet


def review_return(*, actor: Any, review: AnnualReview, reason: str = "") -> AnnualReview:
    """Back to preparation (from in review, or from signing, which voids the signatures)."""
    _require(may_lead(actor, review.contract), "Only the chair and the buyer's contract managers may do this.")
    now = timezone.now()
    with transaction.atomic():
        review = _lock(review)
        _require_state(review, (S.IN_REVIEW, S.AWAITING_SIGNATURES), "return the review to preparation")
        signers = _void(
            review,
            actor=actor,
            reason=f"returned to preparation by {actor}" + (f": {reason}" if reason else ""),
            now=now,
        )
        _set_status(review, S.PREPARING, actor=actor, verb="annual_review.returned")
        if signers:
            _tell(
                signers,
                review,
                verb="annual_review.signature_voided",
                title=f"Your signature on {review.contract.reference} annual review {review.year} is void",
                body=f"{actor} returned the review to preparation{': ' + reason if reason else ''}.",
            )
    return review


def review_close(*, actor: Any, review: AnnualReview, reason: str) -> AnnualReview:
    """Close the review without agreement (final)."""
    _require(may_lead(actor, review.contract), "Only the chair and the buyer's contract managers close a review.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the review closes without agreement.", errors={"reason": ["Required."]})
    now = timezone.now()
    with transaction.atomic():
        review = _lock(review)
        _require_state(review, OPEN_STATES, "close the review")
        _void(review, actor=actor, reason=f"the review was closed without agreement: {reason}", now=now)
        review.rejected_reason = reason
        _set_status(review, S.REJECTED, actor=actor, verb="annual_review.closed", extra={"rejected_reason": reason})
        _tell(
            board_users(review),
            review,
            verb="annual_review.closed",
            title=f"{review.contract.reference} annual review {review.year} closed without agreement",
            body=reason,
        )
    return review


# -- signatures ---------------------------------------------------------------------------------------------------------


def review_sign(
    *,
    actor: Any,
    review: AnnualReview,
    decision: str,
    packet_checksum: str,
    reason: str = "",
    ip_address: str | None = None,
) -> Signature:
    """Approve or reject the frozen packet. Records the person, the time, the
    address and the packet's checksum; cannot be changed or withdrawn. A
    rejection returns the review to preparation; the last required approval
    puts the amended SLA version(s) in force and marks the review signed."""
    if decision not in D.values:
        raise InvalidInput("Approve or reject.", errors={"decision": [f"Must be one of: {', '.join(D.values)}."]})
    reason = (reason or "").strip()
    if decision == D.REJECT and not reason:
        raise InvalidInput("A rejection needs a reason.", errors={"reason": ["Say what must change."]})
    stale: str | None = None
    with transaction.atomic():
        review = _lock(review)
        _refuse_unsignable(review)
        signatory = review.signatories.filter(user_id=getattr(actor, "pk", None)).first()
        if signatory is None:
            raise NotPermitted(
                "Only the review's signatories may sign: "
                + ", ".join(f"{s.user} ({s.role})" for s in review.signatories.select_related("user"))
                + "."
            )
        packet = signing_packet(review)
        if (packet_checksum or "").strip().lower() != packet.checksum:
            raise Conflict(
                f"The packet you are signing (checksum {(packet_checksum or '–')[:12]}…) is not the packet up for "
                f"signature: packet v{packet.version}, checksum {packet.checksum[:12]}…. Read packet v{packet.version} "
                "and sign it.",
                state=review.status,
                allowed=["sign", "reject"],
            )
        now = timezone.now()
        if packet.amendments_fingerprint != packets.amendments_fingerprint(review):
            new = _changed(review, actor=SYSTEM, what="the draft SLA terms were edited", now=now)
            stale = (
                f"The amendments changed after packet v{packet.version} was frozen, so it can no longer be signed. "
                f"Every signature is void and packet v{new.version} is up for signature: read it and sign again."
            )
        else:
            earlier = Signature.objects.filter(review=review, user_id=actor.pk, packet=packet).first()
            if earlier is not None:
                raise _already(earlier, packet)
            try:
                with transaction.atomic():
                    signature = Signature.objects.create(
                        review=review,
                        packet=packet,
                        user=actor,
                        role=signatory.role,
                        decision=decision,
                        reason=reason,
                        at=now,
                        ip_address=ip_address or None,
                        packet_checksum=packet.checksum,
                    )
            except IntegrityError:
                raise _already(Signature.objects.get(review=review, user_id=actor.pk, packet=packet), packet) from None
            audit.record(
                actor=actor,
                verb="annual_review.approved" if decision == D.APPROVE else "annual_review.rejected",
                obj=review,
                contract_id=review.contract_id,
                changes={
                    "signature": [None, signature.pk],
                    "decision": [None, decision],
                    "packet": [None, packet.version],
                    "packet_checksum": [None, packet.checksum],
                    "ip_address": [None, signature.ip_address],
                    **({"reason": [None, reason]} if reason else {}),
                },
            )
            if decision == D.REJECT:
                _rejected(review, signature, actor=actor, now=now)
            elif _complete(review, packet):
                _signed(review, actor=actor, now=now)
    if stale:
        raise Conflict(stale, state=S.AWAITING_SIGNATURES, allowed=["sign", "reject"])
    return signature


def _already(earlier: Signature, packet: ReviewPacket) -> Conflict:
    return Conflict(
        f"You already {earlier.get_decision_display().lower()} packet v{packet.version} on "
        f"{earlier.at:%-d %b %Y %H:%M} UTC. A signature cannot be changed or withdrawn.",
        state=earlier.review.status,
        allowed=[],
    )


def _refuse_unsignable(review: AnnualReview) -> None:
    if review.status == S.AWAITING_SIGNATURES:
        return
    if review.status == S.REJECTED:
        raise Conflict(
            f"The review was closed without agreement ({review.rejected_reason}); it cannot be signed.",
            state=review.status,
            allowed=[],
        )
    if review.status == S.SIGNED:
        raise Conflict(
            f"The review was signed on {review.signed_at:%-d %b %Y %H:%M} UTC; nothing is left to sign.",
            state=review.status,
            allowed=["comment"],
        )
    last = Signature.objects.filter(review=review, decision=D.REJECT).select_related("user").order_by("-at").first()
    why = (
        f" {last.user} rejected packet v{last.packet.version} on {last.at:%-d %b %Y} and it returned to preparation."
        if last
        else ""
    )
    raise Conflict(
        f"The review is not awaiting signatures (it is {review.get_status_display().lower()}).{why} "
        "It can be signed once a new packet is frozen.",
        state=review.status,
        allowed=_allowed(review),
    )


def _complete(review: AnnualReview, packet: ReviewPacket) -> bool:
    required = set(review.signatories.filter(required=True).values_list("user_id", flat=True))
    approved = {s.user_id for s in _valid_signatures(review, packet) if s.decision == D.APPROVE}
    return bool(required) and required <= approved


def _rejected(review: AnnualReview, signature: Signature, *, actor: Any, now: datetime) -> None:
    _void(
        review,
        actor=actor,
        reason=f"packet v{signature.packet.version} was rejected by {actor}",
        now=now,
        keep=signature,
    )
    _set_status(review, S.PREPARING, actor=actor, verb="annual_review.returned")
    _tell(
        board_users(review),
        review,
        verb="annual_review.rejected",
        title=f"{actor} rejected {review.contract.reference} annual review {review.year}",
        body=f"Reason: {signature.reason}\nThe review is back in preparation; a new packet will be put to signature.",
    )


def _signed(review: AnnualReview, *, actor: Any, now: datetime) -> None:
    review.signed_at = now
    _set_status(review, S.SIGNED, actor=actor, verb="annual_review.signed", extra={"signed_at": now})
    lines = []
    for amendment in Amendment.objects.filter(review=review, status=Amendment.Status.PROPOSED).select_related(
        "sla_version"
    ):
        version = amendment.sla_version
        effective = amendment.effective_from
        if effective <= now:
            # Never backdated: the periods already reported on stay as they were.
            amendment.note = (
                f"The agreed date {effective:%-d %b %Y %H:%M} UTC had passed when the last signature arrived; "
                "the terms took effect at signing."
            )
            effective = now
        if version.is_draft:
            contract_services.sla_version_activate(
                actor=actor, version=version, effective_from=effective, authorized_by_review=review
            )
        else:
            amendment.note = f"SLA v{version.number} was already activated outside the review."
        amendment.status = Amendment.Status.ACTIVATED
        amendment.activated_at = now
        amendment.save(update_fields=["status", "activated_at", "note", "updated_at"])
        lines.append(f"SLA v{version.number} ({amendment.title}) is in force from {effective:%-d %b %Y %H:%M} UTC.")
    _tell(
        board_users(review),
        review,
        verb="annual_review.signed",
        title=f"{review.contract.reference} annual review {review.year} is signed",
        body="\n".join(lines) or "The board confirmed the current terms.",
    )


# -- what the pages show ---------------------------------------------------------------------------------------------------


def signature_panel(review: AnnualReview) -> list[dict[str, Any]]:
    """Each signatory with the state of their signature on the packet up for
    signature (or signed): approved, rejected, or waiting."""
    packet = signing_packet(review)
    valid = {s.user_id: s for s in _valid_signatures(review, packet)}
    rows = []
    for sig in review.signatories.select_related("user").order_by("-required", "pk"):
        found = valid.get(sig.user_id)
        rows.append(
            {
                "signatory": sig,
                "user": sig.user,
                "role": sig.role,
                "required": sig.required,
                "signature": found,
                "state": found.decision if found else "waiting" if packet else "not_yet",
            }
        )
    return rows


def allowed_actions(review: AnnualReview, actor: Any) -> list[str]:
    """What the person may do to the review now (for pages and the API)."""
    if not getattr(actor, "is_authenticated", False):
        return []
    s = _standing(actor, review.contract)
    lead = can_manage(s) or is_chair(actor, review.contract)
    out = []
    for action in _allowed(review):
        if action in ("edit", "circulate", "freeze", "return", "close") and not lead:
            continue
        if action == "regenerate_packet" and not (s.on_board or can_manage(s)):
            continue
        if action == "propose_amendment" and not can_amend(s):
            continue
        if action == "comment" and not (s.on_board or can_manage_side(s)):
            continue
        if action in ("sign", "reject"):
            packet = signing_packet(review)
            if not review.signatories.filter(user_id=actor.pk).exists():
                continue
            if packet and Signature.objects.filter(review=review, user_id=actor.pk, packet=packet).exists():
                continue
        out.append(action)
    return out


def latest_recommendation(contract: Contract) -> AnnualReview | None:
    """The most recent review that records a renewal recommendation (signed first)."""
    qs = AnnualReview.objects.filter(contract=contract).exclude(recommendation="")
    return qs.filter(status=S.SIGNED).order_by("-anniversary").first() or qs.order_by("-anniversary").first()


__all__ = [
    "amendment_propose",
    "amendment_update",
    "amendment_withdraw",
    "comment_add",
    "due_anniversary",
    "open_due_reviews",
    "packet_regenerate",
    "review_circulate",
    "review_close",
    "review_freeze",
    "review_open",
    "review_return",
    "review_sign",
    "review_update",
    "signatory_plan",
    "sync_amendment_change",
]
