from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class User(AbstractUser):
    """A person. What they may see follows from their memberships (see access.py)."""

    email = models.EmailField("email address", unique=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def primary_organization_id(self) -> int | None:
        """The organization this person acts for by default (core.actor.Person)."""
        from accounts.access import primary_membership

        membership = primary_membership(self)
        return membership.organization_id if membership else None


class Organization(models.Model):
    class Kind(models.TextChoices):
        BUYER = "buyer", "Buyer"
        VENDOR = "vendor", "Vendor"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "name"], name="org_kind_name")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        CONTRACT_MANAGER = "contract_manager", "Contract manager"
        OPERATIONS = "operations", "Operations"
        ACCOUNT_MANAGER = "account_manager", "Account manager"
        SUPPORT_ENGINEER = "support_engineer", "Support engineer"
        VIEWER = "viewer", "Viewer"

    BUYER_ROLES = (Role.CONTRACT_MANAGER, Role.OPERATIONS, Role.VIEWER)
    VENDOR_ROLES = (Role.ACCOUNT_MANAGER, Role.SUPPORT_ENGINEER, Role.VIEWER)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    # An organization admin runs the organization's people and settings in
    # the portal: invitations, roles, tokens, webhooks, single sign-on.
    is_admin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org"),
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="membership_user_active")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    @classmethod
    def roles_for(cls, kind: str) -> tuple[str, ...]:
        return cls.BUYER_ROLES if kind == Organization.Kind.BUYER else cls.VENDOR_ROLES


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def digest_pending(self) -> NotificationQuerySet:
        return self.filter(mail=Notification.Mail.DIGEST, emailed_at__isnull=True)


class Notification(models.Model):
    """An in-app notification of one catalogue event (accounts/events.py).
    ``mail`` says how it goes out by email, decided by the person's
    preference when it was written."""

    class Mail(models.TextChoices):
        NOW = "now", "Immediately"
        DIGEST = "digest", "In the daily digest"
        NONE = "none", "Not mailed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    mail = models.CharField(max_length=6, choices=Mail.choices, default=Mail.NOW)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notif_user_created"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notif_user_unread"),
            models.Index(
                fields=["user", "id"], condition=Q(mail="digest", emailed_at__isnull=True), name="notif_digest_pending"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """How one person wants one event mailed; no row means immediately."""

    class Delivery(models.TextChoices):
        IMMEDIATELY = "immediately", "Immediately"
        DIGEST = "digest", "Daily digest"
        OFF = "off", "Off"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=80)
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.IMMEDIATELY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notif_pref_unique_user_event"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.event} {self.delivery}"


class ContactOptOut(models.Model):
    """A contract contact without a login (contracts.ContractContact) who
    followed a mail's unsubscribe link: no more mail of ``event`` on that
    contract to that address. Keyed by the contract's id, not a foreign key:
    accounts sits below contracts."""

    email = models.EmailField()
    contract_id = models.PositiveBigIntegerField()
    event = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "contract_id", "event"], name="contact_optout_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} (contract {self.contract_id}): no {self.event}"


class ContactNotification(models.Model):
    """One mail to a contract contact without a login (accounts/events.py,
    ``CONTACT_ROLE_EVENTS``): written with the change it announces, mailed once
    after commit (the same optimistic claim on ``emailed_at`` as a Notification)."""

    email = models.EmailField()
    contract_id = models.PositiveBigIntegerField()
    event = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contract_id", "-created_at"], name="contact_notif_contract")]

    def __str__(self) -> str:
        return f"{self.email}: {self.title}"


class SignInEvent(models.Model):
    """One sign-in attempt, kept for the person and their organization admins
    (accounts/identity/adapter.py writes them; nothing else does)."""

    class Method(models.TextChoices):
        PASSWORD = "password", "Password"
        PASSWORD_TOTP = "password+totp", "Password and authenticator app"
        PASSWORD_WEBAUTHN = "password+webauthn", "Password and security key"
        PASSWORD_RECOVERY = "password+recovery_codes", "Password and recovery code"
        PASSKEY = "passkey", "Passkey"
        REAUTHENTICATION = "reauthentication", "Re-authentication"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_events", null=True, blank=True
    )
    at = models.DateTimeField(db_index=True)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    # A Method value or "sso:<provider>" (not a choice: providers are configured per organization).
    method = models.CharField(max_length=60, blank=True)
    succeeded = models.BooleanField()
    reason = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="signin_user_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.method} {'ok' if self.succeeded else self.reason} at {self.at:%Y-%m-%d %H:%M}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, *, at: object) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class ApiToken(models.Model):
    """An API key scoped to one organization and a role no higher than the
    holder's there, with scopes and an expiry. Only the SHA-256 of the key is
    stored; its first characters (``prefix``) name it to people and the audit
    trail. No organization: a person without membership (a board member,
    staff) acting on their own standing."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"
        SIGN = "sign", "Sign (step-up actions)"

    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens", null=True, blank=True
    )
    role = models.CharField(max_length=30, choices=Membership.Role.choices, blank=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An organization admin's invitation to join the organization by email.

    Only the SHA-256 of the link's token is stored: whoever reads the database
    (or a backup) cannot join with it. The token is drawn when the mail goes
    out (``accounts.people.services.invitation_mail``), so it exists nowhere
    but in the mail; a resend draws a new one and the old link stops working."""

    VALID_FOR_DAYS = 7

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()  # stored lower-cased
    role = models.CharField(max_length=30, choices=Membership.Role.choices)
    is_admin = models.BooleanField(default=False)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    # Set when a mail is asked for (invite, resend); cleared when one goes out.
    mail_requested_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="invitation_org_created")]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


from accounts.sso.models import OrganizationSSO, SSODomain  # noqa: E402, F401  (single sign-on lives in its subpackage)
