from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts.models import Contract


class MonitoringSourceQuerySet(models.QuerySet["MonitoringSource"]):
    def counting(self) -> MonitoringSourceQuerySet:
        """Sources whose data counts towards availability: accepted by the other
        party (or registered by staff, the neutral operator, before consent existed)."""
        return self.filter(counts_q(""))

    def visible_to(self, user: Any) -> MonitoringSourceQuerySet:
        return self.filter(contract__in=Contract.objects.visible_to(user).values("pk"))


def counts_q(prefix: str) -> Q:
    """The one rule for "this source's data counts", from a related model
    (``prefix`` "monitoring_source__" or "source__")."""
    return Q(**{f"{prefix}accepted_at__isnull": False}) | Q(
        **{f"{prefix}registered_side": MonitoringSource.Side.STAFF, f"{prefix}rejected_at__isnull": True}
    )


class MonitoringSource(models.Model):
    """An independent monitor posting to Covenant with its own token.
    Only the token's SHA-256 is stored; the token is shown once.

    Either party registers a source; its data counts only once the other party
    accepts it (``status``). Staff, the neutral operator, register sources
    accepted at once."""

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager webhook"
        PROBE = "probe", "Probe results (JSON or CSV)"
        STATUSPAGE = "statuspage", "Atlassian Statuspage (vendor-reported)"
        PAGERDUTY = "pagerduty", "PagerDuty v3 webhook"
        OPSGENIE = "opsgenie", "Opsgenie alert webhook"
        JIRA = "jira", "Jira Service Management ticket webhook"
        ZENDESK = "zendesk", "Zendesk ticket webhook"
        SERVICENOW = "servicenow", "ServiceNow incident webhook"

    class Side(models.TextChoices):
        BUYER = "buyer", "Buyer"
        VENDOR = "vendor", "Vendor"
        STAFF = "staff", "Staff"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Awaiting acceptance"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="monitoring_sources")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=8)
    interval_seconds = models.PositiveIntegerField(
        default=60, help_text="Expected probe interval; longer gaps are 'no data'."
    )
    component_label = models.CharField(
        max_length=60, default="component", help_text="Alert label naming the component."
    )
    # Upstream component / service / tag (id or name) -> the contract's component.
    component_map = models.JSONField(default=dict, blank=True)
    pull_url = models.URLField(blank=True, help_text="Statuspage JSON to fetch every 5 minutes (optional).")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_side = models.CharField(max_length=6, choices=Side.choices, default=Side.STAFF)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = models.TextField(blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="The token's last use (to the minute).")
    silent_since = models.DateTimeField(null=True, blank=True, help_text="Set while a staleness alert is open.")
    truncated_alerts = models.PositiveIntegerField(default=0, help_text="Alerts Alertmanager left out, in total.")
    last_truncated_at = models.DateTimeField(null=True, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    last_pull_error = models.CharField(max_length=300, blank=True)
    # Ticketing sources: the ticket's priority -> severity, status -> lifecycle action,
    # default environment and component (empty: the product's defaults, availability.ingest.tickets).
    ticket_map = models.JSONField(default=dict, blank=True)

    objects = MonitoringSourceQuerySet.as_manager()

    class Meta:
        db_table = "incidents_monitoringsource"  # kept from the app it moved from
        ordering = ["contract", "name"]
        indexes = [models.Index(fields=["last_used_at"], name="source_last_used")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.rejected_at is not None:
            return self.Status.REJECTED
        if self.accepted_at is not None or self.registered_side == self.Side.STAFF:
            return self.Status.ACCEPTED
        return self.Status.PROPOSED

    @property
    def counts(self) -> bool:
        """Its data (past and future) counts towards availability."""
        return self.rejected_at is None and (self.accepted_at is not None or self.registered_side == self.Side.STAFF)

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)


class SourceSilence(models.Model):
    """A span in which an accepted source posted nothing: one staleness alert
    each, open (``ended_at`` null) until the source is heard from again."""

    source = models.ForeignKey(MonitoringSource, on_delete=models.CASCADE, related_name="silences")
    started_at = models.DateTimeField(help_text="Last heard from plus the expected interval.")
    detected_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["source"], condition=Q(ended_at__isnull=True), name="one_open_silence"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")), name="silence_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} silent since {self.started_at:%Y-%m-%d %H:%M}"


class RawPayload(models.Model):
    """Evidence: every accepted payload as received, kept for the contract's
    retention period so a report can be re-derived. The unique digest makes
    re-posting the same payload a no-op."""

    source = models.ForeignKey(MonitoringSource, on_delete=models.CASCADE, related_name="payloads")
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=60)
    body = models.TextField()
    received_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    items = models.PositiveIntegerField(default=0)
    # The sender's delivery id (PagerDuty event id...): a redelivery with other bytes is still one delivery.
    upstream_id = models.CharField(max_length=100, blank=True)

    class Meta:
        db_table = "incidents_rawpayload"  # kept from the app it moved from
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "sha256"], name="payload_once_per_source"),
            models.UniqueConstraint(
                fields=["source", "upstream_id"], condition=~Q(upstream_id=""), name="payload_upstream_once"
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="payload_expires")]

    def __str__(self) -> str:
        return f"payload {self.sha256[:12]}"


class ProbeState(models.Model):
    """The last known state of one component from one probe source: what
    outage derivation needs to carry from one batch to the next."""

    source = models.ForeignKey(MonitoringSource, on_delete=models.CASCADE, related_name="probe_states")
    component = models.CharField(max_length=100)
    last_at = models.DateTimeField()
    last_up = models.BooleanField()
    open_outage = models.ForeignKey("Outage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "incidents_probestate"  # kept from the app it moved from
        constraints = [models.UniqueConstraint(fields=["source", "component"], name="probe_state_unique")]

    def __str__(self) -> str:
        return f"{self.component}: {'up' if self.last_up else 'down'} at {self.last_at:%Y-%m-%d %H:%M}"


class OutageQuerySet(models.QuerySet["Outage"]):
    def visible_to(self, user: Any) -> OutageQuerySet:
        return self.filter(contract__in=Contract.objects.visible_to(user).values("pk"))

    def overlapping(self, start: datetime, end: datetime) -> OutageQuerySet:
        return self.filter(Q(end__isnull=True) | Q(end__gt=start), start__lt=end)

    def counting(self) -> OutageQuerySet:
        """Outages that count: entered by staff or incidents, or from a source the
        other party accepted. One from a source awaiting acceptance (or rejected)
        is kept as evidence and counts from the moment the source is accepted."""
        return self.filter(Q(monitoring_source__isnull=True) | counts_q("monitoring_source__"))


class Outage(models.Model):
    class Source(models.TextChoices):
        MONITORING = "monitoring", "Independent monitoring"
        INCIDENT = "incident", "Critical production incident"
        MANUAL = "manual", "Entered by staff"
        VENDOR = "vendor", "Reported by the vendor"

    class Exclusion(models.TextChoices):
        NONE = "", "Counts"
        CLAIMED = "claimed", "Exclusion claimed"
        ACCEPTED = "accepted", "Excluded (accepted)"
        REJECTED = "rejected", "Exclusion rejected"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="outages")
    component = models.CharField(max_length=100)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    monitoring_source = models.ForeignKey(
        MonitoringSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="outages"
    )
    fingerprint = models.CharField(max_length=64, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="outages"
    )
    unknown_component = models.BooleanField(default=False)
    reason = models.TextField(blank=True, help_text="Why staff entered or corrected it.")
    exclusion = models.CharField(max_length=10, choices=Exclusion.choices, default=Exclusion.NONE, blank=True)
    exclusion_kind = models.CharField(max_length=16, blank=True)
    exclusion_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OutageQuerySet.as_manager()

    class Meta:
        db_table = "incidents_outage"  # kept from the app it moved from
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="outage_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["monitoring_source", "fingerprint", "start"],
                condition=~Q(fingerprint=""),
                name="outage_alert_once",
            ),
        ]
        indexes = [models.Index(fields=["contract", "start"], name="outage_contract_start")]

    def __str__(self) -> str:
        return f"{self.component} down {self.start:%Y-%m-%d %H:%M}"


class NoDataSpanQuerySet(models.QuerySet["NoDataSpan"]):
    def counting(self) -> NoDataSpanQuerySet:
        """Gaps of sources whose data counts (``MonitoringSource.counts``)."""
        return self.filter(counts_q("source__"))


class NoDataSpan(models.Model):
    """A gap in a probe source's data longer than its interval, or a silent
    source's silence: reported separately, never counted as up."""

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="no_data_spans")
    source = models.ForeignKey(MonitoringSource, on_delete=models.CASCADE, related_name="no_data_spans")
    component = models.CharField(max_length=100)
    start = models.DateTimeField()
    end = models.DateTimeField()

    objects = NoDataSpanQuerySet.as_manager()

    class Meta:
        db_table = "incidents_nodataspan"  # kept from the app it moved from
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="no_data_ordered"),
            models.UniqueConstraint(fields=["source", "component", "start"], name="no_data_once"),
        ]

    def __str__(self) -> str:
        return f"no data {self.component} {self.start:%Y-%m-%d %H:%M}"


class MaintenanceWindow(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="maintenance_windows")
    title = models.CharField(max_length=200)
    components = models.JSONField(default=list)
    start = models.DateTimeField()
    end = models.DateTimeField()
    actual_end = models.DateTimeField(null=True, blank=True)
    announced_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # A window recorded after the fact: ``announced_at`` is the vendor's claim (with its evidence),
    # ``recorded_at`` when it was entered. It excuses downtime only once the buyer accepts it.
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_late = models.BooleanField(default=False)
    evidence = models.TextField(blank=True, help_text="Where the announcement can be checked (a note or a link).")
    late_accepted_at = models.DateTimeField(null=True, blank=True)
    late_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "incidents_maintenancewindow"  # kept from the app it moved from
        ordering = ["-start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="maintenance_ordered")]
        indexes = [models.Index(fields=["contract", "start"], name="maintenance_contract_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def awaiting_acceptance(self) -> bool:
        """Recorded after the fact and not yet accepted by the buyer: it excuses nothing."""
        return self.recorded_late and self.late_accepted_at is None


class ChangeNotice(models.Model):
    class Kind(models.TextChoices):
        MAJOR_RELEASE = "major_release", "Major release"
        MINOR_RELEASE = "minor_release", "Minor release"
        SECURITY_PATCH = "security_patch", "Security patch"
        EMERGENCY = "emergency", "Emergency change"

    class Status(models.TextChoices):
        ANNOUNCED = "announced", "Announced"
        ACKNOWLEDGED = "acknowledged", "Acknowledged by buyer"
        QUESTIONED = "questioned", "Questions raised"
        ANSWERED = "answered", "Answered by vendor"
        POSTPONING = "postponing", "Postponement requested"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="change_notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    planned_at = models.DateTimeField()
    components = models.JSONField(default=list)
    impact = models.TextField()
    announced_at = models.DateTimeField()
    required_notice_days = models.PositiveIntegerField(default=0)
    late = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ANNOUNCED)
    buyer_response = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The impact assessment beyond the ``impact`` text (required for major releases).
    expected_downtime_minutes = models.PositiveIntegerField(null=True, blank=True)
    rollback_plan = models.TextField(blank=True)
    vendor_response = models.TextField(blank=True)
    # Postponement: the first planned time once moved, and a request awaiting the vendor.
    original_planned_at = models.DateTimeField(null=True, blank=True)
    postponement_requested_to = models.DateTimeField(null=True, blank=True)
    postponement_reason = models.TextField(blank=True)

    class Meta:
        db_table = "incidents_changenotice"  # kept from the app it moved from
        ordering = ["-planned_at"]
        indexes = [models.Index(fields=["contract", "planned_at"], name="change_contract_planned")]

    def __str__(self) -> str:
        return self.title


class ChangeMessage(models.Model):
    """One step in a change notice's thread: a question, an answer, a postponement and its
    decision, or the acknowledgement. Written by the change-notice services only."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        ANSWER = "answer", "Answer"
        ACKNOWLEDGEMENT = "ack", "Acknowledged"
        POSTPONEMENT_REQUEST = "postpone", "Postponement requested"
        POSTPONEMENT_GRANTED = "postponed", "Postponed"
        POSTPONEMENT_DECLINED = "declined", "Postponement declined"

    notice = models.ForeignKey(ChangeNotice, on_delete=models.CASCADE, related_name="messages")
    side = models.CharField(max_length=6)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["notice", "created_at"], name="change_message_notice")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.notice_id}"


class CalendarFeed(models.Model):
    """A per-person secret iCal URL for one contract's maintenance and changes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "incidents_calendarfeed"  # kept from the app it moved from
        constraints = [models.UniqueConstraint(fields=["user", "contract"], name="one_feed_per_person_contract")]

    def __str__(self) -> str:
        return f"feed {self.user} / {self.contract_id}"


# -- ticketing sources (Jira Service Management, Zendesk, ServiceNow) ------------------------------


class TicketLink(models.Model):
    """One upstream ticket and the Covenant incident it drives. The ticket's own
    update time orders deliveries: one older than the last applied changes
    nothing (its raw payload is kept all the same). ``evidence`` keeps, per
    applied delivery, the ticket's own timestamps beside Covenant's server time."""

    source = models.ForeignKey(MonitoringSource, on_delete=models.CASCADE, related_name="tickets")
    key = models.CharField(max_length=100, help_text="The ticket's stable id (Jira issue id, Zendesk id, sys_id).")
    label = models.CharField(max_length=100, help_text="What people call it (SUP-12, #35436, INC0010001).")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_links"
    )
    status = models.CharField(max_length=60, blank=True, help_text="The ticket's status as last applied.")
    priority = models.CharField(max_length=60, blank=True, help_text="The ticket's priority as last applied.")
    ticket_created_at = models.DateTimeField(help_text="The ticket's own creation time (evidence).")
    ticket_updated_at = models.DateTimeField(help_text="The ticket's own update time of the last applied delivery.")
    ticket_resolved_at = models.DateTimeField(null=True, blank=True, help_text="The ticket's own resolution time.")
    evidence = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-ticket_updated_at"]
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="ticket_once_per_source")]

    def __str__(self) -> str:
        return f"{self.label} ({self.source_id})"


# -- reconciliation between sources (availability.services.reconciliation) ----------------------


class Discrepancy(models.Model):
    """An interval of a period in which the counted sources disagree about one
    component (one says down, another up) for longer than the tolerance.

    Found by ``reconcile_period``; resolved by agreement: one party proposes
    (count one source's view, or split), the other accepts. Either party may
    instead mark it disputed; the period close marks the ones still open
    disputed. Open items are replaced when reconciliation runs again;
    decided ones never are."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved by agreement"
        DISPUTED = "disputed", "Disputed"

    class Resolution(models.TextChoices):
        SOURCE = "source", "Count one source's view"
        SPLIT = "split", "Split: half the time counts as down"
        DISPUTED = "disputed", "Disputed: the buyer's probes count, the time is reported as disputed"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="discrepancies")
    component = models.CharField(max_length=100)
    period = models.CharField(max_length=20, help_text="The period's label (2026-10, 2026-Q4).")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    down_sources = models.JSONField(default=list, help_text="Ids of the sources saying down in the interval.")
    up_sources = models.JSONField(default=list, help_text="Ids of the sources saying up in the interval.")
    down_seconds = models.JSONField(default=dict, help_text="Source id -> seconds it says down in the interval.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    proposed_resolution = models.CharField(max_length=8, choices=Resolution.choices, blank=True)
    proposed_source = models.ForeignKey(
        MonitoringSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_reason = models.TextField(blank=True)
    proposed_side = models.CharField(max_length=6, choices=MonitoringSource.Side.choices, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=8, choices=Resolution.choices, blank=True)
    picked_source = models.ForeignKey(
        MonitoringSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField()

    class Meta:
        ordering = ["start", "component", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="discrepancy_ordered"),
            models.UniqueConstraint(fields=["contract", "component", "start"], name="discrepancy_once"),
        ]
        indexes = [models.Index(fields=["contract", "period_start"], name="discrepancy_contract_period")]

    def __str__(self) -> str:
        return f"{self.component} {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


# -- request and execution tallies (availability.services.requests, availability.requests) -------


class RequestTally(models.Model):
    """How many requests (or executions) one component served in one interval, and
    how many of them failed, as one monitoring source counted them. Intervals are
    aligned to multiples of ``interval_minutes`` since the UTC epoch. A re-sent
    tally for the same source, component and interval replaces the earlier one."""

    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="request_tallies")
    source = models.ForeignKey(MonitoringSource, on_delete=models.CASCADE, related_name="request_tallies")
    component = models.CharField(max_length=100)
    interval_start = models.DateTimeField()
    interval_minutes = models.PositiveSmallIntegerField()
    total = models.PositiveBigIntegerField()
    failed = models.PositiveBigIntegerField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["interval_start", "component", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "component", "interval_start", "interval_minutes"], name="request_tally_once"
            ),
            models.CheckConstraint(condition=Q(failed__lte=models.F("total")), name="request_tally_failed_le_total"),
            models.CheckConstraint(
                condition=Q(interval_minutes__in=[1, 5, 10, 15, 30, 60]), name="request_tally_interval"
            ),
        ]
        indexes = [models.Index(fields=["contract", "interval_start"], name="request_tally_contract_start")]

    def __str__(self) -> str:
        return f"{self.component} {self.interval_start:%Y-%m-%d %H:%M} {self.failed}/{self.total}"
