from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    NON_PRODUCTION = "non_production", "Non-production"


TARGET_KINDS = ("acknowledge", "restore", "resolve")


LIST_ORDER_SCAN_MIN_CONTRACTS = 50


def _visible_contracts(user: Any) -> Any:
    from contracts.models import Contract

    return Contract.objects.visible_to(user).values("pk")


class IncidentQuerySet(models.QuerySet["Incident"]):
    def visible_to(self, user: Any) -> IncidentQuerySet:
        # Through the contract's own rule as a subquery (not a join), so the
        # planner can walk an incident index in list order and stop early.
        return self.filter(contract__in=_visible_contracts(user))

    def for_list(self) -> IncidentQuerySet:
        return self.select_related("contract", "contract__vendor", "contract__buyer")

    def listed_for(self, user: Any, *, visible_contracts: int | None = None) -> IncidentQuerySet:
        """The visible incidents for a list page, planned for its size
        (``visible_contracts``: how many contracts the user sees, when the
        caller already knows; otherwise one COUNT decides).

        A person who sees many contracts (a buyer with a large portfolio)
        gets a plan that walks the (-opened_at, -id) index and stops after one
        page; the contract filter is wrapped in a unary plus so SQLite does not
        prefer the per-contract index and sort everything. Someone who sees a
        few contracts keeps the per-contract index, which is faster for them."""
        from django.db.models import BigIntegerField, Func

        from contracts.models import Contract

        # Contracts and parties come by one prefetch, not a join, so the
        # planner is free to drive the query from the incident index.
        contracts = Contract.objects.select_related("vendor", "buyer")
        qs = self.prefetch_related(models.Prefetch("contract", queryset=contracts)).select_related("assignee")
        if visible_contracts is None:
            visible_contracts = Contract.objects.visible_to(user).count()
        if visible_contracts <= LIST_ORDER_SCAN_MIN_CONTRACTS:
            return qs.filter(contract__in=_visible_contracts(user))
        plus = Func(F("contract_id"), template="+%(expressions)s", output_field=BigIntegerField())
        return qs.alias(_contract=plus).filter(_contract__in=_visible_contracts(user))

    def unfinished(self) -> IncidentQuerySet:
        return self.exclude(status__in=Incident.FINISHED)

    def reportable(self) -> IncidentQuerySet:
        """What a report, packet or replay looks at: everything but incidents
        the buyer cancelled as opened by mistake."""
        return self.exclude(status=Incident.Status.CANCELLED)

    def breached(self, now: datetime | None = None) -> IncidentQuerySet:
        """Breached already recorded, or a running target whose due time has
        passed since the last recompute (the watcher catches up every minute).
        An incident excluded by an accepted claim is not breached for SLA
        purposes: its stored breach flags stay as history (``breached_history``)."""
        now = now or timezone.now()
        return (
            self.filter(Q(breached=True) | Q(next_due_at__lt=now))
            .exclude(status=Incident.Status.CANCELLED)
            .filter(excluded=False)
        )

    def breached_recorded(self) -> IncidentQuerySet:
        """The part of ``breached()`` the watcher or a service has written down:
        served from the ``incident_breached_window`` partial index alone (the
        dashboards' windowed breach counts read no table row)."""
        return self.filter(breached=True, excluded=False).exclude(status=Incident.Status.CANCELLED)

    def breached_unrecorded(self, now: datetime | None = None) -> IncidentQuerySet:
        """The rest of ``breached()``: a running target overdue since the last
        recompute (a handful at any time, from the due-time index)."""
        now = now or timezone.now()
        return self.filter(breached=False, next_due_at__lt=now, excluded=False).exclude(
            status=Incident.Status.CANCELLED
        )

    def breached_history(self) -> IncidentQuerySet:
        """Every incident that missed a target, excluded or not: what happened, not what counts."""
        return self.filter(breached=True)

    def due_within(self, delta: Any, now: datetime | None = None) -> IncidentQuerySet:
        now = now or timezone.now()
        return self.filter(next_due_at__gte=now, next_due_at__lte=now + delta)

    def at_risk(self, now: datetime | None = None) -> IncidentQuerySet:
        """A running target has used its risk share (see RISK_SHARE) but is not yet breached."""
        now = now or timezone.now()
        # next_risk_at / next_due_at only cover running, unbreached targets, so
        # an incident with one target already breached can still be at risk on another.
        return self.filter(next_risk_at__lte=now, next_due_at__gte=now, excluded=False)

    def counted(self) -> IncidentQuerySet:
        """What counts against the SLA: not excluded by an accepted claim."""
        return self.filter(excluded=False)


class Incident(models.Model):
    """An incident on one contract. Times are set by the server; the SLA
    due times and breach flags are stored on the row and recomputed by
    incidents.sla.recompute on every event, so lists filter by index."""

    RISK_SHARE = 0.75

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESTORED = "restored", "Restored (workaround)"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"
        # Opened by mistake and withdrawn by the buyer: no clock runs, and it
        # counts in no report (the timeline and audit trail keep it).
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)

    class Workaround(models.TextChoices):
        NONE = "", "None"
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="incidents")
    original_contract = models.ForeignKey(
        "contracts.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sla_version = models.ForeignKey("contracts.SLAVersion", on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    environment = models.CharField(max_length=16, choices=Environment.choices)
    component = models.CharField(max_length=100)
    out_of_scope = models.BooleanField(default=False)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The person working the incident (either party's, assigned by their own side).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_incidents"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    workaround = models.CharField(max_length=10, choices=Workaround.choices, default=Workaround.NONE, blank=True)
    workaround_text = models.TextField(blank=True)
    workaround_temporary = models.BooleanField(default=False)
    workaround_proposed_at = models.DateTimeField(null=True, blank=True)
    workaround_accepted_at = models.DateTimeField(null=True, blank=True)
    workaround_expires_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    paused_since = models.DateTimeField(null=True, blank=True)

    # Stored SLA state (recomputed by incidents.sla.recompute).
    acknowledge_due_at = models.DateTimeField(null=True, blank=True)
    restore_due_at = models.DateTimeField(null=True, blank=True)
    resolve_due_at = models.DateTimeField(null=True, blank=True)
    acknowledge_met_at = models.DateTimeField(null=True, blank=True)
    restore_met_at = models.DateTimeField(null=True, blank=True)
    resolve_met_at = models.DateTimeField(null=True, blank=True)
    acknowledge_elapsed = models.DurationField(null=True, blank=True)
    restore_elapsed = models.DurationField(null=True, blank=True)
    resolve_elapsed = models.DurationField(null=True, blank=True)
    acknowledge_breached = models.BooleanField(default=False)
    restore_breached = models.BooleanField(default=False)
    resolve_breached = models.BooleanField(default=False)
    # Optional targets (absent from the terms: all empty). Investigate: the
    # first customer-visible update after acknowledging. Cadence: the running
    # gap's due time and the gaps longer than the interval (incidents.cadence).
    investigate_due_at = models.DateTimeField(null=True, blank=True)
    investigate_met_at = models.DateTimeField(null=True, blank=True)
    investigate_elapsed = models.DurationField(null=True, blank=True)
    investigate_breached = models.BooleanField(default=False)
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    update_misses = models.PositiveIntegerField(default=0)
    breached = models.BooleanField(default=False)
    next_due_at = models.DateTimeField(null=True, blank=True)
    next_risk_at = models.DateTimeField(null=True, blank=True)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    clocks_computed_at = models.DateTimeField(null=True, blank=True)

    excluded = models.BooleanField(default=False)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.TextField(blank=True)
    imported = models.BooleanField(default=False)
    import_source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="incident_satisfaction_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["contract", "-opened_at"], name="incident_contract_opened"),
            models.Index(fields=["status", "next_due_at"], name="incident_status_due"),
            models.Index(fields=["breached", "-opened_at"], name="incident_breached"),
            models.Index(fields=["next_due_at"], name="incident_next_due"),
            models.Index(fields=["next_risk_at"], name="incident_next_risk"),
            models.Index(fields=["next_escalation_at"], name="incident_next_escalation"),
            models.Index(fields=["severity", "-opened_at"], name="incident_severity_opened"),
            # One contract's incidents of one severity (the close's critical incidents per period):
            # without it PostgreSQL intersects the contract index with every contract's criticals
            # (3.9 ms of a 13 ms snapshot at 2M incidents).
            models.Index(fields=["contract", "severity", "opened_at"], name="incident_contract_severity"),
            # The list's default order: lets a filtered page stop after 25 rows.
            models.Index(fields=["-opened_at", "-id"], name="incident_opened_order"),
            # "My queue": a person's assigned incidents in list order.
            models.Index(fields=["assignee", "-opened_at"], name="incident_assignee_opened"),
            # The dashboards' time-driven counts per contract (at risk, overdue
            # before the watcher records it) read only running targets.
            models.Index(
                fields=["contract", "next_due_at"],
                condition=Q(next_due_at__isnull=False),
                name="incident_contract_due",
            ),
            # The windowed breach counts (``breached_recorded``) per contract and
            # severity: an index-only scan of the counted breaches, whatever the
            # table's size. Severity is a key column, not an INCLUDE one: SQLite
            # has no INCLUDE (Django warns, models.W040), and a trailing key
            # column serves the scan as well.
            models.Index(
                fields=["contract", "opened_at", "severity"],
                condition=Q(breached=True, excluded=False) & ~Q(status="cancelled"),
                name="incident_breached_window",
            ),
            models.Index(
                fields=["contract", "next_risk_at"],
                condition=Q(next_risk_at__isnull=False),
                name="incident_contract_risk",
            ),
        ]

    def __str__(self) -> str:
        return f"INC-{self.pk} {self.title}"

    @property
    def reference(self) -> str:
        return f"INC-{self.pk}"

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    def target_fields(self, kind: str) -> dict[str, Any]:
        return {
            "due_at": getattr(self, f"{kind}_due_at"),
            "met_at": getattr(self, f"{kind}_met_at"),
            "elapsed": getattr(self, f"{kind}_elapsed"),
            "breached": getattr(self, f"{kind}_breached"),
        }


class IncidentCounts(models.Model):
    """What the dashboards count per contract, kept by the incident services
    in the same transaction as the change (``incidents.counters``), so a
    dashboard sums one row per visible contract instead of counting
    incidents. ``recount_incident_counters`` rebuilds them from the rows.

    Only what a service changes is counted here; what time alone changes
    (a target at risk, a due time passed before the watcher records the
    breach) is counted from the running targets' indexes at read time."""

    contract = models.OneToOneField(
        "contracts.Contract", on_delete=models.CASCADE, primary_key=True, related_name="incident_counts"
    )
    # Unfinished (not resolved, closed or cancelled).
    open = models.IntegerField(default=0)
    # Unfinished, a breach recorded, not excluded by an accepted claim.
    breached_open = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "incident counts"

    def __str__(self) -> str:
        return f"counts of contract {self.contract_id}"


class IncidentEvent(models.Model):
    """One immutable entry on an incident's timeline."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        WORKAROUND_PROPOSED = "workaround_proposed", "Workaround proposed"
        WORKAROUND_ACCEPTED = "workaround_accepted", "Workaround accepted"
        WORKAROUND_REJECTED = "workaround_rejected", "Workaround rejected"
        WORKAROUND_EXPIRED = "workaround_expired", "Workaround expired"
        RESOLVED = "resolved", "Resolved"
        CONFIRMED = "confirmed", "Resolution confirmed"
        REOPENED = "reopened", "Reopened"
        PAUSED = "paused", "Clock paused"
        RESUMED = "resumed", "Clock resumed"
        SEVERITY_CHANGED = "severity_changed", "Severity changed"
        SEVERITY_PROPOSED = "severity_proposed", "Severity change proposed"
        SEVERITY_REJECTED = "severity_rejected", "Severity change rejected"
        COMMENT = "comment", "Comment"
        ATTACHMENT = "attachment", "Attachment"
        CLAIM_MADE = "claim_made", "Exclusion claimed"
        CLAIM_ACCEPTED = "claim_accepted", "Exclusion accepted"
        CLAIM_REJECTED = "claim_rejected", "Exclusion rejected"
        ATTRIBUTED = "attributed", "Fault attributed"
        # The buyer's fault isolation found the cause on another supplier's
        # contract: this record stays with its vendor, its clocks stop.
        ATTRIBUTED_AWAY = "attributed_away", "Attributed to another supplier"
        LINKED = "linked", "Linked to another contract"
        ESCALATED = "escalated", "Escalated"
        BREACHED = "breached", "Target breached"
        IMPORTED = "imported", "Imported"
        PLAYBOOK_STEP = "playbook_step", "Playbook step done"
        ASSIGNED = "assigned", "Assigned"
        CANCELLED = "cancelled", "Cancelled"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="incident_event_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def names_another_contract(self) -> bool:
        """An attribution or link written before fair attribution: its message
        and data name the other contract, which only the buyer may read."""
        return self.kind in (self.Kind.ATTRIBUTED, self.Kind.LINKED) and bool(self.data)

    def as_read_by_a_vendor(self) -> IncidentEvent:
        """This event as a vendor may read it (the other contract left out)."""
        if not self.names_another_contract:
            return self
        neutral = "Attributed to another supplier's contract by the buyer after fault isolation."
        if self.kind == self.Kind.LINKED:
            neutral = "Linked to another supplier's contract by the buyer."
        return IncidentEvent(
            pk=self.pk,
            incident_id=self.incident_id,
            at=self.at,
            actor_id=self.actor_id,
            actor_label=self.actor_label,
            kind=self.kind,
            message=neutral,
            data={},
        )


class IncidentPause(models.Model):
    """Waiting for the customer: stops the clocks the terms say it stops."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident"], condition=Q(ended_at__isnull=True), name="one_open_pause"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")), name="pause_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"pause {self.started_at:%Y-%m-%d %H:%M}"


class ExclusionClaim(models.Model):
    class Kind(models.TextChoices):
        THIRD_PARTY = "third_party", "Third-party dependency"
        FORCE_MAJEURE = "force_majeure", "Force majeure"
        CUSTOMER_CAUSED = "customer_caused", "Customer-caused"
        MAINTENANCE = "maintenance", "Scheduled maintenance"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    claimed_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident"], condition=Q(status="pending"), name="one_pending_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} claim ({self.get_status_display()})"


class SeverityChange(models.Model):
    """A change of an incident's severity, as proposed and as decided.

    The severity sets the targets and the breach credits, so the party that
    owes the remedy (the vendor) cannot lower it alone: its proposal to lower
    stays PENDING until the buyer's side accepts or rejects it (unless the
    terms say ``severity_changes: either_party``). A raise, or a change by the
    buyer's side, is APPLIED at once and recorded here too, so the history of
    an incident's severity is one list."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending the buyer's decision"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        APPLIED = "applied", "Applied at once"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="severity_changes")
    from_severity = models.CharField(max_length=10, choices=Severity.choices)
    to_severity = models.CharField(max_length=10, choices=Severity.choices)
    reason = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"], condition=Q(status="pending"), name="one_pending_severity_change"
            ),
            models.CheckConstraint(
                condition=~Q(from_severity=F("to_severity")), name="severity_change_changes_something"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_severity} → {self.to_severity} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class IncidentLink(models.Model):
    """Fault isolation pointed (partly) at another vendor's contract.

    The buyer's own record: shown to the buyer and staff only, never to
    either vendor (neither learns the other's contract or name). With
    ``attributed_incident`` the buyer attributed the fault there, and that
    incident is the new vendor's own record, opened from the buyer's facts."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="linked_incidents")
    reason = models.TextField()
    attributed_incident = models.OneToOneField(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="attributed_from"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "contract"], name="incident_link_unique")]

    def __str__(self) -> str:
        return f"{self.incident} -> {self.contract}"


def attachment_path(instance: IncidentAttachment, filename: str) -> str:
    return f"incidents/{instance.incident_id}/{filename}"


class IncidentAttachment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.name


class EscalationFired(models.Model):
    """One row per incident, target and ladder level: the unique constraint
    is what makes an escalation fire exactly once, however often the watcher runs."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="escalations")
    target = models.CharField(max_length=12)
    level = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=16)
    threshold_at = models.DateTimeField()
    fired_at = models.DateTimeField()

    class Meta:
        ordering = ["fired_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "target", "level"], name="escalation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.incident} {self.target} L{self.level}"


# --- availability: monitoring, outages, maintenance, change notices -----------


class IncidentPlaybookTick(models.Model):
    """A step of the contract's incident-response playbook ticked off on one
    incident. A step is its severity and order in the playbook of the
    incident's SLA version; what it said is copied so the record stands even
    if a later amendment rewrites the playbook."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="playbook_ticks")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    step_order = models.PositiveSmallIntegerField()
    party = models.CharField(max_length=6)
    role = models.CharField(max_length=24)
    action = models.TextField()
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["incident", "severity", "step_order"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "severity", "step_order"], name="playbook_step_ticked_once"),
        ]

    def __str__(self) -> str:
        return f"{self.incident} step {self.step_order} ({self.severity})"


class SavedFilter(models.Model):
    """A person's named filter of the incident list (the query string they
    saved), offered as a one-click view on the list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_incident_filters")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_unique_name")]

    def __str__(self) -> str:
        return self.name
