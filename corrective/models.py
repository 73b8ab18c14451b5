"""Corrective-action plans: after a breach (or on request) the responsible party files a root
cause and actions with owners, due dates and evidence; the other party accepts the plan or asks
for more; open actions past their due date escalate along the contract's contact ladder."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts.models import visibility_q


class CorrectivePlanQuerySet(models.QuerySet["CorrectivePlan"]):
    def visible_to(self, user: object) -> CorrectivePlanQuerySet:
        return self.filter(visibility_q(user, via="contract__"))


class CorrectivePlan(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Plan requested"
        SUBMITTED = "submitted", "Plan submitted"
        MORE_REQUESTED = "more", "More asked for"
        ACCEPTED = "accepted", "Accepted: actions under way"
        COMPLETED = "completed", "Completed"

    class Side(models.TextChoices):
        BUYER = "buyer", "Buyer"
        VENDOR = "vendor", "Vendor"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="corrective_plans")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="corrective_plans"
    )
    subject = models.CharField(max_length=200, help_text="What went wrong: the breach or the request.")
    responsible_side = models.CharField(max_length=6, choices=Side.choices, default=Side.VENDOR)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    plan_due_at = models.DateTimeField(help_text="When the plan is due from the responsible party.")
    root_cause = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feedback = models.TextField(blank=True, help_text="The other party's request for more, or its note on accepting.")
    completed_at = models.DateTimeField(null=True, blank=True)
    # 0: nobody yet; 1: the escalation contacts; 2: the executive sponsors (a plan not filed in time).
    escalation_level = models.PositiveSmallIntegerField(default=0)

    objects = CorrectivePlanQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["contract", "requested_at"], name="corrective_contract_requested")]
        constraints = [
            models.CheckConstraint(condition=Q(escalation_level__lte=2), name="corrective_plan_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject}"

    @property
    def reference(self) -> str:
        return f"CAP-{self.pk}"

    @property
    def other_side(self) -> str:
        return "buyer" if self.responsible_side == "vendor" else "vendor"


class CorrectiveAction(models.Model):
    plan = models.ForeignKey(CorrectivePlan, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=300)
    owner = models.CharField(max_length=120, help_text="Who carries it out (a name or a role).")
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    evidence = models.TextField(blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="corrective_action_position"),
            models.CheckConstraint(condition=Q(escalation_level__lte=2), name="corrective_action_level_range"),
        ]

    def __str__(self) -> str:
        return self.description

    def is_overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_date < today
