"""Use cases for contracts and their SLA versions. Each runs in one
transaction, checks the actor's right, and writes an audit entry."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization
from audit import services as audit
from contracts.access import can_amend, can_manage, can_manage_side, contract_standing, require
from contracts.models import BoardSeat, Contract, ContractContact, ContractDocument, SLAVersion
from contracts.presets import PRESETS, preset_terms
from contracts.terms import TermsError, validate_terms
from core.actor import Actor, is_person
from core.errors import Conflict, InvalidInput, NotPermitted

CONTRACT_FIELDS = [
    "reference",
    "product",
    "buyer",
    "vendor",
    "status",
    "start_date",
    "term_end",
    "auto_renew",
    "notice_period_days",
    "monthly_fee",
    "currency",
    "covered_components",
    "supported_integrations",
    "out_of_scope",
]
EDITABLE_FIELDS = [f for f in CONTRACT_FIELDS if f not in ("buyer", "vendor", "status", "reference")]


def _lock(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def _check_terms(terms: Any) -> None:
    try:
        validate_terms(terms)
    except TermsError as exc:
        raise InvalidInput(
            "The SLA terms are not valid.", errors={f"terms.{k}": v for k, v in exc.errors.items()}
        ) from None


def _full_clean(obj: Any) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean()
    except ValidationError as exc:
        raise InvalidInput("Please correct the errors below.", errors=exc.message_dict) from None


def contract_create(
    *,
    actor: Actor,
    buyer: Organization,
    vendor: Organization,
    reference: str,
    product: str,
    start_date: date,
    term_end: date,
    monthly_fee: Decimal,
    currency: str = "EUR",
    auto_renew: bool = False,
    notice_period_days: int = 90,
    covered_components: list[str] | None = None,
    supported_integrations: list[str] | None = None,
    out_of_scope: str = "",
    preset: str = "enterprise-24x7",
    terms: dict[str, Any] | None = None,
) -> Contract:
    """A draft contract with a draft SLA version 1 taken from a preset."""
    if buyer.kind != Organization.Kind.BUYER:
        raise InvalidInput("The buyer must be a buyer organization.", errors={"buyer": ["Not a buyer organization."]})
    if vendor.kind != Organization.Kind.VENDOR:
        raise InvalidInput(
            "The vendor must be a vendor organization.", errors={"vendor": ["Not a vendor organization."]}
        )
    if not getattr(actor, "is_staff", False):
        probe = Contract(buyer=buyer, vendor=vendor)
        probe._board_user_ids = set()
        require(can_manage(contract_standing(actor, probe)), "Only the buyer's contract managers may create contracts.")
    if terms is not None and preset == "enterprise-24x7":
        preset = ""  # custom terms: no preset label
    if terms is None:
        if preset not in PRESETS:
            raise InvalidInput("Unknown template.", errors={"preset": [f"Must be one of: {', '.join(PRESETS)}."]})
        terms = preset_terms(preset)
    _check_terms(terms)
    with transaction.atomic():
        contract = Contract(
            buyer=buyer,
            vendor=vendor,
            reference=reference.strip(),
            product=product.strip(),
            start_date=start_date,
            term_end=term_end,
            monthly_fee=monthly_fee,
            currency=currency.upper(),
            auto_renew=auto_renew,
            notice_period_days=notice_period_days,
            notice_deadline=Contract.compute_notice_deadline(term_end, notice_period_days),
            covered_components=covered_components or [],
            supported_integrations=supported_integrations or [],
            out_of_scope=out_of_scope,
        )
        _validate_contract(contract)
        contract.save()
        audit.record(
            actor=actor,
            verb="contract.created",
            obj=contract,
            contract_id=contract.pk,
            changes=audit.created(contract, CONTRACT_FIELDS),
        )
        version = SLAVersion.objects.create(
            contract=contract, number=1, terms=terms, preset=preset, created_by=_person(actor)
        )
        audit.record(
            actor=actor,
            verb="sla_version.created",
            obj=version,
            contract_id=contract.pk,
            changes={"number": [None, 1], "preset": [None, preset]},
        )
    return contract


def _person(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _validate_contract(contract: Contract) -> None:
    errors: dict[str, list[str]] = {}
    if contract.start_date and contract.term_end and contract.term_end <= contract.start_date:
        errors["term_end"] = ["The term must end after it starts."]
    if len(contract.currency) != 3 or not contract.currency.isalpha():
        errors["currency"] = ["Use a three-letter ISO 4217 code, e.g. EUR."]
    for field in ("covered_components", "supported_integrations"):
        value = getattr(contract, field)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            errors[field] = ["Must be a list of non-empty names."]
        elif len(set(value)) != len(value):
            errors[field] = ["Names must be unique."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    try:
        contract.full_clean(exclude=["notice_deadline"], validate_unique=True)
    except Exception as exc:
        raise InvalidInput("Please correct the errors below.", errors=getattr(exc, "message_dict", {})) from None


def contract_update(*, actor: Actor, contract: Contract, **changes: Any) -> Contract:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", errors={k: ["This field cannot be changed here."] for k in unknown})
    require(can_manage(contract_standing(actor, contract)), "Only the buyer's contract managers may edit the contract.")
    with transaction.atomic():
        contract = _lock(contract)
        before = audit.snapshot(contract, CONTRACT_FIELDS)
        for key, value in changes.items():
            setattr(contract, key, value)
        contract.currency = contract.currency.upper()
        contract.notice_deadline = Contract.compute_notice_deadline(contract.term_end, contract.notice_period_days)
        _validate_contract(contract)
        contract.save()
        delta = audit.diff(before, audit.snapshot(contract, CONTRACT_FIELDS))
        if delta:
            audit.record(actor=actor, verb="contract.updated", obj=contract, contract_id=contract.pk, changes=delta)
    return contract


def version_in_force(contract: Contract, at: datetime) -> SLAVersion | None:
    """The frozen version in force at ``at``, None if none (``SLAVersionQuerySet.in_force_at``)."""
    return SLAVersion.objects.for_contract(contract).in_force_at(at)


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
    (the terms editor, the API) gets a 409 pointing at the holder's page."""
    require(can_amend(contract_standing(actor, version.contract)), "You may not edit this contract's SLA.")
    with transaction.atomic():
        version = SLAVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_draft:
            raise Conflict(
                f"SLA v{version.number} is active and frozen; to change its terms, amend it into a new version.",
                state=version.status,
                allowed=["amend"],
            )
        if version.is_held and holder_url != version.held_by_url:
            raise held_conflict(version)
        if terms is not None:
            _check_terms(terms)
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
    """Freeze a draft and put it in force from ``effective_from``.

    The first version takes effect at the contract's start; a later one
    (an amendment) ends the version before it. Versions never overlap: a new
    version must start after every version already activated.

    ``authorized_by_review``: the board's signed annual review that agreed
    this version; the actor (the last signatory) then needs no manager role.
    """
    contract = version.contract
    # Board members may draft amendments; putting terms in force is the buyer's
    # contract managers' act (after the board's sign-off), or the sign-off itself.
    if authorized_by_review is None:
        require(
            can_manage(contract_standing(actor, contract)), "Only the buyer's contract managers may activate an SLA."
        )
    elif authorized_by_review.contract_id != contract.pk or not authorized_by_review.authorizes_activation(version):
        raise NotPermitted("The review does not authorize putting this SLA version in force.")
    if effective_from is not None and timezone.is_naive(effective_from):
        raise InvalidInput(
            "The effective date needs a time zone.", errors={"effective_from": ["Must be timezone-aware."]}
        )
    with transaction.atomic():
        contract = _lock(contract)
        version = SLAVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_draft:
            raise Conflict(f"SLA v{version.number} is already active.", state=version.status, allowed=["amend"])
        _check_terms(version.terms)
        latest = (
            SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.ACTIVE)
            .order_by("-effective_from")
            .first()
        )
        if effective_from is None:
            effective_from = timezone.now() if latest else _start_instant(contract, version.terms)
        if latest is not None:
            if effective_from <= latest.effective_from:
                raise InvalidInput(
                    "Versions may not overlap.",
                    errors={
                        "effective_from": [
                            f"Must be after {latest.effective_from:%Y-%m-%d %H:%M} UTC, when SLA v{latest.number} took effect."
                        ]
                    },
                )
            latest.effective_to = effective_from
            latest.save(update_fields=["effective_to"])
        version.status = SLAVersion.Status.ACTIVE
        version.effective_from = effective_from
        version.activated_at = timezone.now()
        version.activated_by = _person(actor)
        version.save(update_fields=["status", "effective_from", "activated_at", "activated_by"])
        audit.record(
            actor=actor,
            verb="sla_version.activated",
            obj=version,
            contract_id=contract.pk,
            changes={
                "status": ["draft", "active"],
                "effective_from": [None, effective_from.isoformat()],
                **({"authorized_by_review": [None, authorized_by_review.pk]} if authorized_by_review else {}),
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

            onboarding_plan_create(actor=actor, contract=contract)
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
        number = (SLAVersion.objects.filter(contract=contract).aggregate(n=Max("number"))["n"] or 0) + 1
        version = SLAVersion.objects.create(
            contract=contract,
            number=number,
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


def board_seat_add(*, actor: Actor, contract: Contract, user: Any, is_chair: bool = False) -> BoardSeat:
    require(can_manage(contract_standing(actor, contract)), "Only the buyer's contract managers may change the board.")
    contract.__dict__.pop("_board_user_ids", None)  # the caller's cached board is about to change
    with transaction.atomic():
        contract = _lock(contract)
        if is_chair:
            BoardSeat.objects.filter(contract=contract, is_chair=True).exclude(user=user).update(is_chair=False)
        seat, created = BoardSeat.objects.update_or_create(
            contract=contract, user=user, defaults={"is_chair": is_chair}
        )
        audit.record(
            actor=actor,
            verb="board.seat_added" if created else "board.seat_updated",
            obj=seat,
            contract_id=contract.pk,
            changes={"user": [None, user.username], "is_chair": [None, is_chair]},
        )
    return seat


def board_seat_remove(*, actor: Actor, seat: BoardSeat) -> None:
    require(
        can_manage(contract_standing(actor, seat.contract)), "Only the buyer's contract managers may change the board."
    )
    seat.contract.__dict__.pop("_board_user_ids", None)  # the caller's cached board is about to change
    with transaction.atomic():
        audit.record(
            actor=actor,
            verb="board.seat_removed",
            obj=seat,
            contract_id=seat.contract_id,
            changes={"user": [seat.user.username, None]},
        )
        seat.delete()


def contact_add(
    *, actor: Actor, contract: Contract, side: str, role: str, name: str, email: str, phone: str = "", user: Any = None
) -> ContractContact:
    s = contract_standing(actor, contract)
    require(can_manage_side(s), "Only the parties' managers may change contacts.")
    if not s.is_staff and not can_manage(s) and side != ContractContact.Side.VENDOR:
        raise InvalidInput("Vendor managers add vendor contacts.", errors={"side": ["Must be 'vendor' for you."]})
    with transaction.atomic():
        contact = ContractContact(
            contract=contract, side=side, role=role, name=name, email=email, phone=phone, user=user
        )
        _full_clean(contact)
        contact.save()
        audit.record(
            actor=actor,
            verb="contact.created",
            obj=contact,
            contract_id=contract.pk,
            changes=audit.created(contact, ["side", "role", "name", "email", "phone"]),
        )
    return contact


def document_upload(*, actor: Actor, contract: Contract, title: str, file: UploadedFile) -> ContractDocument:
    from django.conf import settings

    require(can_manage_side(contract_standing(actor, contract)), "Only the parties' managers may upload documents.")
    name = (file.name or "").lower()
    ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in ContractDocument.ALLOWED_TYPES:
        raise InvalidInput(
            "Unsupported file type.",
            errors={"file": [f"Allowed types: {', '.join(sorted(ContractDocument.ALLOWED_TYPES))}."]},
        )
    if file.size > settings.COVENANT_MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            "File too large.", errors={"file": [f"At most {settings.COVENANT_MAX_DOCUMENT_BYTES // (1024 * 1024)} MB."]}
        )
    head = file.read(8)
    file.seek(0)
    magic = {".pdf": b"%PDF", ".png": b"\x89PNG", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}[ext]
    if not head.startswith(magic):
        raise InvalidInput(
            "File content does not match its type.", errors={"file": [f"This is not a valid {ext} file."]}
        )
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        doc = ContractDocument(
            contract=contract,
            title=title or file.name,
            size=file.size,
            sha256=digest.hexdigest(),
            uploaded_by=_person(actor),
        )
        doc.file.save(file.name, file, save=False)
        doc.save()
        audit.record(
            actor=actor,
            verb="document.uploaded",
            obj=doc,
            contract_id=contract.pk,
            changes={"title": [None, doc.title], "sha256": [None, doc.sha256], "size": [None, doc.size]},
        )
    return doc


def contract_termination_right_record(
    *, actor: Actor, contract: Contract, triggered: bool, on: date, report_label: str
) -> bool:
    """Raise (``triggered``) or clear the contract's termination right as the latest period's
    service report (``report_label``, e.g. "2026-10 r1") shows it; ``on`` is the day it is raised.
    The right follows from the reports, so only the period close (a system actor) or staff record
    it. Returns whether it changed: raising a raised right keeps the day it was first raised."""
    require(
        not is_person(actor) or actor.is_staff,
        "The termination right follows from the service reports: only the period close or staff record it.",
    )
    with transaction.atomic():
        contract = _lock(contract)
        if triggered == contract.termination_right:
            return False
        before = [contract.termination_right, contract.termination_right_since]
        contract.termination_right = triggered
        contract.termination_right_since = on if triggered else None
        contract.save(update_fields=["termination_right", "termination_right_since", "updated_at"])
        audit.record(
            actor=actor,
            verb="contract.termination_right_raised" if triggered else "contract.termination_right_cleared",
            obj=contract,
            contract_id=contract.pk,
            changes={
                "termination_right": [before[0], triggered],
                "termination_right_since": [
                    str(before[1]) if before[1] else None,
                    str(contract.termination_right_since),
                ],
                "report": [None, report_label],
            },
        )
    return True
