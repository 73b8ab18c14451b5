"""The availability page, its actions, the iCal feed and the SVG chart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from icalendar import Calendar

from accounts.models import Membership
from availability.ical import notice_uid, window_uid
from availability.models import CalendarFeed, ChangeNotice
from availability.services import periods as av
from core.charts import ChartPoint, availability_chart

pytestmark = pytest.mark.django_db


def t(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def page(contract) -> str:
    return f"/availability/contracts/{contract.pk}/"


@pytest.fixture
def october(clock, contract, staff, vendor):
    """A month with an outage, a late and a compliant window and two changes; now is 5 Nov."""
    av.record_outage(actor=staff, contract=contract, component="api", start=t(3, 10), end=t(3, 11), reason="probe gap")
    clock.set(t(1, 9))
    ok = av.schedule_maintenance(
        actor=vendor, contract=contract, title="Database upgrade", start=t(12, 2), end=t(12, 3)
    )
    clock.set(t(18, 1))
    late = av.schedule_maintenance(
        actor=vendor, contract=contract, title="Web tier patch", start=t(20, 1), end=t(20, 2), components=["web"]
    )
    cancelled = av.schedule_maintenance(actor=vendor, contract=contract, title="Dropped", start=t(25, 1), end=t(25, 2))
    av.cancel_maintenance(actor=vendor, window=cancelled)
    major = av.announce_change(
        actor=vendor,
        contract=contract,
        kind="major_release",
        title="Ledger 5.0",
        planned_at=t(30, 6),
        impact="New API version",
        expected_downtime_minutes=20,
        rollback_plan="Switch traffic back to 4.x",
    )
    patch = av.announce_change(
        actor=vendor,
        contract=contract,
        kind="security_patch",
        title="OpenSSL",
        planned_at=t(20, 6),
        impact="Restart of web nodes",
    )
    clock.set(t(5, 9, month=11))
    return {"ok": ok, "late": late, "cancelled": cancelled, "major": major, "patch": patch}


def test_page_shows_the_period_chart_verdicts_and_change_log(client_for, contract, buyer, october):
    response = client_for(buyer).get(page(contract) + "?period=2026-10")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and ">99.95 %</text>" in html and "Oct 26" in html and "Nov 26" in html
    # The api outage (60 min) and the late web window (60 min): (44640 - 120) / 44640 = 99.7311.. -> 99.731
    assert "99.731 %" in html and "120.0 <small>min</small>" in html
    assert "announced 2 days ahead, the agreement requires 5 days; the whole window counts as downtime" in html
    assert "Database upgrade" in html and "compliant" in html
    assert "Ledger 5.0" in html and "requires 30 days" in html and "late" in html
    assert "Acknowledge" in html and "Ask a question" in html  # the buyer answers changes
    assert "Schedule maintenance" not in html  # only the vendor schedules
    assert "Create my calendar URL" in html


def test_vendor_sees_scheduling_and_claims_but_not_buyer_buttons(client_for, contract, vendor, october):
    html = client_for(vendor).get(page(contract)).content.decode()
    assert "Schedule maintenance" in html and "Announce a change" in html and "Claim exclusion" in html
    assert ">Acknowledge<" not in html


def test_outsider_gets_404_on_every_page_and_action(client_for, contract, outsider, october):
    client = client_for(outsider)
    notice = october["major"]
    assert client.get(page(contract)).status_code == 404
    for path in (
        f"{page(contract)}changes/{notice.pk}/acknowledge/",
        f"{page(contract)}maintenance/new/",
        f"{page(contract)}changes/new/",
        f"{page(contract)}calendar/",
    ):
        assert client.post(path).status_code == 404, path
    assert Client().get(page(contract)).status_code == 302  # anonymous: to the login page


def test_buyer_acknowledges_and_questions_changes_on_the_page(client_for, contract, buyer, vendor, october):
    client = client_for(buyer)
    major, patch = october["major"], october["patch"]
    response = client.post(f"{page(contract)}changes/{major.pk}/question/", {"question": "Is v4 kept?"}, follow=True)
    assert response.status_code == 200 and "Question sent" in response.content.decode()
    client.post(f"{page(contract)}changes/{patch.pk}/acknowledge/")
    statuses = dict(ChangeNotice.objects.values_list("title", "status"))
    assert statuses == {"Ledger 5.0": "questioned", "OpenSSL": "acknowledged"}
    empty = client.post(f"{page(contract)}changes/{major.pk}/question/", {"question": " "}, follow=True)
    assert (
        "question" in empty.content.decode().lower()
        and ChangeNotice.objects.get(pk=major.pk).buyer_response == "Is v4 kept?"
    )
    denied = client_for(vendor).post(f"{page(contract)}changes/{major.pk}/acknowledge/")
    assert denied.status_code == 403


def test_vendor_schedules_maintenance_from_the_page(client_for, contract, vendor, october):
    client = client_for(vendor)
    url = f"{page(contract)}maintenance/new/"
    bad = client.post(url, {"title": "Swap disks", "start": "2026-11-20T03:00", "end": "2026-11-20T02:00"})
    assert bad.status_code == 400 and "after the start" in bad.content.decode()
    good = client.post(
        url, {"title": "Swap disks", "start": "2026-11-20T02:00", "end": "2026-11-20T03:00", "components": ["api"]}
    )
    assert good.status_code == 302
    html = client.get(good["Location"]).content.decode()
    assert "Maintenance window scheduled." in html, html[html.find('class="messages"') :][:500]
    assert "Swap disks" in html and "14 days 17 h ahead" in html


def test_calendar_feed_parses_and_has_the_right_events(client_for, contract, buyer, october):
    client_for(buyer).post(f"{page(contract)}calendar/")
    feed = CalendarFeed.objects.get(user=buyer, contract=contract)
    url = f"{page(contract)}calendar/{av.feed_token(feed)}.ics"
    response = Client().get(url)  # calendar apps do not sign in
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    windows, notices = october, october
    assert set(events) == {
        window_uid(windows["ok"]),
        window_uid(windows["late"]),
        window_uid(windows["cancelled"]),
        notice_uid(notices["major"]),
        notice_uid(notices["patch"]),
    }
    ok = events[window_uid(windows["ok"])]
    assert str(ok["SUMMARY"]) == "Maintenance: Database upgrade"
    assert ok.decoded("DTSTART") == t(12, 2) and ok.decoded("DTEND") == t(12, 3)
    assert str(events[window_uid(windows["cancelled"])]["STATUS"]) == "CANCELLED"
    assert "counts as downtime" in str(events[window_uid(windows["late"])]["DESCRIPTION"])
    major = events[notice_uid(notices["major"])]
    assert str(major["SUMMARY"]) == "LATE Major release: Ledger 5.0" and major.decoded("DTSTART") == t(30, 6)
    assert str(calendar["X-WR-CALNAME"]) == "C-1 maintenance and changes"
    # The same URL again gives the same UIDs: calendar apps update events in place.
    assert {str(e["UID"]) for e in Calendar.from_ical(Client().get(url).content).walk("VEVENT")} == set(events)


def test_calendar_feed_rotation_and_someone_elses_token(
    client_for, contract, foreign_contract, buyer, outsider, october
):
    client_for(buyer).post(f"{page(contract)}calendar/")
    old = av.feed_token(CalendarFeed.objects.get(user=buyer))
    assert old in client_for(buyer).get(page(contract)).content.decode()  # shown again on the page
    client_for(buyer).post(f"{page(contract)}calendar/", {"rotate": "1"})
    new = av.feed_token(CalendarFeed.objects.get(user=buyer))
    assert new != old
    assert Client().get(f"{page(contract)}calendar/{old}.ics").status_code == 404
    assert Client().get(f"{page(contract)}calendar/{new}.ics").status_code == 200
    # The outsider's own token is for the foreign contract: it opens nothing of this one.
    _, theirs = av.calendar_feed(actor=outsider, contract=foreign_contract)
    assert Client().get(f"{page(contract)}calendar/{theirs}.ics").status_code == 404
    assert Client().get(f"{page(foreign_contract)}calendar/{theirs}.ics").status_code == 200
    # A person who loses access loses the feed.
    Membership.objects.filter(user=buyer).update(is_active=False)
    assert Client().get(f"{page(contract)}calendar/{new}.ics").status_code == 404


def test_page_queries_do_not_grow_with_rows(clock, client_for, contract, staff, vendor, buyer, count_queries):
    def add(n: int, offset: int) -> None:
        clock.set(t(1, 9))
        for i in range(offset, offset + n):
            av.record_outage(
                actor=staff, contract=contract, component="api", start=t(2 + i, 10), end=t(2 + i, 11), reason="x"
            )
            av.schedule_maintenance(actor=vendor, contract=contract, title=f"w{i}", start=t(2 + i, 1), end=t(2 + i, 2))
            av.announce_change(
                actor=vendor, contract=contract, kind="minor_release", title=f"c{i}", planned_at=t(2 + i, 3), impact="y"
            )
        clock.set(t(5, 9, month=11))

    client = client_for(buyer)
    url = page(contract) + "?period=2026-10"
    add(2, 0)
    client.get(url)
    small = count_queries(lambda: client.get(url))
    add(12, 2)
    large = count_queries(lambda: client.get(url))
    assert small == large, (small, large)


def test_bad_period_is_404(client_for, contract, buyer, october):
    assert client_for(buyer).get(page(contract) + "?period=2026-13").status_code == 404


# -- the chart --------------------------------------------------------------------------------


def test_chart_is_self_contained_svg_with_bars_and_target():
    points = [
        ChartPoint("Sep 26", Decimal("99.982"), title="September 2026: 99.982 %"),
        ChartPoint("Oct 26", Decimal("99.663")),
        ChartPoint("Nov <26>", Decimal("100.000"), partial=True),
        ChartPoint("Dec 26", None),
    ]
    svg = availability_chart(points, target=Decimal("99.95"), title="Service & more")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script" not in svg and "class=" not in svg and "href" not in svg
    assert "Service &amp; more" in svg and "Nov &lt;26&gt;" in svg  # text is escaped
    assert ">target<" in svg and ">99.95 %<" in svg and "no data" in svg and "so far" in svg
    assert svg.count('rx="2" fill="#1b7f3b"') == 1 and svg.count('rx="2" fill="#b3261e"') == 1  # met, missed
    assert "99.663" in svg and "99.982" in svg


def test_chart_axis_zooms_out_for_a_bad_month():
    svg = availability_chart([ChartPoint("Jan", Decimal("95.5"))], target=Decimal("99.9"))
    assert ">95 %<" in svg or ">94 %<" in svg or ">94.0 %<" in svg
