"""Use cases of the working routine: the onboarding plan, training resources
and the feedback register. Each runs in one transaction, checks the actor's
right through ``contracts.access``, and writes an audit entry.

Who may do what:

* plan items: the owner party's non-viewer people (and the named owner) mark an
  item done and add evidence; the parties' managers (buyer contract managers,
  vendor account managers) add, reschedule, reassign and waive items;
* training resources: the parties' managers add them; everyone who sees the
  contract confirms having read one;
* feedback: either party's non-viewer people log an item, the other party
  responds, the raising party closes it. Staff may do everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.access import Standing
from accounts.models import Membership, User
from accounts.services import notify
from audit import services as audit
from contracts.access import can_manage_side, contract_standing, require
from contracts.models import (
    ROUTINE_FILE_TYPES,
    TEXT_TYPES,
    BoardSeat,
    Contract,
    FeedbackItem,
    OnboardingItem,
    OnboardingTemplate,
    OnboardingTemplateItem,
    Party,
    ResourceConfirmation,
    SLAVersion,
    TrainingResource,
)
from contracts.terms import ROLES
from core.errors import Conflict, InvalidInput

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
# Evidence a feedback item may point at: kind -> (app label, model, url name of its page).
EVIDENCE_KINDS: dict[str, tuple[str, str, str]] = {
    "incident": ("incidents", "Incident", "incidents:detail"),
    "report": ("reviews", "ServiceReport", "reports:detail"),
    "dispute": ("reviews", "Dispute", "disputes:dispute"),
}
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


def can_work_item(s: Standing, item: OnboardingItem, actor: Any) -> bool:
    if s.is_staff or can_manage_side(s):
        return True
    if item.owner_id is not None and item.owner_id == getattr(actor, "pk", None):
        return True
    return is_worker(s) and party_of(s) == item.owner_party


# -- helpers -----------------------------------------------------------------------------------


def _person(actor: Any) -> Any:
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
    if value and not value.startswith(("https://", "http://", "/")):
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


def _check_owner(contract: Contract, owner_party: str, owner: Any) -> None:
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


def _check_due(contract: Contract, due_date: date) -> date:
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


def _check_party(value: str, field: str = "owner_party") -> str:
    if value not in Party.values:
        raise InvalidInput("Unknown party.", errors={field: ["Must be one of: buyer, vendor."]})
    return value


def _check_resource(contract: Contract, resource: TrainingResource | None) -> None:
    if resource is not None and resource.contract_id != contract.pk:
        raise InvalidInput(
            "The resource belongs to another contract.", errors={"resource": ["Not a resource of this contract."]}
        )


def _lock_item(item: OnboardingItem) -> OnboardingItem:
    locked = OnboardingItem.objects.select_for_update().select_related("contract").get(pk=item.pk)
    locked.contract = item.contract  # keeps the caller's cached standing (board ids)
    return locked


def _record(actor: Any, verb: str, obj: Any, contract_id: int, changes: Mapping[str, Any]) -> None:
    audit.record(actor=actor, verb=verb, obj=obj, contract_id=contract_id, changes=changes)


# -- reading: audiences and who read what ------------------------------------------------------


def pending_readers(resource: TrainingResource) -> list[str]:
    """Names of the people who must read the resource and have not confirmed."""
    from contracts.routine import audience_of_all

    confirmed = set(resource.confirmations.values_list("user_id", flat=True))
    return [name for uid, name in audience_of_all(resource.contract, [resource])[resource.pk] if uid not in confirmed]


# -- the onboarding plan -------------------------------------------------------------------------


def onboarding_plan_create(
    *, actor: Any, contract: Contract, template: OnboardingTemplate | None = None, start: date | None = None
) -> list[OnboardingItem]:
    """The contract's plan from a template (the default one), due dates counted
    from ``start`` (the activation day). Once per contract: a plan that exists
    is returned unchanged. Called by ``services.sla_version_activate`` when a
    contract goes from draft to active."""
    require(can_manage_side(contract_standing(actor, contract)), "Only the parties' managers may create the plan.")
    with transaction.atomic():
        existing = list(OnboardingItem.objects.filter(contract=contract))
        if existing:
            return existing
        template = template or default_template()
        start = start or activation_date(contract) or timezone.localdate()
        steps = list(template.items.order_by("order", "id"))
        resource = None
        if any(step.requires_resource for step in steps):
            resource = _schedule_resource(actor, contract)
        items = OnboardingItem.objects.bulk_create(
            OnboardingItem(
                contract=contract,
                order=step.order,
                title=step.title,
                guidance=step.guidance,
                owner_party=step.owner_party,
                due_date=start + timedelta(days=step.due_offset_days),
                resource=resource if step.requires_resource else None,
            )
            for step in steps
        )
        _record(
            actor,
            "onboarding.plan_created",
            contract,
            contract.pk,
            {"template": [None, template.name], "item_count": [None, len(items)], "start": [None, start.isoformat()]},
        )
    return items


def _schedule_resource(actor: Any, contract: Contract) -> TrainingResource:
    """The SLA schedule PDF of the version in force, as the first training resource."""
    version = (
        SLAVersion.objects.filter(contract=contract, status=SLAVersion.Status.ACTIVE)
        .order_by("-effective_from")
        .first()
    )
    number = version.number if version else 1
    resource = TrainingResource.objects.create(
        contract=contract,
        title=f"SLA schedule v{number} (with the incident playbook)",
        description="The agreed service levels, the incident-response playbook and the table of roles.",
        url=reverse("contracts:schedule_pdf", args=[contract.pk, number]),
        audience=TrainingResource.Audience.BOTH,
        added_by=_person(actor),
    )
    _record(actor, "resource.added", resource, contract.pk, {"title": [None, resource.title]})
    return resource


def onboarding_item_add(
    *,
    actor: Any,
    contract: Contract,
    title: str,
    owner_party: str,
    due_date: date,
    owner: Any = None,
    guidance: str = "",
    resource: TrainingResource | None = None,
) -> OnboardingItem:
    require(can_manage_side(contract_standing(actor, contract)), "Only the parties' managers may add plan items.")
    title = (title or "").strip()
    if not title:
        raise InvalidInput("Give the item a title.", errors={"title": ["This field is required."]})
    _check_party(owner_party)
    _check_owner(contract, owner_party, owner)
    _check_resource(contract, resource)
    with transaction.atomic():
        _check_due(contract, due_date)
        order = (OnboardingItem.objects.filter(contract=contract).count() or 0) + 1
        item = OnboardingItem.objects.create(
            contract=contract,
            order=order,
            title=title,
            guidance=guidance,
            owner_party=owner_party,
            owner=owner,
            due_date=due_date,
            resource=resource,
        )
        _record(actor, "onboarding.item_added", item, contract.pk, audit.created(item, ITEM_FIELDS))
    return item


_UNSET: Any = object()


def onboarding_item_update(
    *,
    actor: Any,
    item: OnboardingItem,
    owner: Any = _UNSET,
    due_date: Any = _UNSET,
    title: Any = _UNSET,
    resource: Any = _UNSET,
) -> OnboardingItem:
    """Reassign, reschedule, rename or link a resource. A new due date re-arms
    the overdue notice."""
    contract = item.contract
    require(can_manage_side(contract_standing(actor, contract)), "Only the parties' managers may change plan items.")
    if owner is not _UNSET:
        _check_owner(contract, item.owner_party, owner)
    if resource is not _UNSET:
        _check_resource(contract, resource)
    with transaction.atomic():
        item = _lock_item(item)
        before = audit.snapshot(item, ITEM_FIELDS)
        if due_date is not _UNSET and due_date != item.due_date:
            _check_due(contract, due_date)
            item.due_date = due_date
            item.overdue_notified_at = None
        if owner is not _UNSET:
            item.owner = owner
        if title is not _UNSET:
            if not (title or "").strip():
                raise InvalidInput("Give the item a title.", errors={"title": ["This field is required."]})
            item.title = title.strip()
        if resource is not _UNSET:
            item.resource = resource
        item.save()
        delta = audit.diff(before, audit.snapshot(item, ITEM_FIELDS))
        if delta:
            _record(actor, "onboarding.item_updated", item, contract.pk, delta)
    return item


def _require_open(item: OnboardingItem, action: str) -> None:
    if item.status != OnboardingItem.Status.OPEN:
        raise Conflict(
            f"Cannot {action} an item that is {item.get_status_display().lower()}.", state=item.status, allowed=[]
        )


def onboarding_item_done(*, actor: Any, item: OnboardingItem, note: str = "") -> OnboardingItem:
    """Mark an item done. An item that requires a training resource is done only
    once everyone who must read it has confirmed."""
    s = contract_standing(actor, item.contract)
    require(can_work_item(s, item, actor), f"Only the {item.owner_party}'s people may complete this item.")
    with transaction.atomic():
        item = _lock_item(item)
        _require_open(item, "complete")
        if item.resource_id is not None:
            missing = pending_readers(item.resource)
            if missing:
                names = ", ".join(missing[:6]) + (" and others" if len(missing) > 6 else "")
                raise Conflict(
                    f"“{item.resource.title}” must be read first; not yet confirmed by {names}.",
                    state=item.status,
                    allowed=["waive"],
                )
        if note.strip():
            item.evidence_note = "\n\n".join(p for p in (item.evidence_note, note.strip()) if p)
        item.status = OnboardingItem.Status.DONE
        item.done_by = _person(actor)
        item.done_at = timezone.now()
        item.save()
        _record(actor, "onboarding.item_done", item, item.contract_id, {"status": ["open", "done"]})
    return item


def onboarding_item_waive(*, actor: Any, item: OnboardingItem, reason: str) -> OnboardingItem:
    require(can_manage_side(contract_standing(actor, item.contract)), "Only the parties' managers may waive items.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the item is waived.", errors={"reason": ["This field is required."]})
    with transaction.atomic():
        item = _lock_item(item)
        _require_open(item, "waive")
        item.status = OnboardingItem.Status.WAIVED
        item.waive_reason = reason
        item.done_by = _person(actor)
        item.done_at = timezone.now()
        item.save()
        _record(
            actor,
            "onboarding.item_waived",
            item,
            item.contract_id,
            {"status": ["open", "waived"], "reason": [None, reason]},
        )
    return item


def onboarding_item_evidence(
    *, actor: Any, item: OnboardingItem, note: str = "", link: str = "", file: UploadedFile | None = None
) -> OnboardingItem:
    """Add evidence: a note (appended), a link, an attachment (replaces the previous one)."""
    s = contract_standing(actor, item.contract)
    require(can_work_item(s, item, actor), f"Only the {item.owner_party}'s people may add evidence to this item.")
    link = check_link(link, "link")
    if not (note or "").strip() and not link and file is None:
        raise InvalidInput("Give a note, a link or a file.", errors={"note": ["Give a note, a link or a file."]})
    digest = check_upload(file, "file") if file is not None else None
    with transaction.atomic():
        item = _lock_item(item)
        if item.status == OnboardingItem.Status.WAIVED:
            raise Conflict("The item was waived; it takes no evidence.", state=item.status, allowed=[])
        changes: dict[str, Any] = {}
        if (note or "").strip():
            item.evidence_note = "\n\n".join(p for p in (item.evidence_note, note.strip()) if p)
            changes["note"] = [None, note.strip()]
        if link:
            changes["link"] = [item.evidence_link or None, link]
            item.evidence_link = link
        if file is not None:
            item.evidence_file.save(file.name, file, save=False)
            item.evidence_file_name = file.name[:200]
            changes["file"] = [None, {"name": file.name, "sha256": digest, "size": file.size}]
        item.save()
        _record(actor, "onboarding.evidence_added", item, item.contract_id, changes)
    return item


def notify_overdue(*, today: date | None = None) -> int:
    """Tell the owners of newly overdue items, once per item (and again only
    after the item is rescheduled). Returns how many items were notified."""
    today = today or timezone.localdate()
    count = 0
    pending = (
        OnboardingItem.objects.overdue(today)
        .filter(overdue_notified_at__isnull=True)
        .select_related("contract", "owner")
        .order_by("contract_id", "due_date")
    )
    for item_id in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            item = (
                # Lock only the item row: PostgreSQL refuses FOR UPDATE on the
                # nullable side of the outer join to the owner.
                OnboardingItem.objects.select_for_update(of=("self",))
                .select_related("contract", "owner")
                .filter(pk=item_id, overdue_notified_at__isnull=True, status=OnboardingItem.Status.OPEN)
                .first()
            )
            if item is None or item.due_date >= today:
                continue
            contract = item.contract
            people = [item.owner] if item.owner is not None and item.owner.is_active else _party_managers(item)
            notify(
                users=people,
                verb="onboarding.overdue",
                title=f"{contract.reference}: onboarding item overdue: {item.title}",
                body=f"“{item.title}” was due on {item.due_date:%d %b %Y}. Mark it done with evidence, "
                "or ask a manager to reschedule or waive it.",
                url=reverse("contracts:routine", args=[contract.pk]) + f"#item-{item.pk}",
            )
            item.overdue_notified_at = timezone.now()
            item.save(update_fields=["overdue_notified_at"])
            count += 1
    return count


def _party_managers(item: OnboardingItem) -> list[User]:
    contract = item.contract
    org_id = contract.buyer_id if item.owner_party == Party.BUYER else contract.vendor_id
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=org_id, role=MANAGER_ROLES[Party(item.owner_party)], is_active=True, user__is_active=True
        ).select_related("user")
    ]


# -- training resources ---------------------------------------------------------------------------


def resource_add(
    *,
    actor: Any,
    contract: Contract,
    title: str,
    url: str = "",
    file: UploadedFile | None = None,
    audience: str = TrainingResource.Audience.BOTH,
    roles: Iterable[str] = (),
    description: str = "",
    required_by: OnboardingItem | None = None,
) -> TrainingResource:
    """A document (uploaded) or a link that people of the contract must read;
    ``required_by`` makes an onboarding item wait for everyone's confirmation."""
    require(
        can_manage_side(contract_standing(actor, contract)), "Only the parties' managers may add training resources."
    )
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["This field is required."]
    url = check_link(url, "url")
    if bool(url) == (file is not None):
        errors["url"] = ["Give either a link or a file."]
    if audience not in TrainingResource.Audience.values:
        errors["audience"] = [f"Must be one of: {', '.join(TrainingResource.Audience.values)}."]
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        errors["roles"] = [f"Unknown role{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."]
    if required_by is not None and required_by.contract_id != contract.pk:
        errors["required_by"] = ["Not an onboarding item of this contract."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    digest = check_upload(file, "file") if file is not None else None
    with transaction.atomic():
        resource = TrainingResource(
            contract=contract,
            title=title,
            description=description,
            url=url,
            audience=audience,
            roles=roles,
            added_by=_person(actor),
        )
        if file is not None:
            resource.file.save(file.name, file, save=False)
            resource.file_name = file.name[:200]
        resource.save()
        changes: dict[str, Any] = audit.created(resource, ["title", "url", "audience", "roles"])
        if digest:
            changes["file"] = [None, {"name": file.name, "sha256": digest}]  # type: ignore[union-attr]
        _record(actor, "resource.added", resource, contract.pk, changes)
        if required_by is not None:
            item = _lock_item(required_by)
            item.resource = resource
            item.save(update_fields=["resource"])
            _record(actor, "onboarding.item_updated", item, contract.pk, {"resource": [None, resource.pk]})
    return resource


def resource_confirm(*, actor: Any, resource: TrainingResource) -> ResourceConfirmation:
    """``actor`` confirms having read the resource (once; confirming again changes nothing)."""
    s = contract_standing(actor, resource.contract)
    require(getattr(actor, "is_authenticated", False) and s.sees, "Only the contract's people may confirm reading.")
    with transaction.atomic():
        confirmation, created = ResourceConfirmation.objects.get_or_create(
            resource=resource, user=actor, defaults={"at": timezone.now()}
        )
        if created:
            _record(actor, "resource.confirmed", resource, resource.contract_id, {"read_by": [None, actor.username]})
    return confirmation


# -- the feedback register ----------------------------------------------------------------------------


def check_evidence(contract: Contract, evidence: Any) -> list[dict[str, Any]]:
    """``[{"type": "incident", "id": 12}, ...]``: each must exist on this contract."""
    if evidence in (None, ""):
        return []
    if not isinstance(evidence, list):
        raise InvalidInput("Evidence is a list.", errors={"evidence": ["Give a list of {type, id} pairs."]})
    errors: dict[str, list[str]] = {}
    out: list[dict[str, Any]] = []
    for i, ref in enumerate(evidence):
        kind = ref.get("type") if isinstance(ref, Mapping) else None
        pk = ref.get("id") if isinstance(ref, Mapping) else None
        if kind not in EVIDENCE_KINDS:
            errors[f"evidence[{i}].type"] = [f"Must be one of: {', '.join(EVIDENCE_KINDS)}."]
            continue
        if isinstance(pk, bool) or not isinstance(pk, int) or pk < 1:
            errors[f"evidence[{i}].id"] = ["Must be a positive whole number."]
            continue
        app_label, model_name, _url = EVIDENCE_KINDS[kind]
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            errors[f"evidence[{i}].type"] = [f"{kind.capitalize()}s are not available here."]
            continue
        if not model.objects.filter(pk=pk, contract_id=contract.pk).exists():
            errors[f"evidence[{i}].id"] = [f"{contract.reference} has no {kind} {pk}."]
            continue
        if {"type": kind, "id": pk} not in out:
            out.append({"type": kind, "id": pk})
    if errors:
        raise InvalidInput("The evidence does not point at this contract's records.", errors=errors)
    return out


def evidence_links(evidence: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Display form of evidence refs: label and, where the page exists, its URL."""
    from django.urls import NoReverseMatch

    out = []
    for ref in evidence or []:
        kind, pk = ref.get("type"), ref.get("id")
        label = f"INC-{pk}" if kind == "incident" else f"{str(kind).capitalize()} #{pk}"
        try:
            url = reverse(EVIDENCE_KINDS[kind][2], args=[pk]) if kind in EVIDENCE_KINDS else ""
        except NoReverseMatch:
            url = ""
        out.append({"type": kind, "id": pk, "label": label, "url": url})
    return out


def feedback_log(
    *,
    actor: Any,
    contract: Contract,
    category: str,
    text: str,
    evidence: Any = None,
    proposed_action: str = "",
    side: str | None = None,
) -> FeedbackItem:
    """An observation from real use, raised by the actor's party (staff name the side)."""
    s = contract_standing(actor, contract)
    require(s.is_staff or is_worker(s), "Only the parties' people (not viewers) may log feedback.")
    side = party_of(s) or side
    errors: dict[str, list[str]] = {}
    if side not in Party.values:
        errors["side"] = ["Say which party raises the item: buyer or vendor."]
    if category not in FeedbackItem.Category.values:
        errors["category"] = [f"Must be one of: {', '.join(FeedbackItem.Category.values)}."]
    if not (text or "").strip():
        errors["text"] = ["Describe what you observed."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    refs = check_evidence(contract, evidence)
    with transaction.atomic():
        item = FeedbackItem.objects.create(
            contract=contract,
            raised_by=_person(actor),
            side=side,
            category=category,
            text=text.strip(),
            evidence=refs,
            proposed_action=(proposed_action or "").strip(),
            created_at=timezone.now(),
        )
        _record(
            actor,
            "feedback.logged",
            item,
            contract.pk,
            audit.created(item, ["side", "category", "text", "evidence", "proposed_action"]),
        )
        _notify_other_side(item, contract)
    return item


def _notify_other_side(item: FeedbackItem, contract: Contract) -> None:
    org_id = contract.vendor_id if item.side == Party.BUYER else contract.buyer_id
    people = [
        m.user
        for m in Membership.objects.filter(
            organization_id=org_id, role=MANAGER_ROLES[Party(item.other_side)], is_active=True, user__is_active=True
        ).select_related("user")
    ]
    notify(
        users=people,
        verb="feedback.logged",
        title=f"{contract.reference}: feedback from the {item.side} awaits your response",
        body=item.text[:500],
        url=reverse("contracts:routine", args=[contract.pk]) + f"#feedback-{item.pk}",
    )


def _lock_feedback(item: FeedbackItem) -> FeedbackItem:
    locked = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    locked.contract = item.contract
    return locked


def feedback_respond(
    *, actor: Any, item: FeedbackItem, response: str, proposed_action: str | None = None
) -> FeedbackItem:
    """The other party answers (again, to revise its answer, until the item is closed)."""
    s = contract_standing(actor, item.contract)
    require(
        s.is_staff or (is_worker(s) and party_of(s) == item.other_side),
        f"Only the {item.other_side}'s people may respond to feedback from the {item.side}.",
    )
    if not (response or "").strip():
        raise InvalidInput("Write a response.", errors={"response": ["This field is required."]})
    with transaction.atomic():
        item = _lock_feedback(item)
        if item.status == FeedbackItem.Status.CLOSED:
            raise Conflict("The feedback item is closed.", state=item.status, allowed=[])
        before = {"status": item.status, "response": item.response or None, "proposed_action": item.proposed_action}
        item.response = response.strip()
        if proposed_action is not None and proposed_action.strip():
            item.proposed_action = proposed_action.strip()
        item.status = FeedbackItem.Status.RESPONDED
        item.responded_by = _person(actor)
        item.responded_at = timezone.now()
        item.save()
        after = {"status": item.status, "response": item.response, "proposed_action": item.proposed_action}
        _record(actor, "feedback.responded", item, item.contract_id, audit.diff(before, after))
    return item


def feedback_close(*, actor: Any, item: FeedbackItem, note: str = "") -> FeedbackItem:
    """The raising party (or staff) closes the item, e.g. once the proposed
    action is agreed in the review."""
    s = contract_standing(actor, item.contract)
    require(
        s.is_staff or (is_worker(s) and party_of(s) == item.side),
        f"Only the {item.side}'s people, who raised it, may close this feedback item.",
    )
    with transaction.atomic():
        item = _lock_feedback(item)
        if item.status == FeedbackItem.Status.CLOSED:
            raise Conflict("The feedback item is already closed.", state=item.status, allowed=[])
        before = item.status
        item.status = FeedbackItem.Status.CLOSED
        item.closed_by = _person(actor)
        item.closed_at = timezone.now()
        item.close_note = (note or "").strip()
        item.save()
        _record(actor, "feedback.closed", item, item.contract_id, {"status": [before, "closed"]})
    return item


def seed_demo_feedback(*, contract: Contract, raised_by: Any, incident_id: int | None = None) -> FeedbackItem | None:
    """One demo feedback item per contract (idempotent), pointing at an incident."""
    if FeedbackItem.objects.filter(contract=contract).exists():
        return None
    evidence = [{"type": "incident", "id": incident_id}] if incident_id else []
    return feedback_log(
        actor=raised_by,
        contract=contract,
        category=FeedbackItem.Category.PROCESS,
        text="The vendor's acknowledgement came in time, but nobody joined the bridge call for 40 minutes: "
        "the playbook's 'join the bridge' step has no named person out of hours.",
        evidence=evidence,
        proposed_action="Name an out-of-hours support engineer in the contacts and add them to the critical playbook.",
    )


# -- templates (staff) ----------------------------------------------------------------------------------


def onboarding_template_save(
    *,
    actor: Any,
    name: str,
    items: list[Mapping[str, Any]],
    template: OnboardingTemplate | None = None,
    description: str = "",
    is_default: bool = False,
) -> OnboardingTemplate:
    """Create or replace a template and its items (staff only). Plans already
    created keep their items: a template is only read when a contract is activated."""
    require(getattr(actor, "is_staff", False), "Only staff may edit onboarding templates.")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["This field is required."]
    elif OnboardingTemplate.objects.filter(name=name).exclude(pk=getattr(template, "pk", None)).exists():
        errors["name"] = ["Another template has this name."]
    if not items:
        errors["items"] = ["A template needs at least one item."]
    for i, row in enumerate(items):
        if not (row.get("title") or "").strip():
            errors[f"items[{i}].title"] = ["This field is required."]
        if row.get("owner_party") not in Party.values:
            errors[f"items[{i}].owner_party"] = ["Must be one of: buyer, vendor."]
        days = row.get("due_offset_days")
        if not isinstance(days, int) or not 0 <= days <= 365:
            errors[f"items[{i}].due_offset_days"] = ["Days after activation, from 0 to 365."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    with transaction.atomic():
        before = None
        if template is None:
            template = OnboardingTemplate(name=name)
        else:
            template = OnboardingTemplate.objects.select_for_update().get(pk=template.pk)
            before = [
                [i.title, i.owner_party, i.due_offset_days, i.requires_resource]
                for i in template.items.order_by("order")
            ]
        if is_default:
            OnboardingTemplate.objects.filter(is_default=True).exclude(pk=template.pk).update(is_default=False)
        template.name, template.description, template.is_default = name, description.strip(), is_default
        template.save()
        template.items.all().delete()
        OnboardingTemplateItem.objects.bulk_create(
            OnboardingTemplateItem(
                template=template,
                order=order,
                title=row["title"].strip(),
                guidance=(row.get("guidance") or "").strip(),
                owner_party=row["owner_party"],
                due_offset_days=row["due_offset_days"],
                requires_resource=bool(row.get("requires_resource")),
            )
            for order, row in enumerate(items, start=1)
        )
        after = [
            [r["title"].strip(), r["owner_party"], r["due_offset_days"], bool(r.get("requires_resource"))]
            for r in items
        ]
        audit.record(
            actor=actor,
            verb="onboarding.template_saved",
            obj=template,
            changes={"name": [None, name], "is_default": [None, is_default], "checklist": [before, after]},
        )
    return template
