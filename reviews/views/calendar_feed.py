"""The contract's subscribed iCalendar feed: maintenance, changes, notice deadline, term end and review meetings."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from availability import ical
from availability.models import ChangeNotice, MaintenanceWindow
from availability.services import periods as av
from contracts.models import Contract
from core.downloads import content_disposition
from reviews import packet as document
from reviews.ical import governance_events
from reviews.models import AnnualReview


def calendar_ics(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The contract's whole calendar for a subscribed calendar app: maintenance
    and changes (as the availability feed has them) plus the notice deadline,
    the term end and the review meetings. Same secret token as that feed."""
    feed = av.feed_for_token(pk, token)
    if feed is None:
        raise Http404("No such calendar.")
    contract = Contract.objects.select_related("buyer", "vendor").get(pk=feed.contract_id)
    now = timezone.now()
    horizon = now - timedelta(days=90)
    version = document.reference_version(contract, now)
    notice_days = version.terms["exclusions"]["maintenance_notice_days"] if version else 0
    windows = MaintenanceWindow.objects.filter(contract=contract, end__gte=horizon).order_by("start")
    notices = ChangeNotice.objects.filter(contract=contract, planned_at__gte=horizon).order_by("planned_at")
    body = governance_events(
        ical.build_calendar(contract, windows, notices, notice_days=notice_days),
        contract,
        AnnualReview.objects.filter(contract=contract).order_by("anniversary"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition(f"{contract.reference}-calendar.ics", inline=True)
    response["Cache-Control"] = "private, max-age=300"
    return response
