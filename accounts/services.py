"""Use cases for people, organizations, memberships and notifications.

These are the only writers of accounts rows, the Django admin included
(accounts/admin.py routes its saves here), and ``notify`` is the only way a
notification is created."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from rest_framework.authtoken.models import Token

from accounts.models import Membership, Notification, Organization, User
from audit import services as audit
from core.actor import Actor
from core.errors import InvalidInput
from outbox.services import enqueue

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
# DRF's token: one per person, the key is its primary key. People and the
# audit trail see only the first TOKEN_PREFIX characters; the key itself is
# shown once, when it is issued.

TOKEN_PREFIX = 8


def token_issue(*, actor: Actor, user: User) -> Token:
    """A new API token for ``user``, replacing the one they held."""
    with transaction.atomic():
        tokens_revoke(actor=actor, user=user, reason="replaced")
        token = Token.objects.create(user=user)
        audit.record(
            actor=actor, verb="user.token_issued", obj=user, changes={"token": [None, token.key[:TOKEN_PREFIX]]}
        )
    return token


def tokens_revoke(*, actor: Actor, user: User, reason: str, prefix: str | None = None) -> int:
    """Delete ``user``'s API tokens (only the one whose key starts with
    ``prefix``, if given) and say so in the audit trail; returns how many
    went, 0 when nothing matched (the callers answer 404 for a prefix)."""
    if prefix is not None and len(prefix) != TOKEN_PREFIX:
        return 0
    with transaction.atomic():
        qs = Token.objects.filter(user=user)
        if prefix is not None:
            qs = qs.filter(key__startswith=prefix)
        keys = sorted(qs.select_for_update().values_list("key", flat=True))
        if not keys:
            return 0
        Token.objects.filter(key__in=keys).delete()
        audit.record(
            actor=actor,
            verb="user.tokens_revoked",
            obj=user,
            changes={"tokens": [[k[:TOKEN_PREFIX] for k in keys], []], "reason": [None, reason]},
        )
    return len(keys)


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


# -- notifications ------------------------------------------------------------------------------


def notify(
    *, users: Iterable[User], verb: str, title: str, body: str = "", url: str = "", email: bool = True
) -> list[Notification]:
    """The one way to tell people something: an in-app notification for each
    person (once, however often they are named) and, with ``email``, a mail
    sent after commit by ``accounts.tasks.email_notifications``.

    Call it inside the use case's transaction: the rows commit or roll back
    with the change they announce, and no mail leaves before the commit. A
    caller that sends its own richer mail (a PDF attached) passes
    ``email=False``, enqueues its own task and sends through
    ``notifications_email`` so each notification is still mailed once."""
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
            enqueue("accounts.tasks.email_notifications", ids)
    return created


def notifications_email(*, ids: Iterable[int], send: Callable[[Notification], object]) -> int:
    """Mail each of these notifications once with ``send(notification)``;
    returns how many went out. The optimistic claim (UPDATE ... WHERE
    emailed_at IS NULL) makes a repeated or concurrent task send nothing
    twice, and a failed send rolls its claim back so a retry sends it.

    Sends mail: call it from a task, after commit, never inside a use case's
    transaction. No transaction or lock is held while the mail server answers:
    the claim commits first, and a failed send releases it."""
    sent = 0
    pending = (
        Notification.objects.filter(pk__in=list(ids), emailed_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    )
    for notification in pending:
        claimed_at = timezone.now()
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=claimed_at)
        if not claimed:
            continue
        try:
            send(notification)
        except Exception:
            # Release only our own claim, so the task's retry sends it once.
            Notification.objects.filter(pk=notification.pk, emailed_at=claimed_at).update(emailed_at=None)
            raise
        sent += 1
    return sent


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
