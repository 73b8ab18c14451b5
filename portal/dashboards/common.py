"""What every role's dashboard shares: the limits, who is looking (their roles
and the contracts in scope) and the headline aggregate. Its incident figures
never count the history: open and breached incidents are the sum of the
visible contracts' maintained counters (``incidents.counters``); what time
alone changes (at risk, a breach the watcher has not recorded yet) is a
capped count over the running targets' indexes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, IntegerField, Q, QuerySet, Subquery, Sum

from accounts.access import organization_ids_of_kind
from accounts.models import Organization
from contracts.models import Contract
from incidents.counters import unrecorded_breaches
from incidents.models import Incident

LIST_LIMIT = 8  # vendors, contracts and reviews per panel; a link leads to the full list
ONBOARDING_LIMIT = 8
COUNT_CAP = 1000  # counts stop here and read "1,000+"
RENEWAL_DAYS = 120
BREACH_DAYS = 90
SPARK_PERIODS = 12
SPARK_LOOKBACK_DAYS = 3 * 366 + 92  # twelve quarters and the one in progress


# -- counting without scanning ----------------------------------------------------------------


class CappedCount(Subquery):
    """``COUNT(*)`` over the first ``cap + 1`` rows of a queryset, as a scalar
    subquery: the database stops reading after ``cap + 1`` rows whatever the
    history holds. Marked as an aggregate so it can sit in ``aggregate()``
    beside real aggregates (it is uncorrelated, so it runs once)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = IntegerField()
    contains_aggregate = True

    def __init__(self, queryset: QuerySet[Any], *, cap: int) -> None:
        super().__init__(queryset.order_by().values("pk")[: cap + 1])


@dataclass(frozen=True)
class Capped:
    """A count that may have stopped at the cap: prints "1,000+" then
    (``cap=None``: an exact figure, from the maintained counters)."""

    value: int
    cap: int | None

    @property
    def more(self) -> bool:
        return self.cap is not None and self.value > self.cap

    def __bool__(self) -> bool:
        return self.value > 0

    def __str__(self) -> str:
        return f"{self.cap:,}+" if self.more else f"{self.value:,}"


# -- who is looking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    buyer_org_ids: list[int]
    vendor_org_ids: list[int]
    staff: bool

    @property
    def buyer(self) -> bool:
        # Staff without a membership look at the whole portfolio as a buyer would.
        return bool(self.buyer_org_ids) or (self.staff and not self.vendor_org_ids)

    @property
    def vendor(self) -> bool:
        return bool(self.vendor_org_ids)


def roles_of(user: Any) -> Roles:
    return Roles(
        buyer_org_ids=organization_ids_of_kind(user, Organization.Kind.BUYER),
        vendor_org_ids=organization_ids_of_kind(user, Organization.Kind.VENDOR),
        staff=bool(getattr(user, "is_staff", False)),
    )


def buyer_scope(user: Any, roles: Roles) -> QuerySet[Contract]:
    contracts = Contract.objects.visible_to(user)
    return contracts.filter(buyer_id__in=roles.buyer_org_ids) if roles.buyer_org_ids else contracts


def vendor_scope(user: Any, roles: Roles) -> QuerySet[Contract]:
    return Contract.objects.visible_to(user).filter(vendor_id__in=roles.vendor_org_ids)


# -- headline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    active: int
    termination: int
    renewals: int
    vendors: int  # distinct vendors on the buyer side's active contracts
    vendor_contracts: int  # active contracts the person's vendor organization holds
    board_contracts: int  # contracts the person sits on the board of
    open_incidents: Capped
    breached_open: Capped
    at_risk: Capped


def headline(user: Any, roles: Roles, *, now: datetime, today: date, cap: int = COUNT_CAP) -> Headline:
    contracts = Contract.objects.visible_to(user)
    active = Q(status=Contract.Status.ACTIVE)
    renewal = active & Q(notice_deadline__gte=today, notice_deadline__lte=today + timedelta(days=RENEWAL_DAYS))
    # The buyer side: the person's buying organizations (staff: everything; not a buyer: nothing).
    buyer_side = Q(buyer_id__in=roles.buyer_org_ids) if roles.buyer_org_ids or not roles.buyer else Q()
    visible = Incident.objects.visible_to(user)
    row = contracts.aggregate(
        active=Count("pk", filter=active),
        termination=Count("pk", filter=Q(termination_right=True)),
        renewals=Count("pk", filter=renewal),
        vendors=Count("vendor_id", filter=active & buyer_side, distinct=True),
        vendor_contracts=Count("pk", filter=active & Q(vendor_id__in=roles.vendor_org_ids)),
        board_contracts=Count("pk", filter=Q(pk__in=user.board_seats.values("contract_id"))),
        open_incidents=Sum("incident_counts__open"),
        breached_recorded=Sum("incident_counts__breached_open"),
        breached_unrecorded=CappedCount(unrecorded_breaches(visible, now), cap=cap),
        at_risk=CappedCount(visible.unfinished().at_risk(now=now), cap=cap),
    )
    recorded, unrecorded = row["breached_recorded"] or 0, row["breached_unrecorded"]
    return Headline(
        active=row["active"],
        termination=row["termination"],
        renewals=row["renewals"],
        vendors=row["vendors"] or 0,
        vendor_contracts=row["vendor_contracts"],
        board_contracts=row["board_contracts"],
        open_incidents=Capped(row["open_incidents"] or 0, None),
        breached_open=Capped(recorded + unrecorded, recorded + cap if unrecorded > cap else None),
        at_risk=Capped(row["at_risk"], cap),
    )
