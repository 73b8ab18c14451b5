"""The setup page's forms: they parse; contracts.services and contracts.setup.services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User
from contracts.forms.base import StyledForm
from contracts.models import ContractContact
from core.uploads import validate_passive_file


class ContactForm(StyledForm):
    side = forms.ChoiceField(label="Side")
    role = forms.ChoiceField(label="Role", choices=ContractContact.Role.choices)
    name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(label="Email")
    phone = forms.CharField(label="Phone", max_length=40, required=False)

    prefix = "contact"

    def __init__(self, *args: Any, sides: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(ContractContact.Side.choices)
        field = self.fields["side"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(side, labels[side]) for side in sides]


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        org_name = getattr(obj, "org_name", None)
        return f"{obj} ({org_name})" if org_name else str(obj)


class BoardSeatForm(StyledForm):
    prefix = "seat"
    user = PersonField(label="Person", queryset=User.objects.none())
    is_chair = forms.BooleanField(label="Chair of the board", required=False)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = candidates


class DocumentForm(StyledForm):
    prefix = "document"
    title = forms.CharField(label="Title", max_length=200, required=False, help_text="Left blank: the file's name.")
    file = forms.FileField(
        label="File", validators=[validate_passive_file], help_text="A signed copy or an annex: PDF, PNG or JPEG."
    )
