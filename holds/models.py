from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts.models import visibility_q


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def visible_to(self, user: Any) -> LegalHoldQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """A hold placed by a party's manager or staff: nothing of the contract in its scope (the whole
    contract, or the evidence of a period [starts_at, ends_at)) is purged or deleted until it is
    released, with a reason. The holds computed from disputes, claims, reviews and claim windows
    are not stored: ``holds.selectors.holds_for`` derives them."""

    class Scope(models.TextChoices):
        CONTRACT = "contract", "The whole contract"
        PERIOD = "period", "A period"

    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField()
    scope = models.CharField(max_length=8, choices=Scope.choices)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_by_label = models.CharField(max_length=200)
    placed_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_by_label = models.CharField(max_length=200, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="contract", starts_at__isnull=True, ends_at__isnull=True)
                    | Q(
                        scope="period",
                        starts_at__isnull=False,
                        ends_at__isnull=False,
                        ends_at__gt=models.F("starts_at"),
                    )
                ),
                name="legal_hold_scope_bounds",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | ~Q(release_reason=""), name="legal_hold_release_reason"
            ),
        ]
        indexes = [models.Index(fields=["contract", "released_at"], name="legal_hold_contract_open")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.reason[:60]}"

    @property
    def reference(self) -> str:
        return f"LH-{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None
