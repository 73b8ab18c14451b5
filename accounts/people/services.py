"""Use cases for an organization's people, run by its admins: invitations
(invite, resend, revoke, accept), members (role, admin flag, deactivate,
reactivate).

The rules that hold everywhere (pages, API, shell):

- only the organization's admins (or staff, or a system actor) run them;
- roles are the organization kind's (``Membership.roles_for``);
- an organization always keeps one active admin: the last one can be neither
  demoted nor deactivated;
- an invitation grants its own organization and nothing else, whatever other
  organizations the invited person belongs to.

Lock order (``core.locks``): the organization row first (it serializes the
writes that decide "who is the last admin" and "is this email invited
already"), then the membership or invitation, then the audit head."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import services as accounts
from accounts.access import is_organization_admin
from accounts.models import Invitation, Membership, Organization, User
from audit import services as audit
from core.actor import Actor, SystemActor, is_person
from core.errors import Conflict, InvalidInput, NotPermitted
from core.locks import lock_row
from outbox.services import enqueue

INVITATION_MAIL_TASK = "accounts.tasks.email_invitation"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_admin(actor: Actor, organization_id: int) -> None:
    """Organization admins and staff; a system actor (a command, the demo seed) is trusted code."""
    if is_person(actor) and not is_organization_admin(actor, organization_id):
        raise NotPermitted("Only the organization's admins may manage its people.")


def _lock_organization(organization: Organization) -> Organization:
    return lock_row(Organization.objects.all(), organization.pk)


def _normalize(email: str) -> str:
    return (email or "").strip().lower()


# -- invitations -----------------------------------------------------------------------------


def invitation_create(
    *, actor: Actor, organization: Organization, email: str, role: str, is_admin: bool = False
) -> Invitation:
    """Invite ``email`` to ``organization``; the mail (with the link) goes out after commit."""
    require_admin(actor, organization.pk)
    accounts.membership_check_role(organization=organization, role=role)
    email = _normalize(email)
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        is_admin=is_admin,
        invited_by=actor if isinstance(actor, User) else None,
        expires_at=timezone.now() + timedelta(days=Invitation.VALID_FOR_DAYS),
        mail_requested_at=timezone.now(),
    )
    try:
        invitation.full_clean(exclude=["organization", "invited_by", "token_hash"], validate_constraints=False)
    except ValidationError as exc:
        raise InvalidInput("Please correct the invitation.", errors=exc.message_dict) from None
    with transaction.atomic():
        _lock_organization(organization)
        member = Membership.objects.filter(organization=organization, user__email__iexact=email).first()
        if member is not None:
            state = "an active member" if member.is_active else "a deactivated member: reactivate them instead"
            raise InvalidInput(
                f"{email} is already {state}.", errors={"email": [f"{email} is already {state} of {organization}."]}
            )
        for earlier in Invitation.objects.open().filter(organization=organization, email=email):
            if earlier.state == "pending":
                raise Conflict(
                    f"{email} has a pending invitation already: resend it or revoke it first.",
                    state="pending",
                    allowed=["resend", "revoke"],
                )
            # An expired invitation gives way to the new one (one open invitation per address).
            earlier.revoked_at = timezone.now()
            earlier.save(update_fields=["revoked_at"])
        invitation.save()
        audit.record(
            actor=actor,
            verb="invitation.created",
            obj=invitation,
            organization_id=organization.pk,
            changes=audit.created(invitation, ["email", "role", "is_admin", "expires_at"]),
        )
        enqueue(INVITATION_MAIL_TASK, invitation.pk)
    return invitation


def invitation_resend(*, actor: Actor, invitation: Invitation) -> Invitation:
    """Mail a new link (the old one stops working when it goes) and give it another full validity."""
    require_admin(actor, invitation.organization_id)
    with transaction.atomic():
        _lock_organization(invitation.organization)
        current = lock_row(Invitation.objects.all(), invitation.pk)
        if current.accepted_at or current.revoked_at:
            raise Conflict(
                f"This invitation was {current.state}; invite the person again instead.",
                state=current.state,
                allowed=["pending", "expired"],
            )
        before = current.expires_at
        current.expires_at = timezone.now() + timedelta(days=Invitation.VALID_FOR_DAYS)
        current.mail_requested_at = timezone.now()
        current.mailed_at = None
        current.save(update_fields=["expires_at", "mail_requested_at", "mailed_at"])
        audit.record(
            actor=actor,
            verb="invitation.resent",
            obj=current,
            organization_id=current.organization_id,
            changes=audit.diff({"expires_at": before}, {"expires_at": current.expires_at}),
        )
        enqueue(INVITATION_MAIL_TASK, current.pk)
    return current


def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    require_admin(actor, invitation.organization_id)
    with transaction.atomic():
        current = lock_row(Invitation.objects.all(), invitation.pk)
        if current.accepted_at or current.revoked_at:
            raise Conflict(f"This invitation was {current.state} already.", state=current.state, allowed=["pending"])
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            verb="invitation.revoked",
            obj=current,
            organization_id=current.organization_id,
            changes={"revoked_at": [None, audit.snapshot(current, ["revoked_at"])["revoked_at"]]},
        )
    return current


def invitation_mail(*, invitation_id: int, send: Callable[[Invitation, str], object]) -> bool:
    """Draw the link's token, store its hash and mail the link with
    ``send(invitation, token)``; True if a mail went out.

    Sends mail: call it from a task after commit. Idempotent like
    ``notifications_email``: the optimistic claim (UPDATE ... WHERE mailed_at
    IS NULL) lets one run send, and a failed send puts the previous token back
    and releases the claim so the retry sends it."""
    invitation = Invitation.objects.select_related("organization", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.mailed_at is not None or invitation.state != "pending":
        return False
    token = secrets.token_urlsafe(32)
    claimed_at = timezone.now()
    claim = Invitation.objects.open().filter(pk=invitation.pk, mailed_at__isnull=True)
    if not claim.update(mailed_at=claimed_at, token_hash=token_hash(token)):
        return False
    try:
        send(invitation, token)
    except Exception:
        Invitation.objects.filter(pk=invitation.pk, mailed_at=claimed_at).update(
            mailed_at=None, token_hash=invitation.token_hash
        )
        raise
    return True


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link names (in any state), or None for a link that never was."""
    if not token or len(token) > 100:
        return None
    return Invitation.objects.select_related("organization").filter(token_hash=token_hash(token)).first()


def _refuse_closed(invitation: Invitation) -> None:
    if invitation.state != "pending":
        raise Conflict(f"This invitation was {invitation.state}.", state=invitation.state, allowed=["pending"])


def invitation_accept(*, actor: User, invitation: Invitation) -> Membership:
    """``actor`` (signed in, with the invited address) joins the organization
    with the invitation's role and admin flag; nothing else changes for them."""
    if _normalize(actor.email) != invitation.email:
        raise NotPermitted(f"This invitation is for {invitation.email}; you are signed in as {actor.email}.")
    with transaction.atomic():
        _lock_organization(invitation.organization)
        current = lock_row(Invitation.objects.select_related("organization"), invitation.pk)
        _refuse_closed(current)
        organization = current.organization
        membership = Membership.objects.filter(user=actor, organization=organization).first()
        if membership is None:
            membership = Membership.objects.create(
                user=actor, organization=organization, role=current.role, is_admin=current.is_admin
            )
            audit.record(
                actor=actor,
                verb="membership.created",
                obj=membership,
                organization_id=organization.pk,
                changes={
                    "user": [None, actor.username],
                    "role": [None, current.role],
                    "is_admin": [None, current.is_admin],
                    "invitation": [None, current.pk],
                },
            )
        else:  # a deactivated member invited back (or a race with a reactivation)
            before = audit.snapshot(membership, ["role", "is_admin", "is_active"])
            membership.role, membership.is_admin, membership.is_active = current.role, current.is_admin, True
            changes = audit.diff(before, audit.snapshot(membership, ["role", "is_admin", "is_active"]))
            if changes:
                membership.save(update_fields=list(changes))
                audit.record(
                    actor=actor,
                    verb="membership.updated",
                    obj=membership,
                    organization_id=organization.pk,
                    changes={**changes, "invitation": [None, current.pk]},
                )
        current.accepted_at, current.accepted_by = timezone.now(), actor
        current.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            actor=actor,
            verb="invitation.accepted",
            obj=current,
            organization_id=organization.pk,
            changes={"accepted_by": [None, actor.username]},
        )
    for cache in ("_covenant_org_ids", "_covenant_memberships"):
        actor.__dict__.pop(cache, None)
    return membership


def invitation_accept_new_user(
    *, invitation: Invitation, username: str, password: str, first_name: str, last_name: str
) -> User:
    """Someone without an account signs up from the link: the person (with the
    invited address) and their membership, in one transaction."""
    _refuse_closed(invitation)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise Conflict(
            f"An account with {invitation.email} exists already: sign in, then open the link again.",
            state="account_exists",
        )
    candidate = User(username=username, email=invitation.email, first_name=first_name, last_name=last_name)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise InvalidInput("Please choose another password.", errors={"password": list(exc.messages)}) from None
    try:
        candidate.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise InvalidInput("Please correct the errors below.", errors=exc.message_dict) from None
    with transaction.atomic():
        user = accounts.user_create(
            actor=SystemActor(f"invitation:{invitation.pk}"),
            username=username,
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
        invitation_accept(actor=user, invitation=invitation)
    return user


# -- members ---------------------------------------------------------------------------------


def _active_admin_ids(organization: Organization) -> set[int]:
    return set(
        Membership.objects.filter(organization=organization, is_admin=True, is_active=True).values_list("pk", flat=True)
    )


def member_update(
    *,
    actor: Actor,
    membership: Membership,
    role: str | None = None,
    is_admin: bool | None = None,
    is_active: bool | None = None,
) -> Membership:
    """Change a member's role, admin flag or active state (``None``: unchanged).

    Deactivating revokes the person's API tokens, and when they keep no other
    active membership their account becomes inactive: Django's auth then
    refuses their existing sessions and new sign-ins. Reactivating turns the
    account back on."""
    require_admin(actor, membership.organization_id)
    with transaction.atomic():
        organization = _lock_organization(membership.organization)
        current = lock_row(Membership.objects.select_related("user"), membership.pk)
        wanted = {
            "role": current.role if role is None else role,
            "is_admin": current.is_admin if is_admin is None else is_admin,
            "is_active": current.is_active if is_active is None else is_active,
        }
        if role is not None:
            accounts.membership_check_role(organization=organization, role=role)
        before = audit.snapshot(current, wanted)
        changes = audit.diff(before, wanted)
        if not changes:
            return current
        was_admin = current.is_admin and current.is_active
        stays_admin = wanted["is_admin"] and wanted["is_active"]
        if was_admin and not stays_admin and _active_admin_ids(organization) == {current.pk}:
            field = "is_active" if "is_active" in changes else "is_admin"
            raise InvalidInput(
                f"{current.user} is the last admin of {organization}: make someone else an admin first.",
                errors={field: ["An organization keeps at least one active admin."]},
            )
        for name, value in wanted.items():
            setattr(current, name, value)
        current.save(update_fields=list(changes))
        audit.record(
            actor=actor,
            verb="membership.updated",
            obj=current,
            organization_id=organization.pk,
            changes={**changes, "user": [current.user.username, current.user.username]},
        )
        user = current.user
        if "is_active" in changes and not current.is_active:
            accounts.tokens_revoke(actor=actor, user=user, reason="membership_deactivated")
            if user.is_active and not Membership.objects.filter(user=user, is_active=True).exists():
                accounts.user_update(actor=actor, user=user, data={"is_active": False})
        elif "is_active" in changes and current.is_active and not user.is_active:
            accounts.user_update(actor=actor, user=user, data={"is_active": True})
    membership.role, membership.is_admin, membership.is_active = current.role, current.is_admin, current.is_active
    return membership


def organization_create(*, actor: Actor, name: str, kind: str, slug: str = "") -> Organization:
    """Staff create an organization (then invite its first admin)."""
    if is_person(actor) and not getattr(actor, "is_staff", False):
        raise NotPermitted("Only staff may create organizations.")
    try:
        return accounts.organization_create(actor=actor, name=name, kind=kind, slug=slug)
    except ValidationError as exc:
        raise InvalidInput("Please correct the organization.", errors=exc.message_dict) from None


def members_for_list(organization: Organization) -> QuerySet[Membership]:
    """The people page's and the API's members, with their person in the same query."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("-is_active", "user__last_name", "user__first_name", "user__username")
    )
