"""The people pages' forms: they parse; the rules live in accounts.people.services."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Membership, Organization
from core.errors import DomainError


class StyledForm(forms.Form):
    """Marks invalid inputs for Pico (aria-invalid). The contracts app's form
    base does the same, but accounts sits below contracts and may not import it."""

    def full_clean(self) -> None:
        super().full_clean()
        self.full_clean_marks()

    def apply(self, exc: DomainError) -> None:
        """A service's error on the form: each message on its field, the rest at the top."""
        placed = False
        for key, messages in exc.errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)
        self.full_clean_marks()

    def full_clean_marks(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"


def role_choices(organization: Organization) -> list[tuple[str, str]]:
    labels = dict(Membership.Role.choices)
    return [(role, labels[role]) for role in Membership.roles_for(organization.kind)]


class InviteForm(StyledForm):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(label="Role")
    is_admin = forms.BooleanField(
        label="Organization admin", required=False, help_text="May invite people and change roles."
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = role_choices(organization)


class MemberForm(StyledForm):
    role = forms.ChoiceField(label="Role")
    is_admin = forms.BooleanField(label="Organization admin", required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = role_choices(organization)


class SignUpForm(StyledForm):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    username = forms.CharField(label="Username", max_length=150, help_text="Letters, digits and @ . + - _ only.")
    password = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        label="Password (again)", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "The two passwords differ.")
        return data


class OrganizationForm(StyledForm):
    name = forms.CharField(label="Name", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=Organization.Kind.choices)
    slug = forms.SlugField(
        label="Short name (slug)", max_length=80, required=False, help_text="Left blank: from the name."
    )
