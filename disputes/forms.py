"""HTML forms for the credit ledger and dispute pages.

They only parse input into what ``reports.services.ledger`` and
``disputes.services`` take; the rules live in the services, whose
``InvalidInput`` errors are put back on these fields by
``contracts.forms.apply_domain_errors`` (so field names match the services'
error keys). Text fields are not ``required`` here: the service says what is
missing, in its own words.
"""

from __future__ import annotations

from typing import Any

from django import forms

from contracts.forms import StyledForm
from contracts.models import Contract
from core.fields import FormDateTimeField
from disputes.models import Dispute


def _text(label: str, *, rows: int = 2, placeholder: str = "", required_hint: bool = False) -> forms.CharField:
    attrs: dict[str, Any] = {"rows": rows}
    if placeholder:
        attrs["placeholder"] = placeholder
    if required_hint:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs=attrs))


class NoInputForm(StyledForm):
    def __init__(self, *args: Any, subject: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = subject


# -- credits ------------------------------------------------------------------------------


class ApplyCreditForm(NoInputForm):
    invoice_reference = forms.CharField(
        label="Invoice reference",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. INV-2026-0412", "required": True}),
    )


class DisputeCreditForm(NoInputForm):
    statement = _text("What is wrong with this credit?", rows=3, required_hint=True)


# -- disputes -----------------------------------------------------------------------------


class DisputeCreateForm(StyledForm):
    contract = forms.ModelChoiceField(queryset=Contract.objects.none(), empty_label="Choose the contract…")
    subject_type = forms.ChoiceField(label="What is disputed", choices=Dispute.Subject.choices)
    subject_id = forms.CharField(
        label="Which one",
        required=False,
        max_length=64,
        help_text="An incident (INC-12), an outage id, a credit id, or a report id with the line (e.g. 31:availability).",
    )
    title = forms.CharField(
        required=False, max_length=200, widget=forms.TextInput(attrs={"placeholder": "One line: what is contested"})
    )
    statement = _text("Statement", rows=5, placeholder="What the record says, what you say, and your evidence.")

    def __init__(self, *args: Any, contracts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts
        self.fields["contract"].label_from_instance = lambda c: f"{c.reference} · {c.product} ({c.vendor})"


class EscalateForm(NoInputForm):
    note = _text("Why does it go to the next stage?", required_hint=True)


class CommentForm(NoInputForm):
    note = _text("Comment", rows=3, required_hint=True)


class WithdrawForm(NoInputForm):
    note = _text("Note (optional)")


class ResolveForm(NoInputForm):
    """The resolution and, depending on what is disputed, the facts it changes."""

    resolution = _text("Agreed resolution", rows=3, required_hint=True)
    accept_exclusion = forms.BooleanField(required=False, label="Accept the exclusion (no longer counted)")
    incident = forms.CharField(required=False, label="Incident", help_text="e.g. INC-12")
    outage = forms.IntegerField(required=False, label="Outage id", min_value=1)
    outage_start = FormDateTimeField(
        required=False,
        label="Corrected outage start (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    outage_end = FormDateTimeField(
        required=False,
        label="Corrected outage end (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    credit = forms.IntegerField(required=False, label="Credit id", min_value=1)
    credit_amount = forms.DecimalField(
        required=False, label="Agreed credit amount", min_value=0, decimal_places=3, max_digits=14
    )

    FIELDS_FOR = {
        Dispute.Subject.INCIDENT: ("accept_exclusion",),
        Dispute.Subject.OUTAGE: ("accept_exclusion", "outage_start", "outage_end"),
        Dispute.Subject.CREDIT: ("credit_amount",),
        Dispute.Subject.REPORT_LINE: (
            "incident",
            "outage",
            "accept_exclusion",
            "outage_start",
            "outage_end",
            "credit",
            "credit_amount",
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dispute = self.subject
        if dispute is None:
            return
        keep = {"resolution", *self.FIELDS_FOR[dispute.subject_type]}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if dispute.subject_type == Dispute.Subject.INCIDENT:
            self.fields["accept_exclusion"].label = "Accept the incident's exclusion: it no longer counts"
        elif dispute.subject_type == Dispute.Subject.OUTAGE:
            self.fields["accept_exclusion"].label = "Accept the outage's exclusion: it no longer counts"
        elif dispute.subject_type == Dispute.Subject.REPORT_LINE:
            self.fields["accept_exclusion"].label = "Accept the exclusion of the incident or outage named above"

    def outcome(self) -> dict[str, Any]:
        """Only what was filled in: an empty outcome changes nothing."""
        return {
            key: value
            for key, value in self.cleaned_data.items()
            if key != "resolution" and value not in (None, "", False)
        }

    @property
    def fact_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name != "resolution"]
