"""Single sign-on per organization: which OpenID Connect provider signs the
organization's people in, for which email domains, and with which role a
new person starts."""

from __future__ import annotations

from django.db import models

from accounts.models import Membership, Organization

PROVIDER_PREFIX = "org-"


class OrganizationSSO(models.Model):
    """One organization's OpenID Connect configuration. It drives an allauth
    ``SocialApp`` (provider ``openid_connect``, ``provider_id``) that
    ``accounts.sso.services.sso_configure`` keeps in step.

    ``provider_id`` is fixed when the configuration is created: the people's
    linked accounts are keyed by it, so a later change of the organization's
    slug must not orphan them. The client secret is stored encrypted
    (``accounts.sso.secrets``) and never rendered back."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sso")
    provider_id = models.CharField(max_length=100, unique=True)
    issuer = models.URLField("issuer URL", max_length=300)
    client_id = models.CharField(max_length=191)
    client_secret_encrypted = models.TextField(blank=True)
    default_role = models.CharField(max_length=30, choices=Membership.Role.choices)
    passwords_disabled = models.BooleanField("local passwords disabled", default=False)
    enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "organization single sign-on"

    def __str__(self) -> str:
        return f"Single sign-on for {self.organization}"

    @property
    def client_secret_set(self) -> bool:
        return bool(self.client_secret_encrypted)

    @property
    def allowed_domains(self) -> list[str]:
        """The domains, sorted (prefetch ``domains`` when listing)."""
        return sorted(d.domain for d in self.domains.all())


class SSODomain(models.Model):
    """An email domain whose people sign in through one organization's
    provider. A domain belongs to at most one organization: the sign-in
    entry routes an address by its domain, so two claimants would be a
    choice made by chance."""

    config = models.ForeignKey(OrganizationSSO, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["domain"], name="sso_domain_unique")]
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
