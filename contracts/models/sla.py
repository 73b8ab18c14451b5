"""SLA versions: the terms of a contract over a span of time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts.models.contracts import Contract, visibility_q
from contracts.versions import InForceFallback


class SLAVersionQuerySet(models.QuerySet["SLAVersion"]):
    def visible_to(self, user: Any) -> SLAVersionQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def for_contract(self, contract: Contract | int) -> SLAVersionQuerySet:
        return self.filter(contract=contract)

    def frozen(self) -> SLAVersionQuerySet:
        return self.filter(status=SLAVersion.Status.ACTIVE)

    def governing(self, at: datetime) -> SLAVersionQuerySet:
        """The filter behind ``in_force_at``: the frozen version(s) in force at
        ``at``, at most one per contract. For subqueries and many contracts at
        once; "the version in force" of one contract is ``in_force_at``."""
        return self.frozen().filter(Q(effective_from__lte=at), Q(effective_to__isnull=True) | Q(effective_to__gt=at))

    def in_force_at(self, at: datetime, *, fallback: InForceFallback = InForceFallback.NONE) -> SLAVersion | None:
        """THE answer to "which SLA version governs ``at``" for one contract
        (``SLAVersion.objects.for_contract(c).in_force_at(t)``): the frozen
        version whose ``[effective_from, effective_to)`` holds ``at``, else
        what ``fallback`` says. ``contracts.versions.in_force_among`` is the
        same rule over versions already loaded."""
        latest_first = ("-effective_from", "-number")
        found = self.governing(at).order_by(*latest_first).first()
        if found is not None or fallback is InForceFallback.NONE:
            return found
        if fallback is InForceFallback.EARLIEST_FROZEN:
            return self.frozen().order_by("effective_from", "number").first()
        return self.frozen().order_by(*latest_first).first()


class SLAVersion(models.Model):
    """The terms of a contract over a span of time.

    A draft can be edited. Activation freezes it; it is then in force from
    ``effective_from`` until the next activated version's ``effective_from``.
    Changing terms means a new version (an amendment), never an edit.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active (frozen)"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="sla_versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateTimeField(null=True, blank=True)
    effective_to = models.DateTimeField(null=True, blank=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments")
    preset = models.CharField(max_length=60, blank=True)
    change_summary = models.TextField(blank=True)
    terms = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    # A draft another process owns (an annual review's amendment): the terms
    # editor refuses it and points at the owner, which edits it itself.
    held_by = models.CharField(
        max_length=120,
        blank=True,
        help_text="Who edits this draft instead of the terms editor, e.g. “Annual review 2027”.",
    )
    held_by_url = models.CharField(max_length=300, blank=True, help_text="The page where the holder edits it.")

    objects = SLAVersionQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="sla_version_unique_number"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(effective_from__isnull=False), name="sla_active_has_effective_from"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                name="sla_effective_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["contract", "status", "effective_from"], name="sla_contract_in_force")]

    def __str__(self) -> str:
        return f"{self.contract.reference} SLA v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_held(self) -> bool:
        """A draft whose edits belong to its holder (``held_by``), not the terms editor."""
        return self.is_draft and bool(self.held_by)
