"""API shapes for contracts, SLA versions and what hangs off a contract.

Serializers only parse and render: every rule about *who* may do *what* and
every rule about the terms lives in ``contracts.services`` / ``contracts.terms``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organization, User
from contracts.diffing import MISSING, diff_terms, label_for
from contracts.models import BoardSeat, Contract, ContractContact, ContractDocument, SLAVersion, TerminationRight
from contracts.presets import preset_choices
from contracts.terms import SCHEMA as TERMS_SCHEMA
from core.fields import AwareDateTimeField, DateField, ReferenceField

# --------------------------------------------------------------------------
# Terms: the JSON document, published with its JSON Schema
# --------------------------------------------------------------------------


def _openapi30(schema: Any) -> Any:
    """The terms JSON Schema (draft 2020-12) in the OpenAPI 3.0 dialect.

    3.0 has no ``"type": [X, "null"]`` and no ``{"type": "null"}``; it says
    ``nullable: true`` instead. Everything else in SCHEMA is shared.
    """
    if isinstance(schema, list):
        return [_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _openapi30(value) for key, value in schema.items()}
    kind = out.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        if len(rest) == 1:
            out["type"] = rest[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": k} for k in rest]
        if "null" in kind:
            out["nullable"] = True
    for combinator in ("anyOf", "oneOf"):
        options = out.get(combinator)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            if len(rest) == 1:
                del out[combinator]
                out.update(rest[0])
            else:
                out[combinator] = rest
            out["nullable"] = True
    if "enum" in out and "type" not in out:
        values = out["enum"]
        if all(isinstance(v, str) for v in values):
            out["type"] = "string"
    return out


TERMS_OPENAPI_SCHEMA: dict[str, Any] = {
    **_openapi30(copy.deepcopy(TERMS_SCHEMA)),
    "description": "The SLA terms document, validated by contracts.terms.validate_terms. Errors name the "
    "field path (e.g. terms.targets[0].restore_minutes) and the rule it broke.",
}


@extend_schema_field(TERMS_OPENAPI_SCHEMA, component_name="SLATerms")
class TermsField(serializers.JSONField):
    """Nested terms JSON. Validation is the service's (``terms.<path>`` errors)."""


def diff_rows(a: Any, b: Any) -> list[dict[str, Any]]:
    """``contracts.diffing.diff_terms`` as API rows ``{path, label, a, b}``;
    a side lacking the path shows ``null``."""
    return [
        {
            "path": path,
            "label": label_for(path),
            "a": None if old is MISSING else old,
            "b": None if new is MISSING else new,
        }
        for path, old, new in diff_terms(a, b)
    ]


# --------------------------------------------------------------------------
# Shared fields
# --------------------------------------------------------------------------


class RejectUnknownFieldsMixin:
    """DRF silently drops unknown keys; a PATCH of ``status`` or a typo
    should say it did nothing instead."""

    read_only_names: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        key: [
                            "This field cannot be changed here."
                            if key in self.read_only_names or key in self.fields  # type: ignore[attr-defined]
                            else "Unknown field."
                        ]
                        for key in unknown
                    }
                )
        return super().to_internal_value(data)  # type: ignore[misc]


class PartySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]


def _org_field(kind: str) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind=kind),
        help_text=f"Id of a {kind} organization.",
        error_messages={"does_not_exist": f"No {kind} organization has id {{pk_value}}."},
    )


# --------------------------------------------------------------------------
# Contracts
# --------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer):
    buyer = PartySerializer(read_only=True)
    vendor = PartySerializer(read_only=True)
    current_sla_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Number of the SLA version in force now (null before activation)."
    )

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "product",
            "buyer",
            "vendor",
            "status",
            "start_date",
            "term_end",
            "auto_renew",
            "notice_period_days",
            "notice_deadline",
            "monthly_fee",
            "currency",
            "covered_components",
            "supported_integrations",
            "out_of_scope",
            "termination_right",
            "termination_right_since",
            "vendor_acceptance",
            "current_sla_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContractUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The fields ``services.contract_update`` accepts; all optional (PATCH)."""

    read_only_names = ("id", "reference", "buyer", "vendor", "status", "notice_deadline", "termination_right")

    product = serializers.CharField(max_length=200, required=False)
    start_date = DateField(required=False)
    term_end = DateField(required=False)
    auto_renew = serializers.BooleanField(required=False)
    notice_period_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    monthly_fee = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = serializers.CharField(min_length=3, max_length=3, required=False, help_text="ISO 4217, e.g. EUR.")
    covered_components = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    supported_integrations = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    out_of_scope = serializers.CharField(allow_blank=True, required=False)


class ContractCreateSerializer(ContractUpdateSerializer):
    read_only_names = ("id", "status", "notice_deadline", "termination_right")

    reference = ReferenceField(max_length=40)
    product = serializers.CharField(max_length=200)
    buyer = _org_field(Organization.Kind.BUYER)
    vendor = _org_field(Organization.Kind.VENDOR)
    start_date = DateField()
    term_end = DateField()
    monthly_fee = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    preset = serializers.ChoiceField(
        choices=preset_choices(), required=False, help_text="Start SLA v1 from this template (or give `terms`)."
    )
    terms = TermsField(required=False, help_text="A complete terms document for SLA v1 (instead of `preset`).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "preset" not in attrs and "terms" not in attrs:
            raise serializers.ValidationError(
                {"preset": ["Choose a template, or give the full terms."], "terms": ["Or give the full terms."]}
            )
        if "terms" in attrs and "preset" not in attrs:
            attrs["preset"] = ""  # custom terms: do not label them with the default template
        return attrs


# --------------------------------------------------------------------------
# SLA versions
# --------------------------------------------------------------------------


class SLAVersionSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="contract_id", read_only=True)
    based_on = serializers.IntegerField(
        source="based_on.number", read_only=True, allow_null=True, help_text="Number of the version amended."
    )
    terms = TermsField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)
    activated_by = serializers.CharField(source="activated_by.username", read_only=True, allow_null=True)

    class Meta:
        model = SLAVersion
        fields = [
            "contract",
            "number",
            "status",
            "effective_from",
            "effective_to",
            "based_on",
            "preset",
            "change_summary",
            "terms",
            "created_by",
            "created_at",
            "activated_by",
            "activated_at",
        ]
        read_only_fields = fields


class SLAVersionUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    read_only_names = ("number", "status", "effective_from", "effective_to", "based_on", "preset")

    terms = TermsField(required=False)
    change_summary = serializers.CharField(allow_blank=True, required=False)


class SLAVersionCreateSerializer(SLAVersionUpdateSerializer):
    """A new draft amending the version in force; optionally with its new terms."""

    change_summary = serializers.CharField(allow_blank=True, required=False, default="")


class AmendSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    change_summary = serializers.CharField(allow_blank=True, required=False, default="")


class ActivateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    effective_from = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the version takes effect. Default: the contract's start (midnight in the terms' "
        "calendar zone) for the first version, now for an amendment.",
    )


class DiffQuerySerializer(serializers.Serializer):
    a = serializers.IntegerField(min_value=1, help_text="Version number (left side).")
    b = serializers.IntegerField(min_value=1, help_text="Version number (right side).")


class DiffEntrySerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text="Field path; rows with an identity are keyed by it, e.g. targets[critical, production].restore_minutes."
    )
    label = serializers.CharField(
        help_text="The path in words, e.g. Severity matrix › Critical, production › Restore within."
    )
    a = serializers.JSONField(allow_null=True, help_text="Value in version a (null when absent).")
    b = serializers.JSONField(allow_null=True, help_text="Value in version b (null when absent).")


class InForceQuerySerializer(serializers.Serializer):
    at = AwareDateTimeField(required=False, help_text="The instant (ISO 8601 with offset). Default: now.")


# --------------------------------------------------------------------------
# Board, contacts, documents
# --------------------------------------------------------------------------


class BoardSeatSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = BoardSeat
        fields = ["id", "user", "username", "name", "is_chair"]
        read_only_fields = ["id"]
        validators: list = []  # (contract, user) uniqueness: the service updates an existing seat


# Side and Organization.Kind share values and labels; without a setting
# (ENUM_NAME_OVERRIDES) drf-spectacular warns that one choice set has two
# names. Publishing side by its values alone keeps it a separate SideEnum.
@extend_schema_field({"type": "string", "enum": list(ContractContact.Side.values)})
class SideField(serializers.ChoiceField):
    pass


class ContactSerializer(serializers.ModelSerializer):
    side = SideField(choices=ContractContact.Side.choices, help_text="Which party the contact speaks for.")

    class Meta:
        model = ContractContact
        fields = ["id", "side", "role", "name", "email", "phone"]
        read_only_fields = ["id"]
        validators: list = []  # the service's full_clean checks the model's constraints


class DocumentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ContractDocument
        fields = ["id", "title", "size", "sha256", "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, doc: ContractDocument) -> str:
        from django.urls import reverse

        path = reverse("contracts-api:document-download", kwargs={"contract_pk": doc.contract_id, "pk": doc.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DocumentUploadSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    file = serializers.FileField(help_text="PDF, PNG or JPEG; the size limit is checked by the service.")


# --------------------------------------------------------------------------
# The termination right
# --------------------------------------------------------------------------


class TerminationRightSerializer(serializers.ModelSerializer):
    ended_by = serializers.CharField(source="ended_by.username", read_only=True, allow_null=True)

    class Meta:
        model = TerminationRight
        fields = [
            "id",
            "status",
            "period",
            "report_label",
            "rule",
            "raised_on",
            "expires_at",
            "ended_at",
            "ended_by",
            "reason",
        ]
        read_only_fields = fields


class TerminationExerciseSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Optional: the decision's reference."
    )


class TerminationWaiveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the buyer waives the right (kept in the audit trail)."
    )
