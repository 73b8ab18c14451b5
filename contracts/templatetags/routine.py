"""``{% onboarding_progress contract as progress %}``: the plan's counts, for
pages whose views do not compute them (the contract page)."""

from __future__ import annotations

from typing import Any

from django import template

from contracts.onboarding.selectors import onboarding_progress as _progress

register = template.Library()


@register.simple_tag
def onboarding_progress(contract: Any) -> dict[str, Any]:
    return _progress(contract)
