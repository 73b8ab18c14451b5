"""Use cases of the onboarding plan: create it from the template, add, reschedule, mark done, waive, evidence; overdue reminders."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services import notify
from audit import services as audit
from contracts import lock_objects
from contracts.access import can_manage_side, contract_standing, require
from contracts.models import (
    Contract,
    OnboardingItem,
    OnboardingTemplate,
    Party,
    SLAVersion,
    TrainingResource,
)
from contracts.onboarding.rules import (
    ITEM_FIELDS,
    MANAGER_ROLES,
    activation_date,
    can_work_item,
    check_due,
    check_link,
    check_owner,
    check_party,
    check_resource,
    check_upload,
    default_template,
    lock_item,
    pending_readers,
    person_of,
    record_change,
)
from core.actor import Actor
from core.errors import Conflict, InvalidInput

# -- the onboarding plan -------------------------------------------------------------------------


def onboarding_plan_create(
    *, actor: Actor, contract: Contract, template: OnboardingTemplate | None = None, start: date | None = None
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
        record_change(
            actor,
            "onboarding.plan_created",
            contract,
            contract.pk,
            {"template": [None, template.name], "item_count": [None, len(items)], "start": [None, start.isoformat()]},
        )
    return items


def _schedule_resource(actor: Actor, contract: Contract) -> TrainingResource:
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
        added_by=person_of(actor),
    )
    record_change(actor, "resource.added", resource, contract.pk, {"title": [None, resource.title]})
    return resource


def onboarding_item_add(
    *,
    actor: Actor,
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
    check_party(owner_party)
    check_owner(contract, owner_party, owner)
    check_resource(contract, resource)
    with transaction.atomic():
        check_due(contract, due_date)
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
        record_change(actor, "onboarding.item_added", item, contract.pk, audit.created(item, ITEM_FIELDS))
    return item


_UNSET: Any = object()


def onboarding_item_update(
    *,
    actor: Actor,
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
        check_owner(contract, item.owner_party, owner)
    if resource is not _UNSET:
        check_resource(contract, resource)
    with transaction.atomic():
        item = lock_item(item)
        before = audit.snapshot(item, ITEM_FIELDS)
        if due_date is not _UNSET and due_date != item.due_date:
            check_due(contract, due_date)
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
            record_change(actor, "onboarding.item_updated", item, contract.pk, delta)
    return item


def _require_open(item: OnboardingItem, action: str) -> None:
    if item.status != OnboardingItem.Status.OPEN:
        raise Conflict(
            f"Cannot {action} an item that is {item.get_status_display().lower()}.", state=item.status, allowed=[]
        )


def onboarding_item_done(*, actor: Actor, item: OnboardingItem, note: str = "") -> OnboardingItem:
    """Mark an item done. An item that requires a training resource is done only
    once everyone who must read it has confirmed."""
    s = contract_standing(actor, item.contract)
    require(can_work_item(s, item, actor), f"Only the {item.owner_party}'s people may complete this item.")
    with transaction.atomic():
        item = lock_item(item)
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
        item.done_by = person_of(actor)
        item.done_at = timezone.now()
        item.save()
        record_change(actor, "onboarding.item_done", item, item.contract_id, {"status": ["open", "done"]})
    return item


def onboarding_item_waive(*, actor: Actor, item: OnboardingItem, reason: str) -> OnboardingItem:
    require(can_manage_side(contract_standing(actor, item.contract)), "Only the parties' managers may waive items.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the item is waived.", errors={"reason": ["This field is required."]})
    with transaction.atomic():
        item = lock_item(item)
        _require_open(item, "waive")
        item.status = OnboardingItem.Status.WAIVED
        item.waive_reason = reason
        item.done_by = person_of(actor)
        item.done_at = timezone.now()
        item.save()
        record_change(
            actor,
            "onboarding.item_waived",
            item,
            item.contract_id,
            {"status": ["open", "waived"], "reason": [None, reason]},
        )
    return item


def onboarding_item_evidence(
    *, actor: Actor, item: OnboardingItem, note: str = "", link: str = "", file: UploadedFile | None = None
) -> OnboardingItem:
    """Add evidence: a note (appended), a link, an attachment (replaces the previous one)."""
    s = contract_standing(actor, item.contract)
    require(can_work_item(s, item, actor), f"Only the {item.owner_party}'s people may add evidence to this item.")
    link = check_link(link, "link")
    if not (note or "").strip() and not link and file is None:
        raise InvalidInput("Give a note, a link or a file.", errors={"note": ["Give a note, a link or a file."]})
    digest = check_upload(file, "file") if file is not None else None
    with transaction.atomic():
        item = lock_item(item)
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
        record_change(actor, "onboarding.evidence_added", item, item.contract_id, changes)
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
            lock_objects.contract_of(OnboardingItem(pk=item_id))  # the contract first (core.locks)
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
                event="onboarding.overdue",
                title=f"{contract.reference}: onboarding item overdue: {item.title}",
                body=f"“{item.title}” was due on {item.due_date:%d %b %Y}. Mark it done with evidence, "
                "or ask a manager to reschedule or waive it.",
                url=reverse("contracts:routine", args=[contract.pk]) + f"#item-{item.pk}",
                contract_id=contract.pk,
                organization_ids=[contract.buyer_id if item.owner_party == Party.BUYER else contract.vendor_id],
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
