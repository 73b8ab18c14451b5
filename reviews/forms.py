"""HTML forms of the annual review pages: they parse input into what
the ``reviews.services`` use cases take; the rules live in the services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from contracts.forms import StyledForm
from core.fields import FormDateField, FormDateTimeField
from reviews.models import AnnualReview, Signature


def _local(value: datetime | None, zone: str) -> str:
    return "" if value is None else value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


class RecordForm(StyledForm):
    agenda = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)
    meeting_date = FormDateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    minutes = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    decisions = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    recommendation = forms.ChoiceField(
        choices=[("", "— not yet —"), *AnnualReview.Recommendation.choices],
        required=False,
        label="Renewal recommendation",
    )
    recommendation_reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Reasons for the recommendation"
    )

    def __init__(self, *args: Any, zone: str = "UTC", review: AnnualReview | None = None, **kwargs: Any) -> None:
        if review is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                "agenda": review.agenda,
                "meeting_date": _local(review.meeting_date, zone),
                "minutes": review.minutes,
                "decisions": review.decisions,
                "recommendation": review.recommendation,
                "recommendation_reasons": review.recommendation_reasons,
            }
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["meeting_date"].label = f"Meeting ({zone})"

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        meeting = data.get("meeting_date")
        if meeting is not None:
            data["meeting_date"] = meeting.replace(tzinfo=None).replace(tzinfo=ZoneInfo(self.zone))
        return data


class AmendmentForm(StyledForm):
    title = forms.CharField(max_length=200, label="What changes")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Rationale (tied to the year's evidence)"
    )
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Evidence references",
        help_text="One per line, e.g. “Service report 2026-10” or “Incident INC-42”.",
    )
    effective_from = FormDateField(widget=forms.DateInput(attrs={"type": "date"}), label="Takes effect on")

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].help_text = f"At midnight ({zone}), once the board has signed."


class CommentForm(StyledForm):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment")
    amendment = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SignForm(StyledForm):
    decision = forms.ChoiceField(choices=Signature.Decision.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    packet_checksum = forms.CharField(max_length=64, widget=forms.HiddenInput)


class ReasonForm(StyledForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


def day(value: date) -> str:
    return value.strftime("%-d %b %Y")
