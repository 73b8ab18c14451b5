"""The contract page's "Legal holds" panel. The contract page belongs to ``contracts``, which sits
below this app: the page only names this tag library in its template."""

from __future__ import annotations

from typing import Any

from django import template

from contracts.access import contract_standing
from contracts.models import Contract
from holds.models import LegalHold
from holds.selectors import holds_for
from holds.services import may_hold

register = template.Library()

RECENTLY_RELEASED = 5


@register.inclusion_tag("holds/_panel.html", takes_context=True)
def legal_holds_panel(context: template.Context, contract: Contract) -> dict[str, Any]:
    request = context["request"]
    return {
        "contract": contract,
        "holds": holds_for(contract),
        "released": list(
            LegalHold.objects.filter(contract=contract, released_at__isnull=False).order_by("-released_at")[
                :RECENTLY_RELEASED
            ]
        ),
        "can_hold": may_hold(request.user, contract) if contract_standing(request.user, contract).sees else False,
        "scopes": LegalHold.Scope.choices,
        "csrf_token": context.get("csrf_token"),
    }
