"""The onboarding template (staff)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from audit import services as audit
from contracts.access import require
from contracts.models import (
    OnboardingTemplate,
    OnboardingTemplateItem,
    Party,
)
from core.actor import Actor
from core.errors import InvalidInput

# -- templates (staff) ----------------------------------------------------------------------------------


def onboarding_template_save(
    *,
    actor: Actor,
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
