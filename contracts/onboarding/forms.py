"""Forms of the working-routine page: onboarding items, training resources and
the feedback register. They parse; ``contracts.onboarding`` decides."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from contracts.forms.base import StyledForm
from contracts.forms.playbook import ROLE_LABELS
from contracts.models import FeedbackItem, Party, TrainingResource
from contracts.terms import ROLES
from core.fields import FormDateField

ISO_DATE = "%Y-%m-%d"


class ItemDoneForm(StyledForm):
    note = forms.CharField(
        required=False,
        label="What was done",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Optional: a line for the record."}),
    )


class ItemWaiveForm(StyledForm):
    reason = forms.CharField(label="Why is it waived?", widget=forms.Textarea(attrs={"rows": 2}))


class ItemEvidenceForm(StyledForm):
    note = forms.CharField(required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2}))
    link = forms.CharField(
        required=False, max_length=500, label="Link", help_text="An http(s) address or a path on this site."
    )
    file = forms.FileField(required=False, label="Attachment", help_text="PDF, PNG, JPEG, text or Markdown.")


class ItemEditForm(StyledForm):
    title = forms.CharField(max_length=200)
    owner = forms.ChoiceField(required=False, label="Owner (person)")
    # A browser's date input sends and shows only ISO dates; the locale's 25/10/2026 would leave it blank.
    due_date = FormDateField(
        label="Due",
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "— the party as a whole —"), *people]


class ItemAddForm(ItemEditForm):
    owner_party = forms.ChoiceField(label="Owner party", choices=Party.choices)
    guidance = forms.CharField(required=False, label="What done looks like", widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["title", "owner_party", "owner", "due_date", "guidance"]


class ResourceForm(StyledForm):
    title = forms.CharField(max_length=200)
    url = forms.CharField(required=False, max_length=500, label="Link", help_text="Or upload a file below.")
    file = forms.FileField(required=False, label="File", help_text="PDF, PNG, JPEG, text or Markdown.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    audience = forms.ChoiceField(choices=TrainingResource.Audience.choices, initial=TrainingResource.Audience.BOTH)
    roles = forms.MultipleChoiceField(
        required=False,
        choices=[(r, ROLE_LABELS[r]) for r in ROLES],
        widget=forms.CheckboxSelectMultiple,
        label="Only these roles must read it",
        help_text="None ticked: everyone in the audience.",
    )
    required_by = forms.ChoiceField(required=False, label="Required by onboarding item")

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["required_by"].choices = [("", "— none —"), *items]


_EVIDENCE = re.compile(r"^(?:(inc|incident|report|dispute)\s*[-#: ]?\s*)(\d+)$", re.IGNORECASE)


def parse_evidence(text: str) -> list[dict[str, Any]]:
    """ "INC-12, report 4, dispute #2" -> [{"type": "incident", "id": 12}, ...]."""
    refs = []
    problems = []
    for part in re.split(r"[,;\n]", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _EVIDENCE.match(part)
        if not match:
            problems.append(f"'{part}' is not a reference such as INC-12, report 4 or dispute 2.")
            continue
        kind = match.group(1).lower()
        refs.append({"type": "incident" if kind in ("inc", "incident") else kind, "id": int(match.group(2))})
    if problems:
        raise forms.ValidationError(problems)
    return refs


class FeedbackForm(StyledForm):
    category = forms.ChoiceField(choices=FeedbackItem.Category.choices)
    text = forms.CharField(label="What did you observe?", widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.CharField(
        required=False,
        label="Evidence",
        help_text="Incidents, reports or disputes of this contract, e.g. INC-12, report 4, dispute 2.",
    )
    proposed_action = forms.CharField(required=False, label="Proposed action", widget=forms.Textarea(attrs={"rows": 2}))
    side = forms.ChoiceField(required=False, choices=[("", "—"), *Party.choices], label="Raised by (staff)")

    def __init__(self, *args: Any, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["side"]

    def clean_evidence(self) -> list[dict[str, Any]]:
        return parse_evidence(self.cleaned_data["evidence"])


class FeedbackRespondForm(StyledForm):
    response = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    proposed_action = forms.CharField(
        required=False, label="Proposed action (optional)", widget=forms.Textarea(attrs={"rows": 2})
    )


class FeedbackCloseForm(StyledForm):
    note = forms.CharField(required=False, label="Closing note", widget=forms.Textarea(attrs={"rows": 2}))
