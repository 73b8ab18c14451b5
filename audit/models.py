from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def for_contract(self, contract_id: int) -> AuditEntryQuerySet:
        return self.filter(contract_id=contract_id)

    def readable_by(self, *, buyer: bool, vendor: bool, staff: bool) -> AuditEntryQuerySet:
        """The entries a reader may see, given which side of the contract they
        are on: every party reads ``both``; the buyer's people also read
        ``buyer``, the vendor's ``vendor``; staff read everything. A board
        member outside both organizations reads ``both`` only. Every reader
        of a contract's trail (page, API, CSV) filters through this."""
        if staff:
            return self.all()
        V = AuditEntry.Visibility
        allowed = [V.BOTH] + ([V.BUYER] if buyer else []) + ([V.VENDOR] if vendor else [])
        return self.filter(visibility__in=allowed)

    def for_list(self) -> AuditEntryQuerySet:
        return self.select_related("actor", "organization")


class AuditEntry(models.Model):
    """One append-only, hash-chained record of a state change.

    Rows are never updated or deleted: database triggers refuse it (see
    migration 0002), the admin is read-only and no view or API writes here.
    ``contract_id`` is a plain integer, not a foreign key, so that audit stays
    below the domain apps and an entry outlives what it describes.

    ``visibility`` says which party may read the entry on the contract's
    trail: an entry about one side's private object (a buyer's negotiation
    scenario, the buyer's renewal reminders) is that side's only. From
    ``hash_version`` 2 on it is part of the hashed content (``audit.chain``).
    """

    class Visibility(models.TextChoices):
        BOTH = "both", "Both parties"
        BUYER = "buyer", "Buyer only"
        VENDOR = "vendor", "Vendor only"
        STAFF = "staff", "Staff only"

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)
    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    contract_id = models.BigIntegerField(null=True, blank=True)
    verb = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    changes = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.BOTH)
    # 1 for entries written before visibility existed (their hash leaves it out); 3: keyed (audit.chain).
    hash_version = models.PositiveSmallIntegerField(default=1)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["contract_id", "-seq"], name="audit_contract_seq"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["verb"], name="audit_verb"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} {self.object_repr}"


class ChainHead(models.Model):
    """The single row holding the chain's tip. Appending locks it, which
    serializes writers and lets the verifier notice a removed tail."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class AuditCheckpoint(models.Model):
    """The chain's head at a moment, signed with the portal's document-signing
    key (``core.signing.sign_bytes``), so a party can check it with the public
    certificate alone, and hold it outside the database. ``verify_audit
    --anchor`` checks the chain against one; every checkpoint stored here is
    also checked on each verification. Issued hourly (``audit.tasks``)."""

    seq = models.PositiveBigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    signature = models.TextField()
    cert_fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"checkpoint #{self.seq}"


class IssuedDocument(models.Model):
    """A register of the signed PDFs the portal issued: what each is about and
    the SHA-256 of its exact bytes. The signature in the file is the proof;
    this row says which record a valid file belongs to (``audit.documents``)."""

    class Kind(models.TextChoices):
        SERVICE_REPORT = "service_report", "Service report"
        SLA_SCHEDULE = "sla_schedule", "SLA schedule"
        REVIEW_PACKET = "review_packet", "Annual review packet"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    # A plain integer like AuditEntry.contract_id: who may see the record is who may see this contract.
    contract_id = models.BigIntegerField(null=True, blank=True)
    reference = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64, unique=True)
    cert_fingerprint = models.CharField(max_length=64)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="issued_document_object")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reference}"
