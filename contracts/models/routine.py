"""The working routine: onboarding templates and items, training resources and feedback."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from contracts.models.contracts import Contract, visibility_q


class Party(models.TextChoices):
    BUYER = "buyer", "Buyer"
    VENDOR = "vendor", "Vendor"


EVIDENCE_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
TEXT_TYPES = {".txt": "text/plain", ".md": "text/markdown"}
ROUTINE_FILE_TYPES = {**EVIDENCE_TYPES, **TEXT_TYPES}


class OnboardingTemplate(models.Model):
    """The checklist a contract's onboarding plan is created from on activation.
    Staff edit templates; exactly one is the default."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_template"),
        ]

    def __str__(self) -> str:
        return self.name


class OnboardingTemplateItem(models.Model):
    template = models.ForeignKey(OnboardingTemplate, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, help_text="What done looks like; shown on the plan.")
    owner_party = models.CharField(max_length=6, choices=Party.choices)
    due_offset_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(0)], help_text="Days after activation."
    )
    requires_resource = models.BooleanField(
        default=False, help_text="Done only once everyone in the audience has read the linked training resource."
    )

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.title


def routine_file_path(instance: Any, filename: str) -> str:
    return f"contracts/{instance.contract_id}/routine/{filename}"


class TrainingResourceQuerySet(models.QuerySet["TrainingResource"]):
    def visible_to(self, user: Any) -> TrainingResourceQuerySet:
        return self.filter(visibility_q(user, via="contract__"))


class TrainingResource(models.Model):
    """A document or link people of the contract must read (runbooks, vendor
    training, the SLA schedule). ``roles`` empty: everyone in the audience."""

    class Audience(models.TextChoices):
        BUYER = "buyer", "Buyer"
        VENDOR = "vendor", "Vendor"
        BOTH = "both", "Both parties"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="training_resources")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="http(s) address or a path on this site.")
    file = models.FileField(upload_to=routine_file_path, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    audience = models.CharField(max_length=6, choices=Audience.choices, default=Audience.BOTH)
    roles = models.JSONField(default=list, blank=True, help_text="Membership or contact roles; empty: everyone.")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    objects = TrainingResourceQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "added_at", "id"]

    def __str__(self) -> str:
        return self.title


class ResourceConfirmation(models.Model):
    """A person confirms they have read a training resource."""

    resource = models.ForeignKey(TrainingResource, on_delete=models.CASCADE, related_name="confirmations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["resource", "user"], name="resource_read_once")]

    def __str__(self) -> str:
        return f"{self.user} read {self.resource}"


class OnboardingItemQuerySet(models.QuerySet["OnboardingItem"]):
    def visible_to(self, user: Any) -> OnboardingItemQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def open(self) -> OnboardingItemQuerySet:
        return self.filter(status=OnboardingItem.Status.OPEN)

    def overdue(self, today: date | None = None) -> OnboardingItemQuerySet:
        """Open items whose due date has passed (the dashboard's list)."""
        from django.utils import timezone

        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)

    def for_list(self) -> OnboardingItemQuerySet:
        return self.select_related("contract", "owner", "done_by", "resource")


class OnboardingItem(models.Model):
    """One item of a contract's onboarding plan."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        WAIVED = "waived", "Waived"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="onboarding_items")
    order = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    owner_party = models.CharField(max_length=6, choices=Party.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="onboarding_items"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    waive_reason = models.TextField(blank=True)
    resource = models.ForeignKey(
        TrainingResource, null=True, blank=True, on_delete=models.SET_NULL, related_name="required_by"
    )
    evidence_note = models.TextField(blank=True)
    evidence_link = models.CharField(max_length=500, blank=True)
    evidence_file = models.FileField(upload_to=routine_file_path, blank=True)
    evidence_file_name = models.CharField(max_length=200, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OnboardingItemQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "due_date", "order", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="onboarding_status_due"),
            models.Index(fields=["contract", "status"], name="onboarding_contract_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: date | None = None) -> bool:
        from django.utils import timezone

        return self.status == self.Status.OPEN and self.due_date < (today or timezone.localdate())

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_note or self.evidence_link or self.evidence_file)


class FeedbackItemQuerySet(models.QuerySet["FeedbackItem"]):
    def visible_to(self, user: Any) -> FeedbackItemQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def unresolved(self) -> FeedbackItemQuerySet:
        return self.exclude(status=FeedbackItem.Status.CLOSED)

    def for_annual_review(self, *, contract: Contract, start: datetime, end: datetime) -> FeedbackItemQuerySet:
        """What the annual review packet lists: every item still open or
        responded (whenever it was logged), and every item logged in the year."""
        return (
            self.filter(contract=contract)
            .filter(
                Q(status__in=[FeedbackItem.Status.OPEN, FeedbackItem.Status.RESPONDED])
                | Q(created_at__gte=start, created_at__lt=end)
            )
            .select_related("raised_by", "responded_by", "closed_by")
            .order_by("created_at", "id")
        )


class FeedbackItem(models.Model):
    """An observation from real use, for the next review of the agreement.
    Evidence points at incidents, reports or disputes as ``{"type", "id"}``
    pairs (contracts sits below the apps that own those)."""

    class Category(models.TextChoices):
        PROCESS = "process", "A process that did not work"
        TARGET = "target", "A target that proved unrealistic"
        CONTACT = "contact", "A missing or wrong contact"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESPONDED = "responded", "Responded"
        CLOSED = "closed", "Closed"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="feedback_items")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    side = models.CharField(max_length=6, choices=Party.choices)
    category = models.CharField(max_length=8, choices=Category.choices)
    text = models.TextField()
    evidence = models.JSONField(default=list, blank=True)
    proposed_action = models.TextField(blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    objects = FeedbackItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contract", "status", "created_at"], name="feedback_contract_status")]

    def __str__(self) -> str:
        return f"Feedback #{self.pk} ({self.get_category_display()})"

    @property
    def other_side(self) -> str:
        return Party.VENDOR if self.side == Party.BUYER else Party.BUYER
