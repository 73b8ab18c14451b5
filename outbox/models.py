from django.conf import settings
from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change
    that asks for it. The request that writes it never talks to the broker:
    the relay publishes it after commit (outbox/relay.py) and, if the broker
    is down then, the flush publishes it once the broker is back."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set by the publisher that is sending the row (an optimistic claim), so the
    # relay and the flush never both publish it; a claim past its time belongs
    # to a publisher that died and may be taken over.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent")]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class Lease(models.Model):
    """A named role that one process holds at a time, until ``expires_at``
    unless it renews (outbox/beat.py: which Celery beat publishes the
    periodic tasks). A holder that dies loses the lease when it expires."""

    name = models.CharField(max_length=60, primary_key=True)
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%H:%M:%S}"


class Job(models.Model):
    """Work that takes seconds, run by a worker while the person who asked
    for it watches its progress (outbox/jobs.py). ``subject_type`` and
    ``subject_id`` name what it works on ("reviews.annualreview", 12) without
    a foreign key, so the outbox stays below the apps that use it. The
    requester's organization is a plain id for the same reason: members of
    it (and the requester) see the job, nobody else does."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE = (State.QUEUED, State.RUNNING)

    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=120)
    task = models.CharField(max_length=200)
    subject_type = models.CharField(max_length=100)
    subject_id = models.BigIntegerField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=120, blank=True)
    done = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=1)
    result_url = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            # The same action on the same subject is queued once: a second request gets the first job.
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"],
                condition=Q(state__in=["queued", "running"]),
                name="outbox_job_one_active",
            ),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="outbox_job_subject")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}#{self.subject_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def summary(self) -> str:
        """What a person reads: "Opening review: building the packet — step 2 of 4"."""
        if self.state == self.State.DONE:
            return f"{self.title}: done."
        if self.state == self.State.FAILED:
            return f"{self.title}: failed. {self.error}".strip()
        step = min(self.done + 1, self.total)
        return f"{self.title}: {self.step or 'waiting for a worker'} \N{EM DASH} step {step} of {self.total}"
