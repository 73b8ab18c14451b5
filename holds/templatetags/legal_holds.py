"""The contract page's "Legal holds" panel. The contract page belongs to ``contracts``, which sits
below this app: the page only names this tag library in its template."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from contracts.access import contract_standing
from contracts.models import Contract
from holds.models import LegalHold
from holds.selectors import holds_for, legal_holds_of
from holds.services import may_hold
from reviews.models import AnnualReview

register = template.Library()

RECENTLY_RELEASED = 5


@register.inclusion_tag("holds/_panel.html", takes_context=True)
def legal_holds_panel(
    context: template.Context, contract: Contract, reviews: Iterable[AnnualReview] | None = None
) -> dict[str, Any]:
    """``reviews``: the contract's annual reviews when the page has loaded them (not read again)."""
    request = context["request"]
    active, released = legal_holds_of(contract, released=RECENTLY_RELEASED)
    return {
        "contract": contract,
        "holds": holds_for(contract, legal_holds=active, reviews=reviews),
        "released": released,
        "can_hold": may_hold(request.user, contract) if contract_standing(request.user, contract).sees else False,
        "scopes": LegalHold.Scope.choices,
        "csrf_token": context.get("csrf_token"),
    }
