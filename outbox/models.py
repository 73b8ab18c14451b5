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
