from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.access import organization_ids
from contracts.versions import InForceFallback


def visibility_q(user: Any, *, via: str = "") -> Q:
    """THE visibility rule: Q selecting the rows the user may see.

    A person sees a contract when their organization is a party to it (buyer or
    vendor) or when they sit on its governance board; everything that hangs off a
    contract inherits that. Staff see everything. Every queryset that reaches a
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
    return Q(**{f"{via}buyer_id__in": orgs}) | Q(**{f"{via}vendor_id__in": orgs}) | Q(**{f"{contract_pk}__in": board})


class ContractQuerySet(models.QuerySet["Contract"]):
    def visible_to(self, user: Any) -> ContractQuerySet:
        return self.filter(visibility_q(user))

    def for_list(self) -> ContractQuerySet:
        return self.select_related("buyer", "vendor")

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

    reference = models.CharField(max_length=40, unique=True)
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


# --- the working routine: onboarding, training resources, feedback -------------------


class Party(models.TextChoices):
    BUYER = "buyer", "Buyer"
    VENDOR = "vendor", "Vendor"


EVIDENCE_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
TEXT_TYPES = {".txt": "text/plain", ".md": "text/markdown"}
ROUTINE_FILE_TYPES = {**EVIDENCE_TYPES, **TEXT_TYPES}


class OnboardingTemplate(models.Model):
    """The checklist a contract's onboarding plan is created from on activation.
    Staff edit templates; exactly one is the default."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_template"),
        ]

    def __str__(self) -> str:
        return self.name


class OnboardingTemplateItem(models.Model):
    template = models.ForeignKey(OnboardingTemplate, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, help_text="What done looks like; shown on the plan.")
    owner_party = models.CharField(max_length=6, choices=Party.choices)
    due_offset_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(0)], help_text="Days after activation."
    )
    requires_resource = models.BooleanField(
        default=False, help_text="Done only once everyone in the audience has read the linked training resource."
    )

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.title


def routine_file_path(instance: Any, filename: str) -> str:
    return f"contracts/{instance.contract_id}/routine/{filename}"


class TrainingResourceQuerySet(models.QuerySet["TrainingResource"]):
    def visible_to(self, user: Any) -> TrainingResourceQuerySet:
        return self.filter(visibility_q(user, via="contract__"))


class TrainingResource(models.Model):
    """A document or link people of the contract must read (runbooks, vendor
    training, the SLA schedule). ``roles`` empty: everyone in the audience."""

    class Audience(models.TextChoices):
        BUYER = "buyer", "Buyer"
        VENDOR = "vendor", "Vendor"
        BOTH = "both", "Both parties"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="training_resources")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="http(s) address or a path on this site.")
    file = models.FileField(upload_to=routine_file_path, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    audience = models.CharField(max_length=6, choices=Audience.choices, default=Audience.BOTH)
    roles = models.JSONField(default=list, blank=True, help_text="Membership or contact roles; empty: everyone.")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    objects = TrainingResourceQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "added_at", "id"]

    def __str__(self) -> str:
        return self.title


class ResourceConfirmation(models.Model):
    """A person confirms they have read a training resource."""

    resource = models.ForeignKey(TrainingResource, on_delete=models.CASCADE, related_name="confirmations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["resource", "user"], name="resource_read_once")]

    def __str__(self) -> str:
        return f"{self.user} read {self.resource}"


class OnboardingItemQuerySet(models.QuerySet["OnboardingItem"]):
    def visible_to(self, user: Any) -> OnboardingItemQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def open(self) -> OnboardingItemQuerySet:
        return self.filter(status=OnboardingItem.Status.OPEN)

    def overdue(self, today: date | None = None) -> OnboardingItemQuerySet:
        """Open items whose due date has passed (the dashboard's list)."""
        from django.utils import timezone

        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)

    def for_list(self) -> OnboardingItemQuerySet:
        return self.select_related("contract", "owner", "done_by", "resource")


class OnboardingItem(models.Model):
    """One item of a contract's onboarding plan."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        WAIVED = "waived", "Waived"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="onboarding_items")
    order = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    owner_party = models.CharField(max_length=6, choices=Party.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="onboarding_items"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    waive_reason = models.TextField(blank=True)
    resource = models.ForeignKey(
        TrainingResource, null=True, blank=True, on_delete=models.SET_NULL, related_name="required_by"
    )
    evidence_note = models.TextField(blank=True)
    evidence_link = models.CharField(max_length=500, blank=True)
    evidence_file = models.FileField(upload_to=routine_file_path, blank=True)
    evidence_file_name = models.CharField(max_length=200, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OnboardingItemQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "due_date", "order", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="onboarding_status_due"),
            models.Index(fields=["contract", "status"], name="onboarding_contract_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: date | None = None) -> bool:
        from django.utils import timezone

        return self.status == self.Status.OPEN and self.due_date < (today or timezone.localdate())

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_note or self.evidence_link or self.evidence_file)


class FeedbackItemQuerySet(models.QuerySet["FeedbackItem"]):
    def visible_to(self, user: Any) -> FeedbackItemQuerySet:
        return self.filter(visibility_q(user, via="contract__"))

    def unresolved(self) -> FeedbackItemQuerySet:
        return self.exclude(status=FeedbackItem.Status.CLOSED)

    def for_annual_review(self, *, contract: Contract, start: datetime, end: datetime) -> FeedbackItemQuerySet:
        """What the annual review packet lists: every item still open or
        responded (whenever it was logged), and every item logged in the year."""
        return (
            self.filter(contract=contract)
            .filter(
                Q(status__in=[FeedbackItem.Status.OPEN, FeedbackItem.Status.RESPONDED])
                | Q(created_at__gte=start, created_at__lt=end)
            )
            .select_related("raised_by", "responded_by", "closed_by")
            .order_by("created_at", "id")
        )


class FeedbackItem(models.Model):
    """An observation from real use, for the next review of the agreement.
    Evidence points at incidents, reports or disputes as ``{"type", "id"}``
    pairs (contracts sits below the apps that own those)."""

    class Category(models.TextChoices):
        PROCESS = "process", "A process that did not work"
        TARGET = "target", "A target that proved unrealistic"
        CONTACT = "contact", "A missing or wrong contact"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESPONDED = "responded", "Responded"
        CLOSED = "closed", "Closed"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="feedback_items")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    side = models.CharField(max_length=6, choices=Party.choices)
    category = models.CharField(max_length=8, choices=Category.choices)
    text = models.TextField()
    evidence = models.JSONField(default=list, blank=True)
    proposed_action = models.TextField(blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    objects = FeedbackItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contract", "status", "created_at"], name="feedback_contract_status")]

    def __str__(self) -> str:
        return f"Feedback #{self.pk} ({self.get_category_display()})"

    @property
    def other_side(self) -> str:
        return Party.VENDOR if self.side == Party.BUYER else Party.BUYER
