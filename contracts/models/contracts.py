"""Contracts, their contacts, board seats and documents, and the visibility rule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.access import organization_ids


def visibility_q(user: Any, *, via: str = "") -> Q:
    """THE visibility rule: Q selecting the rows the user may see.

    A person sees a contract when their organization is a party to it (the
    buyer always; the vendor once it accepted the contract, see
    ``Contract.VendorAcceptance``) or when they sit on its governance board;
    everything that hangs off a contract inherits that. Staff see everything.
    A vendor sees a contract awaiting its answer only as an invitation
    (``ContractQuerySet.invitations_for``). Every queryset that reaches a
    view, an API response, a PDF or an email is filtered through this rule.

    ``via`` is the lookup path from the queryset's model to its contract:
    ``""`` for Contract itself, ``"contract__"`` for an incident, and so on.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    orgs = organization_ids(user)
    contract_pk = f"{via}id" if via else "pk"
    # A subquery, not a join, so a contract with several board seats is not repeated.
    board = user.board_seats.values("contract_id")
    vendor = Q(**{f"{via}vendor_id__in": orgs, f"{via}vendor_acceptance": Contract.VendorAcceptance.ACCEPTED})
    return Q(**{f"{via}buyer_id__in": orgs}) | vendor | Q(**{f"{contract_pk}__in": board})


class ContractQuerySet(models.QuerySet["Contract"]):
    def visible_to(self, user: Any) -> ContractQuerySet:
        return self.filter(visibility_q(user))

    def for_list(self) -> ContractQuerySet:
        return self.select_related("buyer", "vendor")

    def invitations_for(self, user: Any) -> ContractQuerySet:
        """Contracts a buyer named the user's vendor organization on, awaiting
        the vendor's answer. Shown as an invitation only: the buyer's name and
        the reference, nothing else of the contract."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(
            vendor_id__in=organization_ids(user), vendor_acceptance=Contract.VendorAcceptance.PENDING
        ).select_related("buyer")

    def active(self) -> ContractQuerySet:
        return self.filter(status=Contract.Status.ACTIVE)

    def renewal_within(self, days: int, *, today: date | None = None) -> ContractQuerySet:
        """Contracts whose notice deadline falls in the next ``days`` days."""
        from django.utils import timezone

        today = today or timezone.localdate()
        return self.filter(notice_deadline__gte=today, notice_deadline__lte=today + timedelta(days=days))


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"

    class VendorAcceptance(models.TextChoices):
        PENDING = "pending", "Awaiting the vendor"
        ACCEPTED = "accepted", "Accepted by the vendor"
        DECLINED = "declined", "Declined by the vendor"

    # Unique per buyer (``contract_reference_per_buyer``), not globally: a
    # global rule would tell one organization which references another uses.
    reference = models.CharField(max_length=40)
    product = models.CharField(max_length=200)
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="contracts_as_buyer")
    vendor = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="contracts_as_vendor")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField()
    term_end = models.DateField()
    auto_renew = models.BooleanField(default=False)
    notice_period_days = models.PositiveIntegerField(default=90)
    # Stored (not computed per row) so "renewal within N days" is an indexed filter.
    notice_deadline = models.DateField(editable=False)
    monthly_fee = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="EUR")
    covered_components = models.JSONField(default=list, blank=True)
    supported_integrations = models.JSONField(default=list, blank=True)
    out_of_scope = models.TextField(blank=True)
    # The vendor consents to being party to a contract a buyer created: until
    # it accepts, the contract is the buyer's draft and the vendor sees an
    # invitation only. Rows created outside ``contract_create`` (data loads)
    # count as accepted.
    vendor_acceptance = models.CharField(
        max_length=8, choices=VendorAcceptance.choices, default=VendorAcceptance.ACCEPTED
    )
    vendor_answered_at = models.DateTimeField(null=True, blank=True)
    vendor_answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    termination_right = models.BooleanField(default=False)
    termination_right_since = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=Q(term_end__gt=models.F("start_date")), name="contract_term_after_start"),
            models.CheckConstraint(condition=~Q(buyer=models.F("vendor")), name="contract_parties_differ"),
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="contract_fee_not_negative"),
            models.UniqueConstraint(fields=["buyer", "reference"], name="contract_reference_per_buyer"),
        ]
        indexes = [
            models.Index(fields=["buyer", "status"], name="contract_buyer_status"),
            models.Index(fields=["vendor", "status"], name="contract_vendor_status"),
            models.Index(fields=["notice_deadline"], name="contract_notice_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.product}"

    @staticmethod
    def compute_notice_deadline(term_end: date, notice_period_days: int) -> date:
        return term_end - timedelta(days=notice_period_days)

    def in_scope(self, component: str) -> bool:
        return component in (self.covered_components or [])


class ContractContact(models.Model):
    class Role(models.TextChoices):
        INCIDENT_MANAGER = "incident_manager", "Incident manager"
        ESCALATION_CONTACT = "escalation_contact", "Escalation contact"
        EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
        BILLING = "billing", "Billing"

    class Side(models.TextChoices):
        BUYER = "buyer", "Buyer"
        VENDOR = "vendor", "Vendor"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="contacts")
    side = models.CharField(max_length=6, choices=Side.choices)
    role = models.CharField(max_length=24, choices=Role.choices)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["side", "role", "name"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "side", "role", "email"], name="contact_unique_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_side_display()} {self.get_role_display()})"


class BoardSeat(models.Model):
    """Governance board membership is per contract; either side may sit on it."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="board")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_seats")
    is_chair = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_chair", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "user"], name="board_seat_unique"),
            models.UniqueConstraint(fields=["contract"], condition=Q(is_chair=True), name="board_one_chair"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.contract.reference}{' (chair)' if self.is_chair else ''}"


def document_path(instance: ContractDocument, filename: str) -> str:
    return f"contracts/{instance.contract_id}/documents/{filename}"


class ContractDocument(models.Model):
    ALLOWED_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=document_path)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title
