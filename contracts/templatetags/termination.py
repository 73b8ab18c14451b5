"""``{% termination_state contract as tr %}``: the contract's open termination right (``tr.open``)
and, when none is open, the last one that ended (``tr.last``), for the contract page."""

from __future__ import annotations

from typing import Any

from django import template

from contracts.models import Contract, TerminationRight

register = template.Library()


@register.simple_tag
def termination_state(contract: Contract) -> dict[str, Any]:
    rights = list(
        TerminationRight.objects.filter(contract=contract)
        .exclude(status=TerminationRight.Status.WITHDRAWN)
        .order_by("-raised_at", "-pk")[:1]
    )
    latest = rights[0] if rights else None
    is_open = latest is not None and latest.status == TerminationRight.Status.OPEN
    return {"open": latest if is_open else None, "last": None if is_open else latest}
