"""SLA versions: the terms of a contract over a span of time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts.models.contracts import Contract, visibility_q
from contracts.versions import InForceFallback
from core.checksum import checksum


class SLAVersionQuerySet(models.QuerySet["SLAVersion"]):
    def visible_to(self, user: Any) -> SLAVersionQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def for_contract(self, contract: Contract | int) -> SLAVersionQuerySet:
        return self.filter(contract=contract)

    def frozen(self) -> SLAVersionQuerySet:
        return self.filter(status=SLAVersion.Status.ACTIVE)

    def governing(self, at: datetime) -> SLAVersionQuerySet:
        """The filter behind ``in_force_at``: the frozen version(s) in force at
        ``at``, at most one per contract. For subqueries and many contracts at
        once; "the version in force" of one contract is ``in_force_at``."""
        return self.frozen().filter(Q(effective_from__lte=at), Q(effective_to__isnull=True) | Q(effective_to__gt=at))

    def in_force_at(self, at: datetime, *, fallback: InForceFallback = InForceFallback.NONE) -> SLAVersion | None:
        """THE answer to "which SLA version governs ``at``" for one contract
        (``SLAVersion.objects.for_contract(c).in_force_at(t)``): the frozen
        version whose ``[effective_from, effective_to)`` holds ``at``, else
        what ``fallback`` says. ``contracts.versions.in_force_among`` is the
        same rule over versions already loaded."""
        latest_first = ("-effective_from", "-number")
        found = self.governing(at).order_by(*latest_first).first()
        if found is not None or fallback is InForceFallback.NONE:
            return found
        if fallback is InForceFallback.EARLIEST_FROZEN:
            return self.frozen().order_by("effective_from", "number").first()
        return self.frozen().order_by(*latest_first).first()


class SLAVersion(models.Model):
    """The terms of a contract over a span of time.

    A draft is edited by the side that drafts it (``side``: the buyer's, or
    the vendor's counter-proposal). Proposing freezes its content and records
    the proposer's acceptance; the other party accepts the same checksum, and
    the version becomes active (frozen) from its effective date. Or a signed
    annual review, or a staff override, activates it (``activation_basis``).
    It is then in force from ``effective_from`` until the next activated
    version's ``effective_from``. Changing terms means a new version (an
    amendment), never an edit.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active (frozen)"
        COUNTERED = "countered", "Countered"

    class Side(models.TextChoices):
        BUYER = "buyer", "Buyer"
        VENDOR = "vendor", "Vendor"

    class Basis(models.TextChoices):
        """What put an active version in force (printed on the exhibit)."""

        ACCEPTED = "accepted", "Accepted by both parties"
        REVIEW = "review", "Signed annual review"
        OVERRIDE = "override", "Staff override"
        BOARD_ONLY = "board_only", "Staff override: board-only contract"
        RECORDED = "recorded", "Recorded without acceptances"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="sla_versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    side = models.CharField(max_length=8, choices=Side.choices, default=Side.BUYER, help_text="Who drafts it.")
    effective_from = models.DateTimeField(null=True, blank=True)
    effective_to = models.DateTimeField(null=True, blank=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments")
    preset = models.CharField(max_length=60, blank=True)
    change_summary = models.TextField(blank=True)
    terms = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    # A draft another process owns (an annual review's amendment): the terms
    # editor refuses it and points at the owner, which edits it itself.
    held_by = models.CharField(
        max_length=120,
        blank=True,
        help_text="Who edits this draft instead of the terms editor, e.g. “Annual review 2027”.",
    )
    held_by_url = models.CharField(max_length=300, blank=True, help_text="The page where the holder edits it.")
    # The consent flow: what was proposed, and what last sent it back.
    proposed_from = models.DateTimeField(
        null=True, blank=True, help_text="The proposed effective date; empty: as soon as both parties accept."
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    returned_reason = models.TextField(blank=True, help_text="Why the last proposal was rejected or withdrawn.")
    activation_basis = models.CharField(max_length=12, choices=Basis.choices, blank=True)
    override_reason = models.TextField(blank=True)

    objects = SLAVersionQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="sla_version_unique_number"),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(effective_from__isnull=False), name="sla_active_has_effective_from"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                name="sla_effective_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["contract", "status", "effective_from"], name="sla_contract_in_force")]

    def __str__(self) -> str:
        return f"{self.contract.reference} SLA v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_held(self) -> bool:
        """A draft whose edits belong to its holder (``held_by``), not the terms editor."""
        return self.is_draft and bool(self.held_by)

    @property
    def is_proposed(self) -> bool:
        return self.status == self.Status.PROPOSED

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def consent_checksum(self) -> str:
        """What a party accepts: SHA-256 over the canonical JSON of the terms,
        the proposed effective date and the version number. Any edit, another
        date or another number is another checksum."""
        when = self.proposed_from.isoformat() if self.proposed_from else None
        return checksum({"terms": self.terms, "effective_from": when, "number": self.number})


class SLAVersionAcceptance(models.Model):
    """One party's acceptance of one proposed version, bound to the checksum
    the person saw. Removed when the proposal is withdrawn or rejected (the
    audit trail keeps them); at most one per side and version."""

    version = models.ForeignKey(SLAVersion, on_delete=models.CASCADE, related_name="acceptances")
    side = models.CharField(max_length=8, choices=SLAVersion.Side.choices)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_by_name = models.CharField(max_length=200, help_text="The person's name as it was at acceptance.")
    accepted_at = models.DateTimeField()
    checksum = models.CharField(max_length=64)

    class Meta:
        ordering = ["version", "accepted_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "side"], name="sla_acceptance_one_per_side")]

    def __str__(self) -> str:
        return f"{self.version} accepted by the {self.side} ({self.accepted_by_name})"


class SLAVersionComment(models.Model):
    """A comment on a draft or proposal, by anyone who sees the contract (the
    vendor's board members comment on the buyer's draft they may not edit)."""

    version = models.ForeignKey(SLAVersion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    author_name = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.version} by {self.author_name}"
