"""The home dashboard's selectors, shaped by role: what a buyer, a vendor and
a board member each look at first. Read-only, typed, and a fixed number of
queries whatever the data:

* one headline aggregate (``common``: contract counts, the visible contracts'
  maintained incident counters summed, and the time-driven counts (at risk,
  breaches not yet recorded) over the running targets' indexes, capped);
* buyer (``buyer``): one query for the vendor scorecards, one for their
  availability sparklines;
* vendor (``vendor``): one query for its contracts across buyers (capped);
* board (``reviews.dashboard``): one query for the reviews and signatures due;
* everyone: one for overdue onboarding items (capped).

A person with several roles gets the panels of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from contracts.models import OnboardingItem
from portal.dashboards.buyer import Scorecard, SparkPeriod, breach_window_start, vendor_scorecards
from portal.dashboards.common import (
    BREACH_DAYS,
    COUNT_CAP,
    LIST_LIMIT,
    ONBOARDING_LIMIT,
    RENEWAL_DAYS,
    SPARK_PERIODS,
    Capped,
    CappedCount,
    Headline,
    Roles,
    headline,
    roles_of,
)
from portal.dashboards.vendor import VendorContract, vendor_contracts
from reviews.dashboard import BoardReview, board_reviews

__all__ = [
    "BREACH_DAYS",
    "COUNT_CAP",
    "LIST_LIMIT",
    "ONBOARDING_LIMIT",
    "RENEWAL_DAYS",
    "SPARK_PERIODS",
    "BoardReview",
    "Capped",
    "CappedCount",
    "Dashboard",
    "Headline",
    "Roles",
    "Scorecard",
    "SparkPeriod",
    "VendorContract",
    "dashboard_for",
    "roles_of",
]


@dataclass
class Dashboard:
    roles: Roles
    headline: Headline
    scorecards: list[Scorecard] | None  # None: not a buyer
    vendor_contracts: list[VendorContract] | None  # None: not a vendor
    board: list[BoardReview] | None  # None: on no board
    overdue_onboarding: list[OnboardingItem]
    breach_since: datetime  # the start of the breach window, for the incident list link

    @property
    def awaiting_signature(self) -> list[BoardReview]:
        return [r for r in self.board or [] if r.awaiting_me]


def dashboard_for(user: Any, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localdate(now)
    roles = roles_of(user)
    # COUNT_CAP is read here, from this package, so a test can lower it in one place.
    head = headline(user, roles, now=now, today=today, cap=COUNT_CAP)
    return Dashboard(
        roles=roles,
        headline=head,
        scorecards=vendor_scorecards(user, roles, now=now, today=today) if roles.buyer else None,
        vendor_contracts=vendor_contracts(user, roles, now=now, today=today) if roles.vendor else None,
        board=board_reviews(user, limit=LIST_LIMIT) if head.board_contracts else None,
        overdue_onboarding=list(OnboardingItem.objects.visible_to(user).overdue(today).for_list()[:ONBOARDING_LIMIT]),
        breach_since=breach_window_start(now),
    )
