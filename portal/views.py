from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.dashboards import BREACH_DAYS, LIST_LIMIT, RENEWAL_DAYS, SPARK_PERIODS, dashboard_for


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What needs attention, shaped by the person's roles (buyer, vendor,
    board member; several at once when they hold several). At most ten
    queries with the session and the top bar, whatever the data: counts are
    aggregates or capped, lists are capped (see portal/dashboards/)."""
    board = dashboard_for(request.user)
    context = {
        "dash": board,
        "head": board.headline,
        "renewal_days": RENEWAL_DAYS,
        "breach_days": BREACH_DAYS,
        "spark_periods": SPARK_PERIODS,
        "list_limit": LIST_LIMIT,
    }
    return render(request, "portal/dashboard.html", context)
