"""The termination right: raised by a period's report, it stays until the buyer exercises or
waives it, or until its exercise window lapses (a good period later does not clear it)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q


class TerminationRightQuerySet(models.QuerySet["TerminationRight"]):
    def open(self) -> TerminationRightQuerySet:
        return self.filter(status=TerminationRight.Status.OPEN)

    def lapse_due(self, at: datetime) -> TerminationRightQuerySet:
        """Open rights whose exercise window ended before ``at``."""
        return self.open().filter(expires_at__lt=at)


class TerminationRight(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        EXERCISED = "exercised", "Exercised"
        WAIVED = "waived", "Waived"
        LAPSED = "lapsed", "Lapsed"
        WITHDRAWN = "withdrawn", "Withdrawn (report corrected)"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="termination_rights")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    period = models.CharField(max_length=10, help_text="The period whose report raised the right.")
    report_label = models.CharField(max_length=40)
    rule = models.CharField(max_length=300, blank=True)
    raised_on = models.DateField()
    raised_at = models.DateTimeField()
    # The last instant the buyer may exercise it; null when the terms set no exercise window.
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    objects = TerminationRightQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"], condition=Q(status="open"), name="termination_right_one_open_per_contract"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="termination_right_lapse_idx")]

    def __str__(self) -> str:
        return f"Termination right on {self.contract_id} ({self.period}, {self.status})"

    def exercisable(self, at: datetime) -> bool:
        return self.status == self.Status.OPEN and (self.expires_at is None or at <= self.expires_at)
