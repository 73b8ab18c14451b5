"""Use cases of training resources: add one, confirm having read it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from audit import services as audit
from contracts.access import can_manage_side, contract_standing, require
from contracts.models import (
    Contract,
    OnboardingItem,
    ResourceConfirmation,
    TrainingResource,
)
from contracts.onboarding.rules import check_link, check_upload, lock_item, person_of, record_change
from contracts.terms import ROLES
from core.actor import Actor
from core.errors import InvalidInput

# -- training resources ---------------------------------------------------------------------------


def resource_add(
    *,
    actor: Actor,
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
            added_by=person_of(actor),
        )
        if file is not None:
            resource.file.save(file.name, file, save=False)
            resource.file_name = file.name[:200]
        resource.save()
        changes: dict[str, Any] = audit.created(resource, ["title", "url", "audience", "roles"])
        if digest:
            changes["file"] = [None, {"name": file.name, "sha256": digest}]  # type: ignore[union-attr]
        record_change(actor, "resource.added", resource, contract.pk, changes)
        if required_by is not None:
            item = lock_item(required_by)
            item.resource = resource
            item.save(update_fields=["resource"])
            record_change(actor, "onboarding.item_updated", item, contract.pk, {"resource": [None, resource.pk]})
    return resource


def resource_confirm(*, actor: Actor, resource: TrainingResource) -> ResourceConfirmation:
    """``actor`` confirms having read the resource (once; confirming again changes nothing)."""
    s = contract_standing(actor, resource.contract)
    require(getattr(actor, "is_authenticated", False) and s.sees, "Only the contract's people may confirm reading.")
    with transaction.atomic():
        confirmation, created = ResourceConfirmation.objects.get_or_create(
            resource=resource, user=actor, defaults={"at": timezone.now()}
        )
        if created:
            record_change(
                actor, "resource.confirmed", resource, resource.contract_id, {"read_by": [None, actor.username]}
            )
    return confirmation
