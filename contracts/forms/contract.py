"""Forms for contracts themselves: create, activate a version, amend."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organization
from contracts.forms.base import StyledForm, split_names
from contracts.presets import PRESETS
from core.fields import FormDateField, FormDateTimeField, FormReferenceField


class ContractCreateForm(StyledForm):
    buyer = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label=None)
    vendor = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label="Choose the vendor…")
    reference = FormReferenceField(
        max_length=40, help_text="Unique among your organization's contracts, e.g. NW-2025-014."
    )
    product = forms.CharField(max_length=200)
    start_date = FormDateField(widget=forms.DateInput(attrs={"type": "date"}))
    term_end = FormDateField(label="Term ends", widget=forms.DateInput(attrs={"type": "date"}))
    auto_renew = forms.BooleanField(required=False, label="Renews automatically unless notice is given")
    notice_period_days = forms.IntegerField(
        min_value=0, initial=90, label="Notice period (days)", help_text="Days before the term end."
    )
    monthly_fee = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = forms.CharField(max_length=3, initial="EUR", help_text="ISO 4217, e.g. EUR.")
    covered_components = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Comma or newline separated.",
    )
    supported_integrations = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Comma or newline separated.",
    )
    out_of_scope = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Out of scope")
    preset = forms.ChoiceField(
        label="SLA template",
        choices=[(key, p["label"]) for key, p in PRESETS.items()],
        initial=next(iter(PRESETS)),
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, buyers: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["buyer"].queryset = buyers
        if len(buyers) > 1:
            self.fields["buyer"].empty_label = "Choose the buyer…"
        self.fields["vendor"].queryset = Organization.objects.filter(kind=Organization.Kind.VENDOR).order_by("name")

    def clean_covered_components(self) -> list[str]:
        return split_names(self.cleaned_data["covered_components"])

    def clean_supported_integrations(self) -> list[str]:
        return split_names(self.cleaned_data["supported_integrations"])

    def presets(self) -> list[dict[str, Any]]:
        """Each template with its description, for the radio list."""
        chosen = self["preset"].value()
        return [
            {"key": key, "label": p["label"], "description": p["description"], "checked": key == chosen}
            for key, p in PRESETS.items()
        ]


class ActivateForm(StyledForm):
    effective_from = FormDateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["effective_from"].label = f"Effective from ({zone})"

    def clean_effective_from(self) -> Any:
        value = self.cleaned_data["effective_from"]
        if value is None:
            return None
        # The wall time was read in the server zone; the contract's zone is meant.
        wall = timezone.make_naive(value, UTC) if timezone.is_aware(value) else value
        return wall.replace(tzinfo=ZoneInfo(self.zone))


class AmendForm(StyledForm):
    change_summary = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="What will change?"
    )
