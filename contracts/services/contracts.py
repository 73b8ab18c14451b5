"""Contract use cases: create and edit a contract, add the parties' contacts, record the termination right."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import Organization
from audit import services as audit
from contracts.access import can_manage, can_manage_side, contract_standing, require
from contracts.models import Contract, ContractContact, SLAVersion
from contracts.presets import PRESETS, preset_terms
from contracts.services._common import _check_terms, _full_clean, _lock, _person
from core.actor import Actor, is_person
from core.errors import InvalidInput

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
