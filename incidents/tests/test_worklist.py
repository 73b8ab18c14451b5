"""Working the incident list: assign, my queue, cancel, bulk acknowledge and
assign, saved filters, CSV and XLSX exports (API and page)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from accounts.tests.factories import MembershipFactory, UserFactory
from audit.models import AuditEntry
from incidents import services
from incidents.models import Incident, SavedFilter
from reports.snapshot import gather

pytestmark = pytest.mark.django_db


def post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def open_incident(buyer: Any, contract: Any, title: str = "Payments API returns 500", **extra: Any) -> Incident:
    fields = {"severity": "critical", "environment": "production", "component": "api", **extra}
    return services.open_incident(actor=buyer, contract=contract, title=title, **fields)


# -- assign -------------------------------------------------------------------------------


def test_vendor_assigns_own_engineer_and_it_lands_in_their_queue(client_for, contract, buyer, vendor, vendor_engineer):
    inc = open_incident(buyer, contract)
    other = open_incident(buyer, contract, title="Other")
    r = post(client_for(vendor), f"/api/incidents/{inc.pk}/assign/", {"assignee": vendor_engineer.pk})
    assert r.status_code == 200, r.content
    inc.refresh_from_db()
    assert inc.assignee_id == vendor_engineer.pk
    assert inc.events.filter(kind="assigned").count() == 1
    assert AuditEntry.objects.filter(verb="incident.assigned", object_id=str(inc.pk)).exists()

    queue = client_for(vendor_engineer).get("/api/incidents/?queue=mine").json()["results"]
    assert [row["id"] for row in queue] == [inc.pk]
    assert other.pk not in [row["id"] for row in queue]


def test_a_side_cannot_assign_the_other_sides_people(client_for, contract, buyer, vendor_engineer):
    inc = open_incident(buyer, contract)
    r = post(client_for(buyer), f"/api/incidents/{inc.pk}/assign/", {"assignee": vendor_engineer.pk})
    assert r.status_code == 400
    assert "assignee" in r.json()["errors"]
    # An id that does not exist reads the same (no oracle for user ids).
    r2 = post(client_for(buyer), f"/api/incidents/{inc.pk}/assign/", {"assignee": 999999})
    assert r2.status_code == 400 and r2.json()["errors"] == r.json()["errors"]
    inc.refresh_from_db()
    assert inc.assignee_id is None


def test_buyer_queue_holds_what_awaits_the_buyer(client_for, contract, buyer, vendor_engineer):
    waiting = open_incident(buyer, contract, title="Awaits buyer")
    services.acknowledge_incident(actor=vendor_engineer, incident=waiting)
    services.propose_workaround(actor=vendor_engineer, incident=waiting, text="Use the mirror")
    open_incident(buyer, contract, title="Vendor's turn")
    rows = client_for(buyer).get("/api/incidents/?queue=mine").json()["results"]
    assert [r["id"] for r in rows] == [waiting.pk]


# -- cancel -------------------------------------------------------------------------------


def test_buyer_cancels_an_incident_opened_by_mistake(client_for, contract, buyer, vendor_engineer):
    inc = open_incident(buyer, contract)
    assert inc.next_due_at is not None
    r = post(client_for(vendor_engineer), f"/api/incidents/{inc.pk}/cancel/", {"reason": "mine"})
    assert r.status_code == 403
    r = post(client_for(buyer), f"/api/incidents/{inc.pk}/cancel/", {"reason": ""})
    assert r.status_code == 400 and "reason" in r.json()["errors"]

    r = post(client_for(buyer), f"/api/incidents/{inc.pk}/cancel/", {"reason": "Opened on the wrong contract"})
    assert r.status_code == 200, r.content
    inc.refresh_from_db()
    assert inc.status == Incident.Status.CANCELLED and inc.cancel_reason == "Opened on the wrong contract"
    assert inc.next_due_at is None and inc.next_escalation_at is None and inc.next_risk_at is None
    assert Incident.objects.unfinished().filter(pk=inc.pk).count() == 0
    # Nothing more can happen to it.
    r = post(client_for(vendor_engineer), f"/api/incidents/{inc.pk}/acknowledge/", {})
    assert r.status_code == 409
    r = post(client_for(buyer), f"/api/incidents/{inc.pk}/cancel/", {"reason": "again"})
    assert r.status_code == 409


def test_a_cancelled_incident_counts_in_no_report(contract, buyer):
    kept = open_incident(buyer, contract, title="Real")
    gone = open_incident(buyer, contract, title="Mistake")
    services.cancel_incident(actor=buyer, incident=gone, reason="duplicate")
    label = kept.opened_at.strftime("%Y-%m")
    snap = gather(contract, label, now=timezone.now())
    assert snap["incidents"]["opened"] == 1 and snap["incidents"]["counted"] == 1
    assert gone.reference not in json.dumps(snap, default=str)


def test_cancelled_playbook_cannot_be_ticked_and_shows_nothing_due(client_for, contract, buyer):
    inc = open_incident(buyer, contract)
    services.cancel_incident(actor=buyer, incident=inc, reason="test alarm")
    page = client_for(buyer).get(f"/incidents/{inc.pk}/")
    assert page.status_code == 200
    assert "Cancelled" in page.content.decode()
    assert "test alarm" in page.content.decode()


# -- bulk ---------------------------------------------------------------------------------


def test_bulk_acknowledge_reports_each_refusal(client_for, contract, foreign_contract, buyer, vendor_engineer):
    a = open_incident(buyer, contract, title="A")
    b = open_incident(buyer, contract, title="B")
    services.acknowledge_incident(actor=vendor_engineer, incident=b)
    foreign = open_incident(buyer, foreign_contract, title="Not theirs")
    r = post(
        client_for(vendor_engineer),
        "/api/incidents/bulk-acknowledge/",
        {"incidents": [a.pk, b.pk, foreign.pk, 999999]},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["done"] == [a.pk]
    assert set(body["refused"]) == {str(b.pk), str(foreign.pk), "999999"}
    # Another tenant's incident reads exactly like a missing one.
    assert body["refused"][str(foreign.pk)] == body["refused"]["999999"]
    a.refresh_from_db()
    foreign.refresh_from_db()
    assert a.status == "acknowledged" and foreign.status == "open"


def test_bulk_refuses_too_many_and_names_the_field(client_for, vendor_engineer):
    r = post(client_for(vendor_engineer), "/api/incidents/bulk-acknowledge/", {"incidents": list(range(1, 202))})
    assert r.status_code == 400 and "incidents" in r.json()["errors"]


def test_bulk_assign_from_the_page(client_for, contract, buyer, vendor, vendor_engineer):
    a = open_incident(buyer, contract, title="A")
    b = open_incident(buyer, contract, title="B")
    r = client_for(vendor).post(
        "/incidents/bulk/", {"incidents": [a.pk, b.pk], "action": "assign", "assignee": vendor_engineer.pk}
    )
    assert r.status_code == 302
    assert set(Incident.objects.filter(assignee=vendor_engineer).values_list("pk", flat=True)) == {a.pk, b.pk}


# -- saved filters ------------------------------------------------------------------------


def test_saved_filters_are_personal(client_for, buyer, buyer_ops):
    c = client_for(buyer)
    r = c.post("/incidents/filters/", {"name": "Sev-1 breached", "query": "severity=critical&breached=true"})
    assert r.status_code == 302 and r["Location"].endswith("?severity=critical&breached=true")
    saved = SavedFilter.objects.get(user=buyer)
    page = c.get("/incidents/").content.decode()
    assert "Sev-1 breached" in page
    assert "Sev-1 breached" not in client_for(buyer_ops).get("/incidents/").content.decode()
    assert client_for(buyer_ops).post(f"/incidents/filters/{saved.pk}/delete/").status_code == 404
    assert c.post(f"/incidents/filters/{saved.pk}/delete/").status_code == 302
    assert not SavedFilter.objects.exists()


# -- exports ------------------------------------------------------------------------------


def test_csv_export_follows_filters_visibility_and_guards_formulas(
    client_for, contract, foreign_contract, buyer, vendor_engineer
):
    open_incident(buyer, contract, title='=HYPERLINK("http://evil")', severity="critical")
    open_incident(buyer, contract, title="Low one", severity="low")
    open_incident(buyer, foreign_contract, title="Other vendor's")
    r = client_for(vendor_engineer).get("/incidents/?export=csv&severity=critical")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert 'filename="incidents.csv"' in r["Content-Disposition"]
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Reference"
    titles = [row[1] for row in rows[1:]]
    assert titles == ['\'=HYPERLINK("http://evil")']


def test_xlsx_export_through_the_api(client_for, contract, buyer):
    open_incident(buyer, contract, title="@SUM(A1:A9)")
    open_incident(buyer, contract, title="Plain")
    r = client_for(buyer).get("/api/incidents/export/?export=xlsx")
    assert r.status_code == 200, r.content
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Reference"
    titles = sorted(row[1] for row in values[1:])
    assert titles == ["@SUM(A1:A9)", "Plain"]
    # Stored as text, never as a formula.
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in cells)


def test_export_rejects_an_unknown_format(client_for, buyer):
    r = client_for(buyer).get("/api/incidents/export/?export=pdf")
    assert r.status_code == 400 and "export" in r.json()["errors"]
    assert client_for(buyer).get("/incidents/?export=pdf").status_code == 400


def test_export_and_list_queries_do_not_grow_with_rows(
    client_for, contract, buyer, vendor, vendor_engineer, count_queries
):
    def add(n: int) -> None:
        for k in range(n):
            inc = open_incident(buyer, contract, title=f"I{k}")
            services.assign_incident(actor=vendor, incident=inc, assignee=vendor_engineer)

    c = client_for(vendor)

    def export() -> None:
        r = c.get("/api/incidents/export/?export=csv")
        assert r.status_code == 200
        b"".join(r.streaming_content)

    def page() -> None:
        r = c.get("/incidents/")
        assert r.status_code == 200 and "assigned to" in r.content.decode()

    add(2)
    page()  # warm the session
    small = (count_queries(export), count_queries(page))
    add(10)
    large = (count_queries(export), count_queries(page))
    assert small == large, (small, large)
    assert large[0] <= 8


def test_membership_factory_people_can_be_assigned(client_for, contract, buyer, vendor_org, vendor):
    newcomer = UserFactory()
    MembershipFactory(user=newcomer, organization=vendor_org, role="support_engineer")
    inc = open_incident(buyer, contract)
    services.assign_incident(actor=vendor, incident=inc, assignee=newcomer)
    inc.refresh_from_db()
    assert inc.assignee_id == newcomer.pk


def test_the_assignee_and_the_vendor_are_told(contract, buyer, vendor, vendor_engineer):
    from accounts.models import Notification

    inc = open_incident(buyer, contract)
    services.assign_incident(actor=vendor, incident=inc, assignee=vendor_engineer)
    assert Notification.objects.filter(user=vendor_engineer, event="incident.assigned").count() == 1
    assert not Notification.objects.filter(user=vendor, event="incident.assigned").exists()
    services.cancel_incident(actor=buyer, incident=inc, reason="duplicate")
    told = set(Notification.objects.filter(event="incident.cancelled").values_list("user_id", flat=True))
    assert vendor_engineer.pk in told and buyer.pk not in told
