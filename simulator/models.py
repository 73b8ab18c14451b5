from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from contracts.models import visibility_q


class ScenarioQuerySet(models.QuerySet["Scenario"]):
    def visible_to(self, user: Any) -> ScenarioQuerySet:
        """A scenario is one side's negotiating position. Its author sees it;
        so do the people of the side that saved it (the buyer's or the
        vendor's organization), on a contract they still see; once attached to
        an annual review's amendment as evidence, everyone who sees the
        contract does. Staff see all."""
        from accounts.access import organization_ids

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        orgs = organization_ids(user)
        on_contract = Q(contract__isnull=False) & visibility_q(user, via="contract__")
        of_portfolio = Q(contract__isnull=True, buyer_id__in=orgs)
        side = Q(side=Scenario.Side.BUYER, buyer_id__in=orgs) | Q(side=Scenario.Side.VENDOR, vendor_id__in=orgs)
        return self.filter(
            ((Q(created_by=user) | side) & (on_contract | of_portfolio)) | (Q(amendment__isnull=False) & on_contract)
        )


class Scenario(models.Model):
    """A named simulation: the inputs (contract or portfolio, window,
    candidate terms, sweep) and the results as they were computed, so it reads
    back the same even after the drafts it used change. Attachable to an
    annual review's amendment as its evidence."""

    class Kind(models.TextChoices):
        CONTRACT = "contract", "One contract"
        PORTFOLIO = "portfolio", "Portfolio"

    class Side(models.TextChoices):
        BUYER = "buyer", "Buyer"
        VENDOR = "vendor", "Vendor"
        NEUTRAL = "", "Board or staff"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CONTRACT)
    contract = models.ForeignKey(
        "contracts.Contract", null=True, blank=True, on_delete=models.CASCADE, related_name="scenarios"
    )
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(max_length=6, choices=Side.choices, blank=True)
    summary = models.CharField(max_length=300, blank=True, help_text="One line for lists: window and term sets.")
    inputs = models.JSONField()
    results = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    amendment = models.ForeignKey(
        "reviews.Amendment", null=True, blank=True, on_delete=models.SET_NULL, related_name="scenarios"
    )
    attached_at = models.DateTimeField(null=True, blank=True)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        db_table = "reviews_scenario"  # kept from the app it moved from
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["contract", "-created_at"], name="scenario_contract_created")]

    def __str__(self) -> str:
        return self.name
