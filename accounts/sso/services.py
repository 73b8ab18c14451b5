"""Use cases of single sign-on: an organization admin configures the
organization's OpenID Connect provider; a person signs in through it and is
matched or provisioned, into that organization only.

Lock order (``core.locks``): the organization row first (it serializes two
admins saving at once), then the configuration, then the audit head."""

from __future__ import annotations

import re
import secrets as random
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialAccount, SocialApp
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.access import is_organization_admin
from accounts.models import Invitation, Membership, Organization, User
from accounts.people.services import invitation_accept
from accounts.sso import secrets
from accounts.sso.models import PROVIDER_PREFIX, OrganizationSSO, SSODomain
from audit import services as audit
from core.actor import Actor, SystemActor, is_person
from core.errors import InvalidInput, NotPermitted
from core.locks import lock_row

PROVIDER = "openid_connect"
CONFIG_FIELDS = ("issuer", "client_id", "default_role", "passwords_disabled", "enabled")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class SignInRefused(Exception):
    """A single sign-on the rules refuse; ``reason`` is the audit code, ``message`` is for the person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def sso_actor(config: OrganizationSSO) -> SystemActor:
    return SystemActor(f"single sign-on ({config.provider_id})")


# -- configuration -------------------------------------------------------------------------------


def _clean_issuer(issuer: str) -> tuple[str, str | None]:
    value = (issuer or "").strip().rstrip("/")
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        return value, "Enter the provider's issuer URL, e.g. https://login.example.com."
    if not value or parts.scheme not in ("https", "http") or not hostname:
        return value, "Enter the provider's issuer URL, e.g. https://login.example.com."
    if parts.scheme == "http" and hostname not in _LOOPBACK:
        return value, "The issuer must use https (plain http only for a provider on this machine)."
    if parts.query or parts.fragment:
        return value, "The issuer URL has no query or fragment."
    return value, None


def clean_domains(domains: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the domains, lower-cased, without "@" and duplicates; the problems found)."""
    cleaned: list[str] = []
    problems: list[str] = []
    for raw in domains:
        domain = str(raw).strip().lower().lstrip("@")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            problems.append(f"'{domain}' is not a domain name (like example.com).")
        elif domain not in cleaned:
            cleaned.append(domain)
    return sorted(cleaned), problems


def sso_configure(
    *,
    actor: Actor,
    organization: Organization,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    allowed_domains: Iterable[str],
    default_role: str,
    passwords_disabled: bool,
    enabled: bool,
) -> OrganizationSSO:
    """Create or replace the organization's configuration and the allauth
    ``SocialApp`` behind it. ``client_secret=None`` (or "") keeps the stored
    secret. Organization admins and staff only."""
    if is_person(actor) and not is_organization_admin(actor, organization.pk):
        raise NotPermitted("Only the organization's admins may configure its single sign-on.")
    errors: dict[str, list[str]] = {}
    issuer, problem = _clean_issuer(issuer)
    if problem:
        errors["issuer"] = [problem]
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 191:
        errors["client_id"] = ["Enter the client id the provider issued to Covenant (at most 191 characters)."]
    client_secret = (client_secret or "").strip() or None
    if client_secret is not None and len(client_secret) > 500:
        errors["client_secret"] = ["The client secret is at most 500 characters."]
    domains, problems = clean_domains(allowed_domains)
    if problems:
        errors["allowed_domains"] = problems
    elif enabled and not domains:
        errors["allowed_domains"] = ["Name at least one email domain whose people sign in this way."]
    roles = Membership.roles_for(organization.kind)
    if default_role not in roles:
        errors["default_role"] = [f"Must be one of {', '.join(roles)} for a {organization.kind} organization."]
    if passwords_disabled and not enabled:
        errors["passwords_disabled"] = ["Passwords can be turned off only while single sign-on is enabled."]
    taken = sorted(
        SSODomain.objects.filter(domain__in=domains)
        .exclude(config__organization=organization)
        .values_list("domain", flat=True)
    )
    if taken:
        errors.setdefault("allowed_domains", []).append(
            f"Already used by another organization's single sign-on: {', '.join(taken)}."
        )
    if errors:
        raise InvalidInput("The single sign-on settings were not saved.", errors=errors)

    with transaction.atomic():
        lock_row(Organization.objects.all(), organization.pk)
        config = OrganizationSSO.objects.select_for_update().filter(organization=organization).first()
        created = config is None
        if config is None:
            provider_id = f"{PROVIDER_PREFIX}{organization.slug}"
            if OrganizationSSO.objects.filter(provider_id=provider_id).exists():
                # Another organization had this slug when it set up single sign-on.
                provider_id = f"{provider_id}-{organization.pk}"
            config = OrganizationSSO(organization=organization, provider_id=provider_id)
            if enabled and not client_secret:
                raise InvalidInput(
                    "The single sign-on settings were not saved.",
                    errors={"client_secret": ["Enter the client secret the provider issued to Covenant."]},
                )
        elif enabled and not client_secret and not config.client_secret_set:
            raise InvalidInput(
                "The single sign-on settings were not saved.",
                errors={"client_secret": ["Enter the client secret the provider issued to Covenant."]},
            )
        before = {**audit.snapshot(config, CONFIG_FIELDS), "allowed_domains": [] if created else config.allowed_domains}
        config.issuer, config.client_id, config.default_role = issuer, client_id, default_role
        config.passwords_disabled, config.enabled = passwords_disabled, enabled
        if client_secret is not None:
            config.client_secret_encrypted = secrets.seal(client_secret)
        config.full_clean(exclude=["organization"] if created else None)
        config.save()
        stored = set(config.domains.values_list("domain", flat=True)) if not created else set()
        SSODomain.objects.filter(config=config).exclude(domain__in=domains).delete()
        try:
            with transaction.atomic():
                SSODomain.objects.bulk_create([SSODomain(config=config, domain=d) for d in domains if d not in stored])
        except IntegrityError:  # another organization claimed one of them meanwhile
            raise InvalidInput(
                "The single sign-on settings were not saved.",
                errors={"allowed_domains": ["One of these domains was just claimed by another organization."]},
            ) from None
        _sync_app(config)
        changes = audit.diff(before, {**audit.snapshot(config, CONFIG_FIELDS), "allowed_domains": domains})
        if client_secret is not None:
            # That it changed, never what to.
            changes["client_secret"] = [None if created else "set", "changed"]
        if changes:
            audit.record(
                actor=actor,
                verb="sso.configured" if created else "sso.updated",
                obj=config,
                organization_id=organization.pk,
                changes=changes,
            )
    return config


def _sync_app(config: OrganizationSSO) -> None:
    """The allauth app behind the configuration. Its ``secret`` column stays
    empty: the adapter (``accounts.sso.adapter``) hands allauth the secret,
    unsealed, only while it talks to the provider."""
    app = SocialApp.objects.filter(provider=PROVIDER, provider_id=config.provider_id).first() or SocialApp(
        provider=PROVIDER, provider_id=config.provider_id
    )
    app.name = config.organization.name[:40]
    app.client_id = config.client_id
    app.secret = ""
    app.settings = {"server_url": config.issuer, "oauth_pkce_enabled": True}
    app.save()


# -- signing in ------------------------------------------------------------------------------------


def organization_for_email(email: str) -> OrganizationSSO | None:
    """The enabled configuration whose domains hold this address, if any."""
    domain = (email or "").strip().lower().rpartition("@")[2]
    if not domain:
        return None
    return OrganizationSSO.objects.select_related("organization").filter(enabled=True, domains__domain=domain).first()


def _open_invitation(organization: Organization, email: str) -> Invitation | None:
    return (
        Invitation.objects.open()
        .select_related("organization")
        .filter(organization=organization, email=email, expires_at__gt=timezone.now())
        .first()
    )


def _username_for(email: str) -> str:
    base = email[:150]
    if not User.objects.filter(username=base).exists():
        return base
    return f"{email[:140]}-{random.token_hex(4)}"


def sso_sign_in(
    *,
    config: OrganizationSSO,
    email: str,
    email_verified: bool,
    uid: str,
    linked_user: User | None,
    extra_data: dict[str, Any],
    first_name: str = "",
    last_name: str = "",
) -> User:
    """The person the provider vouched for, in ``config``'s organization.

    - The address must be verified by the provider and in the organization's domains.
    - ``linked_user`` (the person this provider account signed in before) must
      still be an active member, or be invited back.
    - Otherwise the person with that address is linked only if they are an
      active member of the organization or hold its open invitation: never
      into another tenant's account.
    - Nobody with that address: a new person, in this organization only, with
      the role of their open invitation or the configuration's default role.

    Raises ``SignInRefused``; the caller records the refusal (``sso_refusal_record``)
    after this transaction rolled back."""
    organization = config.organization
    email = (email or "").strip().lower()
    if not config.enabled:
        raise SignInRefused("disabled", f"Single sign-on is turned off for {organization}.")
    if not email:
        raise SignInRefused("no_email", "Your identity provider did not send an email address.")
    if not email_verified:
        raise SignInRefused(
            "email_unverified",
            f"Your identity provider has not verified {email}: ask your IT team to verify it, then try again.",
        )
    domain = email.rpartition("@")[2]
    if domain not in config.allowed_domains:
        raise SignInRefused(
            "domain_not_allowed", f"{organization} does not sign in people with {domain} addresses this way."
        )
    actor = sso_actor(config)
    with transaction.atomic():
        lock_row(Organization.objects.all(), organization.pk)
        invitation = _open_invitation(organization, email)
        user = linked_user or User.objects.filter(email__iexact=email).first()
        if user is not None:
            member = Membership.objects.filter(user=user, organization=organization, is_active=True).exists()
            if not member and not (invitation and user.email.lower() == email):
                raise SignInRefused(
                    "not_a_member" if linked_user else "account_elsewhere",
                    f"The account for {email} is not a member of {organization}, so single sign-on cannot "
                    "open it. Sign in with your password, or ask your organization's admin to invite you.",
                )
            if not member and invitation is not None:
                invitation_accept(actor=user, invitation=invitation)
            if linked_user is None:
                SocialAccount.objects.create(user=user, provider=config.provider_id, uid=uid, extra_data=extra_data)
                audit.record(
                    actor=actor,
                    verb="sso.account_linked",
                    obj=user,
                    organization_id=organization.pk,
                    changes={"provider": [None, config.provider_id], "email": [None, email]},
                )
            return user
        user = accounts.user_create(
            actor=actor,
            username=_username_for(email),
            email=email,
            password=None,
            first_name=first_name[:150],
            last_name=last_name[:150],
        )
        if invitation is not None:
            invitation_accept(actor=user, invitation=invitation)
        else:
            accounts.membership_add(actor=actor, organization=organization, user=user, role=config.default_role)
        SocialAccount.objects.create(user=user, provider=config.provider_id, uid=uid, extra_data=extra_data)
        audit.record(
            actor=actor,
            verb="sso.person_provisioned",
            obj=user,
            organization_id=organization.pk,
            changes={
                "provider": [None, config.provider_id],
                "email": [None, email],
                "role": [None, invitation.role if invitation else config.default_role],
                "invitation": [None, invitation.pk if invitation else None],
            },
        )
    return user


def sso_refusal_record(*, config: OrganizationSSO | None, provider_id: str, email: str, reason: str) -> None:
    """The audit entry of a refused single sign-on, for the organization's admins."""
    with transaction.atomic():
        audit.record(
            actor=sso_actor(config) if config else SystemActor(f"single sign-on ({provider_id})"),
            verb="sso.sign_in_refused",
            obj=config,
            object_type=None if config else "accounts.organizationsso",
            object_id=None if config else provider_id,
            organization_id=config.organization_id if config else None,
            changes={"email": [None, (email or "").strip().lower()], "reason": [None, reason]},
        )
