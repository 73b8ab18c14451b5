"""The single sign-on pages' forms: they parse; the rules live in accounts.sso.services."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Organization
from accounts.people.forms import StyledForm, role_choices


class SSOStartForm(StyledForm):
    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class SSOSettingsForm(StyledForm):
    enabled = forms.BooleanField(
        label="Enabled: people with these domains sign in through the provider", required=False
    )
    issuer = forms.CharField(
        label="Issuer URL",
        max_length=300,
        help_text="The provider's issuer, e.g. https://login.example.com (its discovery document lives below it).",
    )
    client_id = forms.CharField(label="Client id", max_length=191)
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    allowed_domains = forms.CharField(
        label="Allowed email domains",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line or separated by commas, e.g. example.com.",
        required=False,
    )
    default_role = forms.ChoiceField(label="Role for new people", choices=[])
    passwords_disabled = forms.BooleanField(
        label="Local passwords off: members sign in only through single sign-on", required=False
    )

    def __init__(self, *args: Any, organization: Organization, secret_set: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["default_role"]
        assert isinstance(role, forms.ChoiceField)  # nosec: declared above
        role.choices = role_choices(organization)
        self.fields["client_secret"].help_text = (
            "A secret is set; it is never shown. Leave blank to keep it, or enter a new one."
            if secret_set
            else "No secret is set yet."
        )

    def clean_allowed_domains(self) -> list[str]:
        raw = self.cleaned_data.get("allowed_domains") or ""
        return [part for part in raw.replace(",", "\n").split() if part]
