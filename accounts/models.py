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


class Notification(models.Model):
    """An in-app notification; the same event usually also goes out by email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notif_user_created"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notif_user_unread"),
        ]

    def __str__(self) -> str:
        return self.title
