from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from contracts.models import visibility_q


class DisputeQuerySet(models.QuerySet["Dispute"]):
    def visible_to(self, user: Any) -> DisputeQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def open(self) -> DisputeQuerySet:
        return self.filter(status=Dispute.Status.OPEN)


class Dispute(models.Model):
    """A contested fact walking the contract's dispute ladder."""

    class Subject(models.TextChoices):
        REPORT_LINE = "report_line", "Report line"
        INCIDENT = "incident", "Incident breach or exclusion decision"
        OUTAGE = "outage", "Outage"
        CREDIT = "credit", "Credit"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        WITHDRAWN = "withdrawn", "Withdrawn"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="disputes")
    report = models.ForeignKey(
        "reports.ServiceReport", null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    subject_type = models.CharField(max_length=12, choices=Subject.choices)
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=300)
    title = models.CharField(max_length=200)
    statement = models.TextField()
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    raised_by_side = models.CharField(max_length=6)
    raised_at = models.DateTimeField()
    stage_index = models.PositiveSmallIntegerField(default=0)
    stage_name = models.CharField(max_length=100)
    stage_deadline = models.DateTimeField(null=True, blank=True)
    reminded_for_stage = models.SmallIntegerField(default=-1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reissued_report = models.ForeignKey(
        "reports.ServiceReport", null=True, blank=True, on_delete=models.SET_NULL, related_name="resolving_disputes"
    )

    objects = DisputeQuerySet.as_manager()

    class Meta:
        db_table = "reviews_dispute"  # kept from the app it moved from
        ordering = ["stage_deadline", "pk"]
        indexes = [models.Index(fields=["contract", "status"], name="dispute_contract_status")]

    def __str__(self) -> str:
        return self.title


class DisputeStep(models.Model):
    """The immutable record of each step on the ladder."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    stage_name = models.CharField(max_length=100)
    action = models.CharField(max_length=20)
    note = models.TextField(blank=True)

    class Meta:
        db_table = "reviews_disputestep"  # kept from the app it moved from
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} at {self.stage_name}"


# -- annual reviews, board sign-off and renewal reminders ------------------------------------
