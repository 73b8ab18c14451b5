"""API shapes of the working routine: onboarding items, training resources,
the feedback register, and the RACI table and playbook read from the terms.
Parsing and rendering only: the rules are in ``contracts.onboarding``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from contracts.models import FeedbackItem, OnboardingItem, Party, TrainingResource
from contracts.onboarding import EVIDENCE_KINDS, evidence_links
from contracts.serializers import RejectUnknownFieldsMixin
from contracts.terms import PLAYBOOK_TRIGGERS, RACI_LETTERS, ROLES, SEVERITIES, TARGETS
from core.fields import DateField


def _absolute(context: dict[str, Any], path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


def enum_field(values: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field published as an inline enum: choice sets here share names
    (status, severity, ...) and values with other apps' components."""
    values = list(values)

    @extend_schema_field({"type": "string", "enum": values})
    class InlineEnumField(serializers.ChoiceField):
        pass

    return InlineEnumField(choices=values, **kwargs)


def pattern_field(values: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field published as a pattern: for a choice set that appears under
    several field names (party, owner_party, side), which an enum component could
    not name without a settings override."""
    values = list(values)

    @extend_schema_field({"type": "string", "pattern": f"^({'|'.join(values)})$"})
    class PatternChoiceField(serializers.ChoiceField):
        pass

    return PatternChoiceField(choices=values, **kwargs)


def party_field(**kwargs: Any) -> serializers.ChoiceField:
    kwargs.pop("choices", None)
    kwargs.setdefault("help_text", "buyer or vendor.")
    return pattern_field(Party.values, **kwargs)


# --------------------------------------------------------------------------
# Onboarding items
# --------------------------------------------------------------------------


class OnboardingItemSerializer(serializers.ModelSerializer):
    owner_party = party_field()
    owner_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    done_by = serializers.CharField(source="done_by.username", read_only=True, allow_null=True)
    evidence_file_url = serializers.SerializerMethodField()
    status = enum_field(OnboardingItem.Status.values, read_only=True)

    class Meta:
        model = OnboardingItem
        fields = [
            "id",
            "order",
            "title",
            "guidance",
            "owner_party",
            "owner",
            "owner_name",
            "due_date",
            "status",
            "overdue",
            "waive_reason",
            "resource",
            "evidence_note",
            "evidence_link",
            "evidence_file_name",
            "evidence_file_url",
            "done_by",
            "done_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_owner_name(self, item: OnboardingItem) -> str | None:
        return str(item.owner) if item.owner_id else None

    def get_overdue(self, item: OnboardingItem) -> bool:
        return item.is_overdue(self.context.get("today") or timezone.localdate())

    def get_evidence_file_url(self, item: OnboardingItem) -> str | None:
        if not item.evidence_file:
            return None
        path = reverse(
            "contracts-api:onboarding-item-evidence-file", kwargs={"contract_pk": item.contract_id, "pk": item.pk}
        )
        return _absolute(self.context, path)


class _OwnerField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=User.objects.filter(is_active=True),
            allow_null=True,
            error_messages={"does_not_exist": "No person has id {pk_value}."},
            **kwargs,
        )


class OnboardingItemCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner_party = party_field()
    owner = _OwnerField(
        required=False, default=None, help_text="A member of the owner party or of the board; null: the party."
    )
    due_date = DateField(help_text="Not before the contract's activation.")
    guidance = serializers.CharField(required=False, allow_blank=True, default="")
    resource = serializers.PrimaryKeyRelatedField(
        queryset=TrainingResource.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="A training resource of this contract everyone in its audience must read first.",
    )


class OnboardingItemUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    read_only_names = ("id", "status", "owner_party", "done_by", "done_at")

    title = serializers.CharField(max_length=200, required=False)
    owner = _OwnerField(required=False)
    due_date = DateField(required=False)
    resource = serializers.PrimaryKeyRelatedField(
        queryset=TrainingResource.objects.all(), required=False, allow_null=True
    )


class ItemDoneSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ItemWaiveSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField()


class ItemEvidenceSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    link = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    file = serializers.FileField(required=False, help_text="PDF, PNG, JPEG, plain text or Markdown.")


# --------------------------------------------------------------------------
# Training resources
# --------------------------------------------------------------------------


class TrainingResourceSerializer(serializers.ModelSerializer):
    added_by = serializers.CharField(source="added_by.username", read_only=True, allow_null=True)
    file_url = serializers.SerializerMethodField()
    must_read = serializers.SerializerMethodField(help_text="How many people must read it.")
    confirmed = serializers.SerializerMethodField(help_text="How many of them confirmed.")
    pending = serializers.SerializerMethodField(help_text="Who has not confirmed yet.")
    read_by_me_at = serializers.SerializerMethodField(help_text="When you confirmed (null: not yet).")
    audience = enum_field(TrainingResource.Audience.values, read_only=True)

    class Meta:
        model = TrainingResource
        fields = [
            "id",
            "title",
            "description",
            "url",
            "file_name",
            "file_url",
            "audience",
            "roles",
            "added_by",
            "added_at",
            "must_read",
            "confirmed",
            "pending",
            "read_by_me_at",
        ]
        read_only_fields = fields

    def _row(self, resource: TrainingResource) -> dict[str, Any]:
        return self.context.get("reading", {}).get(resource.pk, {})

    def get_file_url(self, resource: TrainingResource) -> str | None:
        if not resource.file:
            return None
        path = reverse("contracts-api:resource-file", kwargs={"contract_pk": resource.contract_id, "pk": resource.pk})
        return _absolute(self.context, path)

    def get_must_read(self, resource: TrainingResource) -> int:
        return len(self._row(resource).get("audience", []))

    def get_confirmed(self, resource: TrainingResource) -> int:
        return self._row(resource).get("confirmed_count", 0)

    def get_pending(self, resource: TrainingResource) -> list[str]:
        return list(self._row(resource).get("pending", []))

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_read_by_me_at(self, resource: TrainingResource) -> Any:
        mine = self._row(resource).get("mine")
        return serializers.DateTimeField().to_representation(mine.at) if mine else None


class ResourceCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    url = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500, help_text="A link, or give a file."
    )
    file = serializers.FileField(required=False, help_text="PDF, PNG, JPEG, plain text or Markdown.")
    audience = enum_field(TrainingResource.Audience.values, default="both")
    roles = serializers.ListField(
        child=pattern_field(ROLES),
        required=False,
        default=list,
        help_text="Only these roles must read it; empty: everyone in the audience.",
    )
    required_by = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Id of an onboarding item that waits for it."
    )


class ConfirmationSerializer(serializers.Serializer):
    resource = serializers.IntegerField(source="resource_id")
    user = serializers.CharField(source="user.username")
    at = serializers.DateTimeField()


# --------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------


class EvidenceRefSerializer(serializers.Serializer):
    type = enum_field(EVIDENCE_KINDS)
    id = serializers.IntegerField(min_value=1)


class EvidenceLinkSerializer(EvidenceRefSerializer):
    label = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="The record's page, when there is one.")


class FeedbackSerializer(serializers.ModelSerializer):
    side = party_field()
    raised_by = serializers.CharField(source="raised_by.username", read_only=True, allow_null=True)
    responded_by = serializers.CharField(source="responded_by.username", read_only=True, allow_null=True)
    closed_by = serializers.CharField(source="closed_by.username", read_only=True, allow_null=True)
    evidence = serializers.SerializerMethodField()
    category = enum_field(FeedbackItem.Category.values, read_only=True)
    status = enum_field(FeedbackItem.Status.values, read_only=True)

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "side",
            "category",
            "text",
            "evidence",
            "proposed_action",
            "status",
            "raised_by",
            "created_at",
            "response",
            "responded_by",
            "responded_at",
            "closed_by",
            "closed_at",
            "close_note",
        ]
        read_only_fields = fields

    @extend_schema_field(EvidenceLinkSerializer(many=True))
    def get_evidence(self, item: FeedbackItem) -> list[dict[str, Any]]:
        return evidence_links(item.evidence)


class FeedbackCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    category = enum_field(FeedbackItem.Category.values)
    text = serializers.CharField()
    evidence = EvidenceRefSerializer(many=True, required=False, default=list)
    proposed_action = serializers.CharField(required=False, allow_blank=True, default="")
    side = party_field(
        choices=Party.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Staff only: which party raises it.",
    )


class FeedbackRespondSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    response = serializers.CharField()
    proposed_action = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)


class FeedbackCloseSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------
# RACI and playbook (read from the terms in force)
# --------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    user_id = serializers.IntegerField(allow_null=True)
    source = enum_field(["contact", "member"], help_text="Named in the contacts, or holds the membership role.")


class RaciCellSerializer(serializers.Serializer):
    party = party_field()
    letter = enum_field(RACI_LETTERS, help_text="R, A, C, I or empty.")
    meaning = serializers.CharField()
    role = serializers.CharField(help_text="Empty: the party as a whole.")
    role_label = serializers.CharField()
    people = PersonSerializer(many=True)


class RaciRowSerializer(serializers.Serializer):
    activity = serializers.CharField()
    cells = RaciCellSerializer(many=True)
    flags = serializers.ListField(child=serializers.CharField(), help_text="E.g. nobody accountable.")
    flagged = serializers.BooleanField()


class RaciSerializer(serializers.Serializer):
    sla_version = serializers.IntegerField(allow_null=True)
    flagged = serializers.IntegerField(help_text="How many activities are flagged.")
    rows = RaciRowSerializer(many=True)


class PlaybookStepSerializer(serializers.Serializer):
    severity = enum_field(SEVERITIES)
    order = serializers.IntegerField()
    party = party_field()
    role = enum_field(ROLES)
    role_label = serializers.CharField()
    people = PersonSerializer(many=True)
    trigger = enum_field(PLAYBOOK_TRIGGERS)
    value = serializers.IntegerField(allow_null=True)
    target = enum_field(TARGETS, allow_null=True)
    when = serializers.CharField(help_text="The trigger in words.")
    action = serializers.CharField()


class PlaybookSerializer(serializers.Serializer):
    sla_version = serializers.IntegerField(allow_null=True)
    steps = PlaybookStepSerializer(many=True)


class PlaybookQuerySerializer(serializers.Serializer):
    severity = enum_field(SEVERITIES, required=False, help_text="Only this severity's steps.")
