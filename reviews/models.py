from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts.models import visibility_q


class AnnualReviewQuerySet(models.QuerySet["AnnualReview"]):
    def visible_to(self, user: Any) -> AnnualReviewQuerySet:
        return self.filter(visibility_q(user, via="contract__"))


class AnnualReview(models.Model):
    """The governance board's yearly look at a contract: a packet of the
    year's evidence, proposed SLA amendments, and the board's signatures.

    preparing -> in_review -> awaiting_signatures -> signed; a rejection
    returns it to preparing; the board may close it as rejected (final)."""

    class Status(models.TextChoices):
        PREPARING = "preparing", "Preparing"
        IN_REVIEW = "in_review", "In review"
        AWAITING_SIGNATURES = "awaiting_signatures", "Awaiting signatures"
        SIGNED = "signed", "Signed"
        REJECTED = "rejected", "Closed without agreement"

    class Recommendation(models.TextChoices):
        RENEW = "renew", "Renew"
        RENEGOTIATE = "renegotiate", "Renegotiate"
        TERMINATE = "terminate", "Terminate"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="annual_reviews")
    year = models.PositiveSmallIntegerField(help_text="The year of the anniversary the review is held for.")
    anniversary = models.DateField(help_text="The contract anniversary the review is scheduled from.")
    scheduled_for = models.DateField(help_text="When the board meets at the latest (the anniversary).")
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREPARING)
    agenda = models.TextField(blank=True)
    meeting_date = models.DateTimeField(null=True, blank=True)
    minutes = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    recommendation = models.CharField(max_length=12, choices=Recommendation.choices, blank=True)
    recommendation_reasons = models.TextField(blank=True)
    rejected_reason = models.TextField(blank=True, help_text="Why the board closed the review without agreement.")
    signed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AnnualReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-anniversary", "contract_id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "anniversary"], name="annual_review_once"),
        ]
        indexes = [models.Index(fields=["status", "anniversary"], name="annual_review_status")]

    def __str__(self) -> str:
        return f"Annual review {self.year} · {self.contract.reference}"

    @property
    def label(self) -> str:
        return f"Annual review {self.year}"

    def authorizes_activation(self, version: Any) -> bool:
        """The board's sign-off is the authority to put this review's amended
        SLA version in force (``contracts.services.sla_version_activate``)."""
        return (
            self.status == self.Status.SIGNED
            and version.contract_id == self.contract_id
            and self.amendments.filter(sla_version_id=version.pk, status=Amendment.Status.PROPOSED).exists()
        )


class ReviewSignatory(models.Model):
    """A board member asked to sign; the required ones must all approve."""

    review = models.ForeignKey(AnnualReview, on_delete=models.CASCADE, related_name="signatories")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=80, help_text="e.g. Chair, Buyer representative")
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["-required", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="review_signatory_once")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


def packet_pdf_path(instance: ReviewPacket, filename: str) -> str:
    return f"reviews/{instance.review.contract_id}/{instance.review_id}/v{instance.version}-{filename}"


class ReviewPacket(models.Model):
    """One rendering of the review packet. Frozen packets are what the board
    signs: never regenerated, identified by the SHA-256 of the PDF."""

    review = models.ForeignKey(AnnualReview, on_delete=models.CASCADE, related_name="packets")
    version = models.PositiveIntegerField()
    frozen = models.BooleanField(default=False)
    frozen_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(upload_to=packet_pdf_path)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the PDF file.")
    data = models.JSONField(help_text="The figures and amendments the PDF shows.")
    data_checksum = models.CharField(max_length=64)
    amendments_fingerprint = models.CharField(max_length=64)
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["review", "-version"]
        constraints = [models.UniqueConstraint(fields=["review", "version"], name="review_packet_version_once")]

    def __str__(self) -> str:
        return f"Packet v{self.version}{' (frozen)' if self.frozen else ''}"


class Amendment(models.Model):
    """A proposed SLA change: a draft SLA version (contracts' amendment) with
    the reason for it, tied to the year's evidence."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        ACTIVATED = "activated", "Activated"

    review = models.ForeignKey(AnnualReview, on_delete=models.CASCADE, related_name="amendments")
    sla_version = models.ForeignKey("contracts.SLAVersion", on_delete=models.PROTECT, related_name="review_amendments")
    title = models.CharField(max_length=200)
    rationale = models.TextField()
    evidence = models.JSONField(default=list, blank=True, help_text="References to the year's evidence.")
    effective_from = models.DateTimeField(help_text="When the amended terms take effect once signed.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["review"], condition=Q(status="proposed"), name="amendment_one_proposed_per_review"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReviewComment(models.Model):
    review = models.ForeignKey(AnnualReview, on_delete=models.CASCADE, related_name="comments")
    amendment = models.ForeignKey(Amendment, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.review}"


class Signature(models.Model):
    """A signatory's approval or rejection of one frozen packet. Never edited
    or deleted: a later change to the packet or the amendments marks it void.
    The unique constraint makes a double submission count once."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"

    review = models.ForeignKey(AnnualReview, on_delete=models.PROTECT, related_name="signatures")
    packet = models.ForeignKey(ReviewPacket, on_delete=models.PROTECT, related_name="signatures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=80)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    packet_checksum = models.CharField(max_length=64)
    # How the signatory proved who they were when signing (shown on the signed packet's signature page).
    auth_method = models.CharField(max_length=40, default="password")
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "user", "packet"], name="signature_once_per_packet"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_decision_display().lower()} packet v{self.packet_id}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


def reminder_pdf_path(instance: RenewalReminder, filename: str) -> str:
    return f"renewals/{instance.contract_id}/{instance.term_end:%Y%m%d}-{instance.milestone}d-{filename}"


class RenewalReminderQuerySet(models.QuerySet["RenewalReminder"]):
    def visible_to(self, user: Any) -> RenewalReminderQuerySet:
        return self.filter(visibility_q(user, via="contract__"))


class RenewalReminder(models.Model):
    """One reminder per contract, term and milestone (days before the notice
    deadline). The row is claimed before anything is sent, under the unique
    constraint, so a second run of the task sends nothing twice."""

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="renewal_reminders")
    term_end = models.DateField()
    notice_deadline = models.DateField()
    milestone = models.PositiveSmallIntegerField(help_text="Days before the notice deadline.")
    days_left = models.IntegerField(help_text="Days to the deadline when it went out.")
    superseded = models.BooleanField(
        default=False, help_text="Missed while the portal was down; a later milestone's reminder went out instead."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    pdf = models.FileField(upload_to=reminder_pdf_path, null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RenewalReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "term_end", "milestone"], name="renewal_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.milestone} days before {self.notice_deadline}"


# -- the negotiation simulator: saved scenarios ---------------------------------------------------
