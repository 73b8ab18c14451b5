"""The working routine's rules: who may work an item, the checks every use case shares, the default checklist."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone

from accounts.access import Standing
from accounts.models import Membership
from audit import services as audit
from contracts import lock_objects
from contracts.access import can_manage_side
from contracts.models import (
    ROUTINE_FILE_TYPES,
    TEXT_TYPES,
    BoardSeat,
    Contract,
    OnboardingItem,
    OnboardingTemplate,
    OnboardingTemplateItem,
    Party,
    SLAVersion,
    TrainingResource,
)
from core.actor import Actor
from core.errors import Conflict, InvalidInput
from core.links import is_web_link

# The living copy of the default checklist (migration 0002 seeded it once).
# (title, owner party, due days after activation, requires a training resource, guidance)
DEFAULT_TEMPLATE_ITEMS: list[tuple[str, str, int, bool, str]] = [
    (
        "Invite both parties' people with their roles",
        "buyer",
        7,
        False,
        "Everyone who raises, handles or reviews incidents has an account with the right role, and the contacts "
        "name each side's incident manager, escalation contact and executive sponsor.",
    ),
    (
        "Confirm the coverage calendar and holidays",
        "buyer",
        7,
        False,
        "Both parties check the coverage hours, time zone, public holidays and closures in the SLA schedule.",
    ),
    (
        "Connect a monitoring source and see its first data",
        "vendor",
        14,
        False,
        "An independent monitor posts to Covenant and its first probe results or alerts are visible.",
    ),
    (
        "Agree the escalation ladder",
        "vendor",
        14,
        False,
        "The escalation contacts in the SLA are named people who have confirmed they can be paged.",
    ),
    (
        "Hold the training session",
        "vendor",
        21,
        True,
        "The vendor walks both parties through the playbook and the SLA schedule; everyone confirms reading it.",
    ),
    (
        "Run a test incident end to end",
        "buyer",
        30,
        False,
        "A test incident is opened, acknowledged, worked through the playbook and closed, and both parties "
        "review the timeline.",
    ),
]

MANAGER_ROLES = {Party.BUYER: Membership.Role.CONTRACT_MANAGER, Party.VENDOR: Membership.Role.ACCOUNT_MANAGER}
# Evidence a feedback item may point at. The kinds are fixed vocabulary; the app that owns each kind
# registers its model and page from its AppConfig.ready(), because contracts may not name the apps above it.
EVIDENCE_KINDS: tuple[str, ...] = ("incident", "report", "dispute")
_EVIDENCE: dict[str, tuple[type[models.Model], str]] = {}


def register_evidence_kind(kind: str, *, model: type[models.Model], url_name: str) -> None:
    """Called by the owning app's ready(): ``model`` has a ``contract`` foreign key; ``url_name`` takes its pk."""
    if kind not in EVIDENCE_KINDS:
        raise ValueError(f"{kind!r} is not an evidence kind ({', '.join(EVIDENCE_KINDS)})")
    _EVIDENCE[kind] = (model, url_name)


def evidence_kind(kind: str) -> tuple[type[models.Model], str] | None:
    """The registered (model, url name) of an evidence kind; None while its app is not installed."""
    return _EVIDENCE.get(kind)


ITEM_FIELDS = ["title", "owner_party", "owner", "due_date", "status", "resource"]


# -- who may -------------------------------------------------------------------------------


def party_of(s: Standing) -> str | None:
    """The actor's side as a Party value (None: board only, or staff)."""
    if s.is_buyer:
        return Party.BUYER
    if s.is_vendor:
        return Party.VENDOR
    return None


def is_worker(s: Standing) -> bool:
    """A party's person who acts (not a viewer)."""
    return party_of(s) is not None and not s.has_role(Membership.Role.VIEWER)


def can_work_item(s: Standing, item: OnboardingItem, actor: Actor) -> bool:
    if s.is_staff or can_manage_side(s):
        return True
    if item.owner_id is not None and item.owner_id == getattr(actor, "pk", None):
        return True
    return is_worker(s) and party_of(s) == item.owner_party


# -- helpers -----------------------------------------------------------------------------------


def person_of(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def activation_date(contract: Contract) -> date | None:
    """The day the contract was activated (its first SLA version put in force):
    the plan's day zero."""
    at = (
        SLAVersion.objects.filter(contract=contract, activated_at__isnull=False)
        .order_by("activated_at")
        .values_list("activated_at", flat=True)
        .first()
    )
    return timezone.localdate(at) if at else None


def default_template() -> OnboardingTemplate:
    """The default template; recreated from DEFAULT_TEMPLATE_ITEMS if staff removed it."""
    template = OnboardingTemplate.objects.filter(is_default=True).first()
    if template is not None:
        return template
    template, created = OnboardingTemplate.objects.get_or_create(
        name="Standard onboarding",
        defaults={"description": "The six steps that put a newly activated agreement to work.", "is_default": True},
    )
    if not created:
        template.is_default = True
        template.save(update_fields=["is_default", "updated_at"])
    if not template.items.exists():
        OnboardingTemplateItem.objects.bulk_create(
            OnboardingTemplateItem(
                template=template,
                order=order,
                title=title,
                owner_party=party,
                due_offset_days=days,
                requires_resource=requires,
                guidance=guidance,
            )
            for order, (title, party, days, requires, guidance) in enumerate(DEFAULT_TEMPLATE_ITEMS, start=1)
        )
    return template


def check_link(value: str, field: str) -> str:
    value = (value or "").strip()
    if value and not is_web_link(value):
        raise InvalidInput(
            "Not a link.", errors={field: ["Give an http(s) address or a path on this site starting with /."]}
        )
    return value


def check_upload(file: UploadedFile, field: str = "file") -> str:
    """Refuse a file whose type is not allowed or whose content does not match
    its name (like contract documents, plus plain text and Markdown). Returns
    the SHA-256 of the content."""
    name = (file.name or "").lower()
    ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in ROUTINE_FILE_TYPES:
        allowed = ", ".join(sorted(ROUTINE_FILE_TYPES))
        raise InvalidInput("Unsupported file type.", errors={field: [f"Allowed types: {allowed}."]})
    if file.size > settings.COVENANT_MAX_DOCUMENT_BYTES:
        limit = settings.COVENANT_MAX_DOCUMENT_BYTES // (1024 * 1024)
        raise InvalidInput("File too large.", errors={field: [f"At most {limit} MB."]})
    digest = hashlib.sha256()
    content = b""
    for chunk in file.chunks():
        digest.update(chunk)
        if ext in TEXT_TYPES:
            content += chunk
        elif not content:
            content = chunk[:8]
    file.seek(0)
    if ext in TEXT_TYPES:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            ok = False
        else:
            ok = b"\x00" not in content
    else:
        magic = {".pdf": b"%PDF", ".png": b"\x89PNG", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}[ext]
        ok = content.startswith(magic)
    if not ok:
        raise InvalidInput(
            "File content does not match its type.", errors={field: [f"This is not a valid {ext} file."]}
        )
    return digest.hexdigest()


def check_owner(contract: Contract, owner_party: str, owner: Any) -> None:
    if owner is None:
        return
    org_id = contract.buyer_id if owner_party == Party.BUYER else contract.vendor_id
    member = Membership.objects.filter(user=owner, organization_id=org_id, is_active=True).exists()
    on_board = BoardSeat.objects.filter(contract=contract, user=owner).exists()
    if not (member or on_board):
        raise InvalidInput(
            "The owner must be one of the contract's people.",
            errors={
                "owner": [
                    f"{owner} is not a member of the {owner_party} party of {contract.reference} "
                    "or of its governance board."
                ]
            },
        )


def check_due(contract: Contract, due_date: date) -> date:
    started = activation_date(contract)
    if started is None:
        raise Conflict(
            f"{contract.reference} is not active yet: its onboarding plan starts when it is activated.",
            state=contract.status,
            allowed=[],
        )
    if due_date < started:
        raise InvalidInput(
            "The due date is before the contract's activation.",
            errors={"due_date": [f"Cannot be before the activation on {started:%Y-%m-%d}."]},
        )
    return started


def check_party(value: str, field: str = "owner_party") -> str:
    if value not in Party.values:
        raise InvalidInput("Unknown party.", errors={field: ["Must be one of: buyer, vendor."]})
    return value


def check_resource(contract: Contract, resource: TrainingResource | None) -> None:
    if resource is not None and resource.contract_id != contract.pk:
        raise InvalidInput(
            "The resource belongs to another contract.", errors={"resource": ["Not a resource of this contract."]}
        )


def lock_item(item: OnboardingItem) -> OnboardingItem:
    lock_objects.contract_of(item)  # the contract, then the item (core.locks)
    locked = OnboardingItem.objects.select_for_update(of=("self",)).select_related("contract").get(pk=item.pk)
    locked.contract = item.contract  # keeps the caller's cached standing (board ids)
    return locked


def record_change(actor: Actor, verb: str, obj: Any, contract_id: int, changes: Mapping[str, Any]) -> None:
    audit.record(actor=actor, verb=verb, obj=obj, contract_id=contract_id, changes=changes)


# -- reading: audiences and who read what ------------------------------------------------------


def pending_readers(resource: TrainingResource) -> list[str]:
    """Names of the people who must read the resource and have not confirmed."""
    from contracts.onboarding.selectors import audience_of_all

    confirmed = set(resource.confirmations.values_list("user_id", flat=True))
    return [name for uid, name in audience_of_all(resource.contract, [resource])[resource.pk] if uid not in confirmed]
