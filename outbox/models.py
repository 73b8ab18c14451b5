from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change
    that asks for it. If the broker is down at commit time the row stays
    unsent and the flush task sends it once the broker is back."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent")]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
