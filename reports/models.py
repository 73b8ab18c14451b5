from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KT

from contracts.models import visibility_q


class PeriodClose(models.Model):
    """One row per contract and measurement period: the durable state of its
    close, so a worker dying mid-task loses nothing and a reconciler can
    re-enqueue what is stuck. The unique constraint is what stops duplicates."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPUTING = "computing", "Computing"
        RENDERING = "rendering", "Rendering PDF"
        STORED = "stored", "Stored"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (staff notified)"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="period_closes")
    period = models.CharField(max_length=7, help_text="YYYY-MM (month) or YYYY-Qn (quarter)")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The audit sequence number up to which changes to this period's inputs were looked at
    # (reports/revisions.py): changes after it may call for a new revision.
    inputs_seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "reviews_periodclose"  # kept from the app it moved from
        ordering = ["-period_start", "contract_id"]
        constraints = [models.UniqueConstraint(fields=["contract", "period"], name="period_close_once")]
        indexes = [models.Index(fields=["state", "claimed_at"], name="period_close_state")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.period} ({self.state})"


class ServiceReportQuerySet(models.QuerySet["ServiceReport"]):
    def visible_to(self, user: Any) -> ServiceReportQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def current(self) -> ServiceReportQuerySet:
        """The latest revision of each period (not superseded)."""
        return self.filter(superseded_by__isnull=True)

    def figures(self, contract_id: int, labels: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The headline availability of the current report of each period in ``labels`` (one query):
        the figure as the report shows it, the indexed column, met and the monitoring coverage."""
        # As text (KT): decoded as JSON, "99.950" would come back as the float 99.95.
        rows = (
            self.current()
            .filter(contract_id=contract_id, period__in=list(labels))
            .values(
                "period",
                "availability",
                met=F("availability_met"),
                value=KT("snapshot__availability__value"),
                coverage=KT("snapshot__availability__coverage"),
            )
        )
        return {str(r["period"]): {k: v for k, v in r.items() if k != "period"} for r in rows}


def report_pdf_path(instance: ServiceReport, filename: str) -> str:
    return f"reports/{instance.contract_id}/{instance.period}/r{instance.revision}-{filename}"


class ServiceReport(models.Model):
    """A frozen period report. Never edited: a reconciliation issues a new
    revision that supersedes this one, which stays readable."""

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="service_reports")
    period = models.CharField(max_length=7)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    revision = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    what_changed = models.JSONField(default=list, blank=True)
    snapshot = models.JSONField()
    checksum = models.CharField(max_length=64)
    pdf = models.FileField(upload_to=report_pdf_path, null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    # Headline figures copied out of the snapshot so lists filter and sort by index.
    availability = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    availability_met = models.BooleanField(null=True)
    breaches = models.PositiveIntegerField(default=0)
    credit_total = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceReportQuerySet.as_manager()

    class Meta:
        db_table = "reviews_servicereport"  # kept from the app it moved from
        ordering = ["-period_start", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "period", "revision"], name="report_revision_once"),
        ]
        indexes = [models.Index(fields=["contract", "-period_start"], name="report_contract_period")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.period} r{self.revision}"


class CreditQuerySet(models.QuerySet["Credit"]):
    def visible_to(self, user: Any) -> CreditQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def owed(self, at: Any) -> CreditQuerySet:
        """Still owed to the buyer at ``at``: claimed or approved, or calculated while its claim window
        is open. A calculated credit past its deadline was never claimed, so it is not owed."""
        S = Credit.Status
        return self.filter(Q(status__in=[S.CLAIMED, S.APPROVED]) | Q(status=S.CALCULATED, claim_deadline__gte=at))


class Credit(models.Model):
    """A service-credit ledger entry: calculated -> claimed (within the claim
    window) -> approved -> applied (invoice reference), or disputed / void."""

    class Kind(models.TextChoices):
        AVAILABILITY = "availability", "Availability"
        INCIDENT_BREACH = "incident_breach", "Incident breach"
        EVENT_BREACH = "event_breach", "Per-event breach"

    class Status(models.TextChoices):
        CALCULATED = "calculated", "Calculated"
        CLAIMED = "claimed", "Claimed"
        APPROVED = "approved", "Approved"
        APPLIED = "applied", "Applied"
        DISPUTED = "disputed", "Disputed"
        VOID = "void", "Void (superseded)"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="credits")
    report = models.ForeignKey(ServiceReport, on_delete=models.PROTECT, related_name="credits")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    ref = models.CharField(max_length=60, blank=True)
    description = models.CharField(max_length=300)
    percent = models.DecimalField(max_digits=7, decimal_places=3)
    amount = models.DecimalField(max_digits=14, decimal_places=3)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CALCULATED)
    claim_deadline = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    invoice_reference = models.CharField(max_length=100, blank=True)

    objects = CreditQuerySet.as_manager()

    class Meta:
        db_table = "reviews_credit"  # kept from the app it moved from
        ordering = ["-report__period_start", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="credit_not_negative")]
        indexes = [models.Index(fields=["contract", "status"], name="credit_contract_status")]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount} {self.currency}"


class Remedy(models.Model):
    """A remedy besides a service credit, owed under the terms' ``remedies`` list when a closed
    period's report finds its trigger: owed -> offered (the vendor says how it delivers) ->
    accepted (the buyer) -> delivered (the vendor, with evidence); either party may mark it
    disputed (with a reason) until it is delivered."""

    class Kind(models.TextChoices):
        SERVICE_EXPANSION = "service_expansion", "Service expansion"
        ALTERNATIVE_CHANNEL = "alternative_channel", "Alternative support channel"
        EXECUTIVE_ESCALATION = "executive_escalation", "Executive escalation"
        EXTRA_REVIEW = "extra_review", "Extra service review"
        TERMINATION_RIGHT = "termination_right", "Termination right"

    class Status(models.TextChoices):
        OWED = "owed", "Owed"
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        DELIVERED = "delivered", "Delivered"
        DISPUTED = "disputed", "Disputed"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="remedies")
    report = models.ForeignKey(ServiceReport, on_delete=models.PROTECT, related_name="remedies")
    period = models.CharField(max_length=10)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    trigger = models.CharField(max_length=24)
    ref = models.CharField(max_length=80)
    description = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OWED)
    offer = models.TextField(blank=True, help_text="How the vendor delivers it.")
    evidence = models.TextField(blank=True)
    dispute_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period", "kind", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "period", "ref"], name="remedy_once_per_period_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"
