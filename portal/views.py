from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from contracts.models import Contract, OnboardingItem, TerminationRight
from incidents.models import Incident
from reports.models import ServiceReport
from reports.views import decorate, report_rows
from reviews.dashboard import annual_panels

RENEWAL_DAYS = 120
LATEST_REPORTS = 8
LIST_LIMIT = 8


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What needs attention, across the contracts you may see. A fixed number
    of queries whatever the data: counts are aggregates, lists are capped."""
    user = request.user
    now = timezone.now()
    today = timezone.localdate()
    contracts = Contract.objects.visible_to(user)
    renewal_q = Q(notice_deadline__gte=today, notice_deadline__lte=today + timedelta(days=RENEWAL_DAYS))
    counts = contracts.aggregate(
        active=Count("pk", filter=Q(status=Contract.Status.ACTIVE)),
        termination=Count("pk", filter=Q(termination_right=True)),
        renewals=Count("pk", filter=renewal_q & Q(status=Contract.Status.ACTIVE)),
    )
    incidents = Incident.objects.visible_to(user)
    unfinished = incidents.unfinished()
    incident_counts = {
        "open": unfinished.count(),
        "breached_open": unfinished.breached(now=now).count(),
        "breached_all": incidents.breached(now=now).count(),
        "at_risk": incidents.at_risk(now=now).count(),
    }
    termination = list(
        contracts.filter(termination_right=True)
        .select_related("vendor")
        .annotate(
            right_expires_at=Subquery(
                TerminationRight.objects.open().filter(contract=OuterRef("pk")).values("expires_at")[:1]
            )
        )
        .order_by("termination_right_since")[:LIST_LIMIT]
    )
    renewals = list(
        contracts.filter(renewal_q, status=Contract.Status.ACTIVE)
        .select_related("vendor")
        .order_by("notice_deadline", "reference")[:LIST_LIMIT]
    )
    for c in renewals:
        c.days_to_notice = (c.notice_deadline - today).days
    latest = list(
        report_rows(ServiceReport.objects.visible_to(user).current()).order_by("-period_start", "contract__reference")[
            :LATEST_REPORTS
        ]
    )
    decorate(latest)
    context = {
        "counts": counts,
        "incidents": incident_counts,
        "termination": termination,
        "renewals": renewals,
        "renewal_days": RENEWAL_DAYS,
        "latest_reports": latest,
        **annual_panels(user),  # reviews awaiting my signature, review meetings, open disputes
        "overdue_onboarding": list(OnboardingItem.objects.visible_to(user).overdue().for_list()[:20]),
    }
    return render(request, "portal/dashboard.html", context)
