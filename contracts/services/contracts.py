"""Contract use cases: create and edit a contract, add the parties' contacts (the termination right: ``termination``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization
from audit import services as audit
from contracts.access import can_manage, can_manage_side, contract_standing, is_vendor_manager, require
from contracts.models import Contract, ContractContact, SLAVersion
from contracts.presets import PRESETS, preset_terms
from contracts.services._common import _check_terms, _full_clean, _lock, _person
from core.actor import Actor
from core.errors import Conflict, InvalidInput

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
    """A draft contract with a draft SLA version 1 taken from a preset. The
    vendor named sees it only as an invitation until it accepts
    (``contract_vendor_accept``)."""
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
    _check_terms(terms, components=covered_components or [])
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
            vendor_acceptance=Contract.VendorAcceptance.PENDING,  # the vendor consents first
        )
        _validate_contract(contract)
        try:
            with transaction.atomic():  # a savepoint: the same reference created concurrently
                contract.save()
        except IntegrityError:
            raise InvalidInput("Please correct the errors below.", errors={"reference": [REFERENCE_TAKEN]}) from None
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


# The reference is unique per buyer: the message speaks of the buyer's own
# contracts only, and the caller was already checked to manage that buyer's.
REFERENCE_TAKEN = "Your organization already has a contract with this reference."


def _reference_taken(contract: Contract) -> bool:
    same = Contract.objects.filter(buyer_id=contract.buyer_id, reference=contract.reference)
    return same.exclude(pk=contract.pk).exists() if contract.pk else same.exists()


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
    if contract.reference and _reference_taken(contract):
        errors["reference"] = [REFERENCE_TAKEN]
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


def contract_vendor_accept(*, actor: Actor, contract: Contract) -> Contract:
    """The vendor's account manager (or staff) accepts a contract a buyer
    named the vendor on: from now on the vendor's people see it in full."""
    return _vendor_answer(actor=actor, contract=contract, to=Contract.VendorAcceptance.ACCEPTED, reason="")


def contract_vendor_decline(*, actor: Actor, contract: Contract, reason: str = "") -> Contract:
    """The vendor declines: the contract stays the buyer's record, never shown to the vendor."""
    return _vendor_answer(actor=actor, contract=contract, to=Contract.VendorAcceptance.DECLINED, reason=reason)


def _vendor_answer(*, actor: Actor, contract: Contract, to: str, reason: str) -> Contract:
    s = contract_standing(actor, contract)
    require(s.is_staff or is_vendor_manager(s), "Only the vendor's account managers accept or decline a contract.")
    with transaction.atomic():
        contract = _lock(contract)
        if contract.vendor_acceptance != Contract.VendorAcceptance.PENDING:
            raise Conflict(
                f"{contract.reference} was already answered: {contract.get_vendor_acceptance_display().lower()}.",
                state=contract.vendor_acceptance,
                allowed=[],
            )
        contract.vendor_acceptance = to
        contract.vendor_answered_at = timezone.now()
        contract.vendor_answered_by = _person(actor)
        contract.save(update_fields=["vendor_acceptance", "vendor_answered_at", "vendor_answered_by", "updated_at"])
        changes: dict[str, Any] = {"vendor_acceptance": [Contract.VendorAcceptance.PENDING.value, to]}
        if reason.strip():
            changes["reason"] = [None, reason.strip()[:500]]
        audit.record(
            actor=actor,
            verb="contract.vendor_accepted" if to == Contract.VendorAcceptance.ACCEPTED else "contract.vendor_declined",
            obj=contract,
            contract_id=contract.pk,
            changes=changes,
        )
    return contract


def contract_require_accepted(contract: Contract, *, what: str) -> None:
    """409 unless the vendor accepted the contract: nothing is filed against a
    vendor that has not agreed to be party to it. ``what``: "Incidents" etc."""
    if contract.vendor_acceptance != Contract.VendorAcceptance.ACCEPTED:
        raise Conflict(
            f"{what} cannot be filed on {contract.reference}: "
            f"the contract is {contract.get_vendor_acceptance_display().lower()}.",
            state=f"vendor_{contract.vendor_acceptance}",
            allowed=[],
        )


def contact_add(
    *, actor: Actor, contract: Contract, side: str, role: str, name: str, email: str, phone: str = "", user: Any = None
) -> ContractContact:
    s = contract_standing(actor, contract)
    require(can_manage_side(s), "Only the parties' managers may change contacts.")
    if not s.is_staff and not can_manage(s) and side != ContractContact.Side.VENDOR:
        raise InvalidInput("Vendor managers add vendor contacts.", errors={"side": ["Must be 'vendor' for you."]})
    with transaction.atomic():
        _lock(contract)
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
