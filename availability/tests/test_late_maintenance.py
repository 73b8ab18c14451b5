"""Maintenance recorded after the fact: the vendor records a window with its real (past)
announcement time and evidence; it is judged on that claim but excuses nothing until
the buyer accepts the record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from audit.models import AuditEntry
from availability.data import period_availability
from availability.maintenance import Window, assess
from availability.services import periods as av
from contracts.terms import Terms
from core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


def t(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def october_excused_minutes(contract) -> int:
    terms = Terms(contract.sla_versions.get(number=1).terms)
    data = period_availability(contract, terms, start=t(1, 0), end=t(1, 0, month=11), now=t(5, 9, month=11))
    return sum(int((b - a).total_seconds() // 60) for v in data.maintenance for a, b in v.excused)


def record(vendor, contract, **kw: Any):
    args = {
        "title": "Database upgrade",
        "start": t(12, 2),
        "end": t(12, 3),
        "announced_at": t(1, 9),  # 10 days ahead: enough notice, if true
        "evidence": "Mail to ops@buyer.example, 1 Oct 09:00",
    }
    return av.schedule_maintenance(actor=vendor, contract=contract, **{**args, **kw})


def test_engine_an_unaccepted_window_excuses_nothing_an_accepted_one_is_judged_on_its_claim():
    def w(**kw: Any) -> Window:
        return Window(ref="m", start=t(12, 2), end=t(12, 3), announced_at=t(1, 9), components=(), **kw)

    def run(window: Window):
        [v] = assess(
            [window],
            notice=timedelta(days=5),
            allowance=timedelta(minutes=240),
            period_start=t(1, 0),
            period_end=t(1, 0, month=11),
        )
        return v

    pending, agreed = run(w(agreed=False)), run(w())
    assert not pending.compliant and pending.excused == () and pending.not_excused == ((t(12, 2), t(12, 3)),)
    assert pending.reasons[0].startswith("unaccepted: recorded after the fact")
    assert agreed.compliant and agreed.excused == ((t(12, 2), t(12, 3)),)


def test_it_records_late_then_the_buyer_accepts(clock, contract, vendor, buyer):
    clock.set(t(20, 9))
    window = record(vendor, contract)

    assert window.recorded_late and window.awaiting_acceptance
    assert window.announced_at == t(1, 9) and window.recorded_at == t(20, 9) and window.created_by == vendor
    entry = AuditEntry.objects.get(verb="maintenance.recorded_late")
    assert entry.changes["evidence"] == [None, "Mail to ops@buyer.example, 1 Oct 09:00"]
    clock.set(t(5, 9, month=11))
    assert october_excused_minutes(contract) == 0  # not accepted: the hour counts as downtime

    with pytest.raises(NotPermitted):
        av.accept_late_maintenance(actor=vendor, window=window)
    accepted = av.accept_late_maintenance(actor=buyer, window=window)

    assert accepted.late_accepted_by == buyer and accepted.late_accepted_at == t(5, 9, month=11)
    assert AuditEntry.objects.filter(verb="maintenance.late_accepted", object_id=str(window.pk)).count() == 1
    assert october_excused_minutes(contract) == 60
    with pytest.raises(Conflict):
        av.accept_late_maintenance(actor=buyer, window=window)


def test_the_notice_check_uses_the_claimed_announcement(clock, contract, vendor, buyer):
    clock.set(t(20, 9))
    # Claimed announcement 2 days ahead, 5 required: accepted or not, it excuses nothing.
    window = record(vendor, contract, announced_at=t(10, 2))
    av.accept_late_maintenance(actor=buyer, window=window)
    clock.set(t(5, 9, month=11))
    assert october_excused_minutes(contract) == 0


def test_it_validates_the_late_record(clock, contract, vendor, buyer):
    clock.set(t(20, 9))
    with pytest.raises(InvalidInput) as missing:
        record(vendor, contract, evidence="  ")
    assert list(missing.value.errors) == ["evidence"]
    with pytest.raises(InvalidInput) as future:
        record(vendor, contract, announced_at=t(21, 9))
    assert list(future.value.errors) == ["announced_at"]
    # An announcement "a minute ago" is an ordinary schedule, not a late record.
    on_time = record(vendor, contract, start=t(30, 2), end=t(30, 3), announced_at=t(20, 8, 59), evidence="")
    assert not on_time.recorded_late and on_time.announced_at == t(20, 9)
    with pytest.raises(Conflict):
        av.accept_late_maintenance(actor=buyer, window=on_time)


def test_api_records_shows_and_accepts(clock, client_for, contract, vendor, buyer):
    clock.set(t(20, 9))
    body = {
        "contract": contract.pk,
        "title": "Database upgrade",
        "start": "2026-10-12T02:00:00Z",
        "end": "2026-10-12T03:00:00Z",
        "announced_at": "2026-10-01T09:00:00Z",
    }
    missing = post(client_for(vendor), "/api/maintenance-windows/", body)
    assert missing.status_code == 400 and "evidence" in missing.json()["errors"]

    created = post(client_for(vendor), "/api/maintenance-windows/", {**body, "evidence": "https://mail.example/1"})
    assert created.status_code == 201, created.content
    row = created.json()
    assert row["recorded_late"] is True and row["awaiting_acceptance"] is True
    assert row["recorded_by"] == str(vendor) and row["evidence"] == "https://mail.example/1"
    assert row["announced_at"].startswith("2026-10-01T09:00") and row["notice"]["late"] is False

    url = f"/api/maintenance-windows/{row['id']}/accept/"
    assert post(client_for(vendor), url).status_code == 403
    accepted = post(client_for(buyer), url)
    assert accepted.status_code == 200
    assert accepted.json()["awaiting_acceptance"] is False and accepted.json()["late_accepted_by"] == str(buyer)
    assert post(client_for(buyer), url).status_code == 409


def test_page_shows_the_late_record_and_the_buyer_accepts_it(clock, client_for, contract, vendor, buyer):
    clock.set(t(20, 9))
    window = record(vendor, contract)
    clock.set(t(5, 9, month=11))
    page = f"/availability/contracts/{contract.pk}/?period=2026-10"
    accept = f"/availability/contracts/{contract.pk}/maintenance/{window.pk}/accept/"

    html = client_for(buyer).get(page).content.decode()
    assert "recorded after the fact</span> by" in html and str(vendor) in html
    assert "not yet accepted by the buyer" in html and accept in html
    assert accept not in client_for(vendor).get(page).content.decode()

    response = client_for(buyer).post(accept)
    assert response.status_code == 302
    html = client_for(buyer).get(page).content.decode()
    assert f"accepted by {buyer}" in html and accept not in html
    assert "compliant · excused" in html
