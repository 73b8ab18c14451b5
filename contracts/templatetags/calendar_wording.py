"""``{% clock_change_text %}`` and ``{% closed_day_text %}``: the schedule's sentences on clock
changes and closed days, worded once in ``contracts.wording`` (the rules the business-time engine
applies, stated in ``contracts.calendar_rules``)."""

from __future__ import annotations

from django import template

from contracts.wording import CLOCK_CHANGE_TEXT, CLOSED_DAY_TEXT

register = template.Library()


@register.simple_tag
def clock_change_text() -> str:
    return CLOCK_CHANGE_TEXT


@register.simple_tag
def closed_day_text() -> str:
    return CLOSED_DAY_TEXT
