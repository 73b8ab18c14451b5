"""Use cases for organizations, people and notifications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from accounts.models import Membership, Notification, Organization, User
from audit import services as audit
from core.errors import InvalidInput


def organization_create(*, actor: Any, name: str, kind: str, slug: str = "") -> Organization:
    if kind not in Organization.Kind.values:
        raise InvalidInput(
            "Unknown organization kind.", errors={"kind": [f"Must be one of {Organization.Kind.values}."]}
        )
    with transaction.atomic():
        org = Organization(name=name, slug=slug or slugify(name)[:80], kind=kind)
        org.full_clean()
        org.save()
        audit.record(actor=actor, verb="organization.created", obj=org, changes=audit.created(org, ["name", "kind"]))
    return org


def membership_add(*, actor: Any, organization: Organization, user: User, role: str) -> Membership:
    allowed = Membership.roles_for(organization.kind)
    if role not in allowed:
        raise InvalidInput(
            f"Role '{role}' is not a {organization.get_kind_display().lower()} role.",
            errors={"role": [f"Must be one of {', '.join(allowed)} for a {organization.kind} organization."]},
        )
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
        if created:
            audit.record(
                actor=actor,
                verb="membership.created",
                obj=membership,
                organization_id=organization.pk,
                changes={"user": [None, user.username], "role": [None, role]},
            )
        elif membership.role != role:
            before = membership.role
            membership.role = role
            membership.save(update_fields=["role"])
            audit.record(
                actor=actor,
                verb="membership.updated",
                obj=membership,
                organization_id=organization.pk,
                changes={"role": [before, role]},
            )
    return membership


def notify(
    *, users: Iterable[User], verb: str, title: str, body: str = "", url: str = "", email: bool = True
) -> list[Notification]:
    """In-app notification for each person, and an email sent after commit."""
    rows = [
        Notification(user=u, verb=verb, title=title[:200], body=body, url=url)
        for u in {u.pk: u for u in users}.values()
    ]
    if not rows:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        ids = [n.pk for n in created if n.pk is not None]
        if email and ids:
            from outbox.services import enqueue

            enqueue("accounts.tasks.email_notifications", ids)
    return created


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    from django.utils import timezone

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
