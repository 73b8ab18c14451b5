from __future__ import annotations

from typing import Any

from django import forms

from accounts.events import EVENTS as CATALOGUE
from accounts.events import GROUPS, choices
from core.errors import DomainError
from webhooks.models import WebhookEndpoint


def grouped_event_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [(group, [(e.key, e.label) for e in CATALOGUE.values() if e.group == group]) for group in GROUPS]


class EndpointForm(forms.Form):
    """The fields people edit; the service checks the URL rule and the event keys."""

    name = forms.CharField(max_length=100, help_text="How your team knows it, e.g. “#vendor-incidents”.")
    url = forms.CharField(
        label="URL", max_length=500, help_text="https:// address that receives a POST per event (Slack, Teams, yours)."
    )
    format = forms.ChoiceField(choices=WebhookEndpoint.Format.choices, initial=WebhookEndpoint.Format.COVENANT)
    events = forms.MultipleChoiceField(
        choices=choices(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to receive every event, including ones added later.",
    )

    def __init__(self, *args: Any, organizations: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        events = self.fields["events"]
        assert isinstance(events, forms.MultipleChoiceField)
        events.choices = grouped_event_choices()
        if organizations is not None and len(organizations) > 1:
            self.fields["organization"] = forms.TypedChoiceField(
                choices=[("", "—"), *organizations], coerce=int, label="Organization"
            )
            self.order_fields(["organization"])

    def full_clean(self) -> None:
        super().full_clean()
        self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"

    def apply(self, exc: DomainError) -> None:
        """Show a service's error on its field (or at the top)."""
        placed = False
        for key, messages in exc.errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)
        self._mark_invalid()
