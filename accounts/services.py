"""Use cases for people, organizations, memberships and notifications.

These are the only writers of accounts rows, the Django admin included
(accounts/admin.py routes its saves here), and ``notify`` is the only way a
notification is created."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import ApiToken, Membership, Organization, User
from accounts.notifications import (  # re-exported: callers reach notifications here too
    notifications_email as notifications_email,
)
from accounts.notifications import notifications_mark_read as notifications_mark_read
from accounts.notifications import notify as notify
from audit import services as audit
from core.actor import Actor
from core.errors import InvalidInput

# What staff may change on a person; the password has its own use case and is never audited by value.
USER_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")
ORGANIZATION_FIELDS = ("name", "slug")  # the kind is fixed: roles and contracts depend on it


# -- people -------------------------------------------------------------------------------------


def user_create(
    *,
    actor: Actor,
    username: str,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """A new person. ``password=None`` creates one who cannot sign in with a password."""
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean()
    with transaction.atomic():
        user.save()
        audit.record(actor=actor, verb="user.created", obj=user, changes=audit.created(user, USER_FIELDS))
    return user


def user_update(*, actor: Actor, user: User, data: Mapping[str, Any]) -> User:
    """Change the named fields (a subset of USER_FIELDS). The stored row, not
    the instance passed in (a form may already have changed it), is the
    "before" of the audit entry."""
    unknown = sorted(set(data) - set(USER_FIELDS))
    if unknown:
        raise InvalidInput(f"These fields cannot be changed here: {', '.join(unknown)}.")
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        before = audit.snapshot(current, data)
        for name, value in data.items():
            setattr(current, name, value)
        current.full_clean(exclude=["password"])
        changes = audit.diff(before, audit.snapshot(current, data))
        if changes:
            current.save(update_fields=list(changes))
            audit.record(actor=actor, verb="user.updated", obj=current, changes=changes)
            if "is_active" in changes and not current.is_active:
                tokens_revoke(actor=actor, user=current, reason="deactivated")
    for name in data:
        setattr(user, name, getattr(current, name))
    return user


def user_set_password(*, actor: Actor, user: User, password: str | None) -> User:
    """Set a person's password, or with ``None`` turn password sign-in off.
    The audit entry says that it changed, never what to. Every password change
    (by the person, by a reset link, by staff) also revokes the person's API
    tokens: whoever learnt the old password may have taken a token with it."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(password=user.password)
        audit.record(
            actor=actor, verb="user.password_set" if password is not None else "user.password_disabled", obj=user
        )
        tokens_revoke(actor=actor, user=user, reason="password_set" if password is not None else "password_disabled")
    return user


# -- API tokens ---------------------------------------------------------------------------------
# Scoped tokens (accounts.identity.tokens): the key is shown once, the table
# keeps its hash. People and the audit trail see only the first TOKEN_PREFIX
# characters.

TOKEN_PREFIX = 8


def token_issue(
    *,
    actor: Actor,
    user: User,
    organization: Organization | None = None,
    role: str = "",
    scopes: Iterable[str] = ("read", "write"),
    days: int | None = None,
) -> tuple[ApiToken, str]:
    """A new API token for ``user``; returns it and its key (shown once).
    Without ``organization`` the person's primary organization (none for a
    person without membership); without ``role`` their role there. The role
    may not rank above theirs; at most COVENANT_TOKEN_MAX_DAYS days."""
    from accounts.access import primary_membership
    from accounts.identity.tokens import hash_key, new_key, role_allowed

    scopes = sorted(set(scopes))
    unknown = sorted(set(scopes) - set(ApiToken.Scope.values))
    if unknown or not scopes:
        raise InvalidInput(
            "Unknown or missing scope.", errors={"scopes": [f"Choose from {', '.join(ApiToken.Scope.values)}."]}
        )
    days = settings.COVENANT_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.COVENANT_TOKEN_MAX_DAYS:
        raise InvalidInput(
            "Invalid expiry.", errors={"days": [f"Between 1 and {settings.COVENANT_TOKEN_MAX_DAYS} days."]}
        )
    membership = (
        Membership.objects.filter(user=user, organization=organization, is_active=True).first()
        if organization is not None
        else primary_membership(user)
    )
    if organization is not None and membership is None:
        raise InvalidInput(
            "Not a member of that organization.", errors={"organization": ["You are not an active member of it."]}
        )
    if membership is None:
        role = ""
    else:
        role = role or membership.role
        if role not in Membership.roles_for(membership.organization.kind) or not role_allowed(
            held=membership.role, asked=role
        ):
            raise InvalidInput(
                "That role is above yours.",
                errors={"role": [f"At most your own role ({membership.get_role_display()}) in that organization."]},
            )
    key = new_key()
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            key_hash=hash_key(key),
            prefix=key[:TOKEN_PREFIX],
            user=user,
            organization=membership.organization if membership else None,
            role=role,
            scopes=scopes,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit.record(
            actor=actor,
            verb="user.token_issued",
            obj=user,
            organization_id=token.organization_id,
            changes={
                "token": [None, token.prefix],
                "role": [None, role],
                "scopes": [None, scopes],
                "expires_at": [None, token.expires_at.isoformat()],
            },
        )
    return token, key


def tokens_revoke(*, actor: Actor, user: User, reason: str, prefix: str | None = None) -> int:
    """Revoke ``user``'s live API tokens (only the one whose key starts with
    ``prefix``, if given) and say so in the audit trail; returns how many,
    0 when nothing matched (the callers answer 404 for a prefix)."""
    if prefix is not None and len(prefix) != TOKEN_PREFIX:
        return 0
    now = timezone.now()
    with transaction.atomic():
        qs = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        if prefix is not None:
            qs = qs.filter(prefix=prefix)
        rows = list(qs.select_for_update().order_by("pk").values_list("pk", "prefix"))
        if not rows:
            return 0
        ApiToken.objects.filter(pk__in=[pk for pk, _ in rows]).update(revoked_at=now)
        audit.record(
            actor=actor,
            verb="user.tokens_revoked",
            obj=user,
            changes={"tokens": [sorted(p for _, p in rows), []], "reason": [None, reason]},
        )
    return len(rows)


# -- organizations and memberships --------------------------------------------------------------


def organization_create(*, actor: Actor, name: str, kind: str, slug: str = "") -> Organization:
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


def organization_update(*, actor: Actor, organization: Organization, name: str, slug: str) -> Organization:
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization.pk)
        before = audit.snapshot(org, ORGANIZATION_FIELDS)
        org.name, org.slug = name, slug or slugify(name)[:80]
        org.full_clean()
        changes = audit.diff(before, audit.snapshot(org, ORGANIZATION_FIELDS))
        if changes:
            org.save(update_fields=list(changes))
            audit.record(actor=actor, verb="organization.updated", obj=org, organization_id=org.pk, changes=changes)
    organization.name, organization.slug = org.name, org.slug
    return organization


def membership_check_role(*, organization: Organization, role: str) -> None:
    allowed = Membership.roles_for(organization.kind)
    if role not in allowed:
        raise InvalidInput(
            f"Role '{role}' is not a {organization.get_kind_display().lower()} role.",
            errors={"role": [f"Must be one of {', '.join(allowed)} for a {organization.kind} organization."]},
        )


def membership_add(*, actor: Actor, organization: Organization, user: User, role: str) -> Membership:
    membership_check_role(organization=organization, role=role)
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


def membership_update(*, actor: Actor, membership: Membership, role: str, is_active: bool) -> Membership:
    """Change a membership's role or (de)activate it. People are deactivated,
    never deleted: the audit trail keeps pointing at them."""
    with transaction.atomic():
        current = Membership.objects.select_for_update().select_related("organization").get(pk=membership.pk)
        membership_check_role(organization=current.organization, role=role)
        changes = audit.diff(
            {"role": current.role, "is_active": current.is_active}, {"role": role, "is_active": is_active}
        )
        if changes:
            current.role, current.is_active = role, is_active
            current.save(update_fields=list(changes))
            audit.record(
                actor=actor,
                verb="membership.updated",
                obj=current,
                organization_id=current.organization_id,
                changes=changes,
            )
    membership.role, membership.is_active = current.role, current.is_active
    return membership
