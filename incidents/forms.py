"""HTML forms for the incident pages.

They only parse input into the values ``incidents.services`` take; the rules
(what is required, what a rating may be, which contract an incident may move
to) live in the services, whose ``InvalidInput`` errors are put back on these
fields by ``contracts.forms.apply_domain_errors``. That is why the field names
match the services' error keys (``text``, ``reason``, ``rating``, ``kind``,
``to_contract``, ``file``, ``source``, ...) and why most text fields are not
``required`` here: the service says what is missing, in its own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.access import organization_ids
from accounts.models import Membership, User
from contracts.forms import StyledForm
from contracts.models import Contract
from core.uploads import validate_passive_file
from incidents.models import Environment, ExclusionClaim, Severity

OTHER_COMPONENT = "__other__"


def _text(label: str, *, rows: int = 2, placeholder: str = "", required_hint: bool = False) -> forms.CharField:
    """An optional-to-the-form text area; ``required_hint`` only helps the browser."""
    attrs: dict[str, Any] = {"rows": rows}
    if placeholder:
        attrs["placeholder"] = placeholder
    if required_hint:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs=attrs))


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contract) -> str:
        return f"{obj.reference} · {obj.product} ({obj.vendor})"


# -- open ----------------------------------------------------------------------------------


class IncidentCreateForm(StyledForm):
    contract = ContractChoiceField(queryset=Contract.objects.none(), empty_label="Choose the contract…")
    severity = forms.ChoiceField(choices=[("", "Choose…"), *Severity.choices])
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PRODUCTION)
    component = forms.CharField(required=False, widget=forms.Select)
    component_other = forms.CharField(
        required=False,
        max_length=100,
        label="Other component",
        help_text="Not one of the contract's covered components: the incident is flagged out of scope.",
    )
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"placeholder": "What is broken?"}))
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "What happens, since when, who is affected…"}),
    )

    def __init__(
        self, *args: Any, contracts: QuerySet[Contract] | Sequence[Contract], components: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contract"]
        if isinstance(contracts, QuerySet):
            field.queryset = contracts
        else:
            field.queryset = Contract.objects.filter(pk__in=[c.pk for c in contracts]).select_related("vendor")
        # Changing the contract reloads the page with its components (the
        # "choose another contract" link does the same without JavaScript).
        field.widget.attrs["data-reload-param"] = "contract"  # static/js/forms.js: reloads with ?contract=<id>
        self.fields["component"].widget.choices = [
            ("", "Choose…"),
            *((c, c) for c in components),
            (OTHER_COMPONENT, "Other (out of scope)…"),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("component") == OTHER_COMPONENT:
            data["component"] = data.get("component_other", "")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {
            "contract": cd["contract"],
            "title": cd["title"],
            "severity": cd["severity"],
            "environment": cd["environment"],
            "component": cd.get("component") or "",
            "description": cd.get("description") or "",
        }


# -- actions on one incident ---------------------------------------------------------------


class ActionForm(StyledForm):
    """Base of the per-action forms; ``incident``/``user`` are there for the
    few forms whose choices depend on them, ``members`` (the parties' active
    memberships, users joined) when the page already read them."""

    def __init__(
        self,
        *args: Any,
        incident: Any = None,
        user: Any = None,
        members: Sequence[Membership] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.user = user
        self.members = members


class NoInputForm(ActionForm):
    pass


class ResolveForm(ActionForm):
    message = _text("Resolution note (optional)", placeholder="Root cause and fix")


class ProposeWorkaroundForm(ActionForm):
    text = _text("Workaround", rows=3, placeholder="What the buyer can do meanwhile", required_hint=True)
    temporary = forms.BooleanField(required=False, label="Temporary (expires after the agreed number of days)")


class RejectWorkaroundForm(ActionForm):
    reason = _text("Why is it not good enough?", required_hint=True)


class ConfirmForm(ActionForm):
    RATINGS = [
        ("", "No rating"),
        (5, "5 · excellent"),
        (4, "4 · good"),
        (3, "3 · acceptable"),
        (2, "2 · poor"),
        (1, "1 · very poor"),
    ]
    rating = forms.IntegerField(required=False, label="Satisfaction", widget=forms.Select(choices=RATINGS))
    comment = _text("Comment (optional)")


class ReopenForm(ActionForm):
    reason = _text("What is still wrong?", required_hint=True)


class PauseForm(ActionForm):
    reason = _text("What are you waiting for from the customer?", required_hint=True)


class ChangeSeverityForm(ActionForm):
    severity = forms.ChoiceField(label="New severity", choices=Severity.choices)
    reason = _text("Why?", required_hint=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.incident is not None and not self.is_bound:
            others = [value for value, _ in Severity.choices if value != self.incident.severity]
            self.initial.setdefault("severity", others[0])


class ClaimExclusionForm(ActionForm):
    kind = forms.ChoiceField(label="Exclusion", choices=ExclusionClaim.Kind.choices)
    reason = _text("Grounds for the claim", rows=3, required_hint=True)


class DecideClaimForm(ActionForm):
    claim = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")], widget=forms.HiddenInput)
    reason = _text("Reason (required to reject)")


class DecideSeverityForm(ActionForm):
    change = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")], widget=forms.HiddenInput)
    reason = _text("Reason (required to reject)")


class AttributeForm(ActionForm):
    to_contract = ContractChoiceField(
        label="Other contract", queryset=Contract.objects.none(), empty_label="Choose the contract…"
    )
    move = forms.TypedChoiceField(
        label="How",
        choices=[
            ("move", "Attribute it there (a new incident for that vendor from your facts; this one stops counting)"),
            ("link", "Only link it there (it stays on this contract; only your side sees the link)"),
        ],
        coerce=lambda value: value == "move",
        initial="link",
        widget=forms.RadioSelect,
    )
    reason = _text("Fault isolation finding", rows=3, required_hint=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.incident is not None and self.user is not None:
            # The buyer's other contracts that the user sees (the service checks again).
            self.fields["to_contract"].queryset = (
                Contract.objects.visible_to(self.user)
                .filter(buyer_id=self.incident.contract.buyer_id)
                .exclude(pk=self.incident.contract_id)
                .select_related("vendor")
                .order_by("reference")
            )


class AssignForm(ActionForm):
    assignee = forms.ModelChoiceField(
        label="Assignee", queryset=User.objects.none(), required=False, empty_label="Nobody (unassigned)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.incident is not None and self.user is not None:
            # The people of the user's own side (the service checks again).
            contract = self.incident.contract
            orgs = [
                org
                for org in (contract.buyer_id, contract.vendor_id)
                if self.user.is_staff or org in organization_ids(self.user)
            ]
            field = self.fields["assignee"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = (
                User.objects.filter(is_active=True, memberships__organization_id__in=orgs, memberships__is_active=True)
                .distinct()
                .order_by("first_name", "last_name", "username")
            )
            if self.members is not None:
                # The same people from the memberships already read (the queryset still validates a choice).
                people = {m.user_id: m.user for m in self.members if m.organization_id in orgs and m.user.is_active}
                ordered = sorted(people.values(), key=lambda u: (u.first_name, u.last_name, u.username))
                field.choices = [("", field.empty_label), *((u.pk, field.label_from_instance(u)) for u in ordered)]
            self.fields["assignee"].initial = self.incident.assignee_id


class CancelForm(ActionForm):
    reason = _text("Why cancel (opened by mistake, duplicate…)", rows=2, required_hint=True)


class CommentForm(ActionForm):
    text = _text("Comment", rows=3, required_hint=True)


class AttachForm(ActionForm):
    file = forms.FileField(label="File", validators=[validate_passive_file])


# -- import --------------------------------------------------------------------------------


class ImportForm(StyledForm):
    contract = ContractChoiceField(queryset=Contract.objects.none(), empty_label="Choose the contract…")
    source = forms.CharField(
        max_length=200,
        label="Source",
        help_text="Where the history comes from, e.g. “ServiceDesk export 2025-05”.",
    )
    format = forms.ChoiceField(
        choices=[("auto", "From the file name (.csv / .json)"), ("csv", "CSV"), ("json", "JSON")], initial="auto"
    )
    file = forms.FileField(
        help_text="CSV with a header line, or a JSON array of objects. Columns: title, severity, environment, "
        "component, opened_at (required); acknowledged_at, resolved_at, description. Times in ISO 8601 with an offset."
    )

    def __init__(self, *args: Any, contracts: QuerySet[Contract], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts

    def file_format(self) -> str:
        chosen = self.cleaned_data["format"]
        if chosen != "auto":
            return chosen
        name = (self.cleaned_data["file"].name or "").lower()
        return "json" if name.endswith(".json") else "csv"
