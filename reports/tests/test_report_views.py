"""Report pages and API: the parties and the board see them, others get 404;
lists run a fixed number of queries whatever the number of reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reports.models import ServiceReport
from reports.services import close_period
from reports.tests.factories import add_incident, add_outage, at, downtime_for

NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def close_months(contract, months) -> list[ServiceReport]:
    out = []
    for month in months:
        add_outage(contract, start=at(3, month=month), minutes=30)
        out.append(close_period(contract=contract, period=f"2026-{month:02d}", now=NOW))
    return out


@pytest.fixture
def october(contract):
    add_outage(contract, start=at(10), minutes=downtime_for("98.5"))
    add_incident(contract, opened_at=at(10, 0, 10), resolve_after=290, title="Payments API returns 502")
    return close_period(contract=contract, period="2026-10", now=NOW)


def test_contract_reports_list(client_for, buyer, contract, october):
    response = client_for(buyer).get(f"/reports/contract/{contract.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "2026-10" in body and "98.500 %" in body and "99.95 %" in body
    assert "EUR 1,200.00" in body
    assert f"/reports/{october.pk}/pdf/" in body


def test_report_page_mirrors_the_pdf(client_for, vendor, october):
    response = client_for(vendor).get(f"/reports/{october.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Service report: October 2026", "Northwind Bank", "Acme Cloud", "Payments API returns 502"):
        assert text in body
    assert october.checksum in body
    assert "<svg" in body  # the same server-side chart as the PDF
    assert "Credits on the ledger" in body


def test_pdf_download_is_checked_and_never_a_media_url(client_for, buyer, board_member, october):
    for user in (buyer, board_member):
        response = client_for(user).get(f"/reports/{october.pk}/pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    october.refresh_from_db()
    assert october.pdf_sha256  # rendered once, stored, served from storage afterwards
    page = client_for(buyer).get(f"/reports/{october.pk}/").content.decode()
    assert "/media/" not in page


def test_outsider_gets_404_everywhere(client_for, outsider, contract, october):
    client = client_for(outsider)
    for url in (
        f"/reports/contract/{contract.pk}/",
        f"/reports/{october.pk}/",
        f"/reports/{october.pk}/pdf/",
        f"/reports/{october.pk}/revisions/",
        f"/api/reports/{october.pk}/",
        f"/api/reports/{october.pk}/pdf/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/reports/").json()["count"] == 0
    assert f"/reports/{october.pk}/" not in client.get("/reports/").content.decode()


def test_revision_history_shows_what_changed(client_for, buyer, staff, contract, october):
    from reports.services import reissue_report

    new = reissue_report(actor=staff, contract=contract, period="2026-10", reason="Test", changes=["Outage corrected"])
    body = client_for(buyer).get(f"/reports/{october.pk}/revisions/").content.decode()
    assert "Revision 2" in body and "Revision 1" in body and "Outage corrected" in body
    old_page = client_for(buyer).get(f"/reports/{october.pk}/").content.decode()
    assert f"/reports/{new.pk}/" in old_page and "superseded" in old_page


def test_api_list_detail_and_pdf(client_for, buyer, contract, october):
    client = client_for(buyer)
    listing = client.get(f"/api/reports/?contract={contract.pk}&period=2026-10").json()
    assert listing["count"] == 1
    row = listing["results"][0]
    assert row["availability"] == "98.500" and row["availability_target"] == "99.95"
    assert row["credit_total"] == "1200.00" and row["termination_triggered"] is False
    assert "snapshot" not in row
    detail = client.get(f"/api/reports/{october.pk}/").json()
    assert detail["checksum"] == october.checksum
    assert detail["snapshot"]["credits"]["total"] == "1200.00"
    pdf = client.get(f"/api/reports/{october.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get("/api/reports/?period=2026-09").json()["count"] == 0
    schema = client.get("/api/schema/").content.decode()
    assert "/api/reports/{id}/pdf/" in schema


@pytest.mark.parametrize(
    "url",
    [
        "/reports/contract/{pk}/",
        "/reports/",
        "/api/reports/?contract={pk}",
        "/",
    ],
)
def test_lists_run_a_constant_number_of_queries(client_for, buyer, contract, count_queries, url):
    client = client_for(buyer)
    target = url.format(pk=contract.pk)
    close_months(contract, [1, 2])
    client.get(target)  # warm caches (session, content types)
    small = count_queries(lambda: client.get(target))
    close_months(contract, [3, 4, 5, 6, 7])
    large = count_queries(lambda: client.get(target))
    assert small == large, f"{target}: {small} queries with 2 reports, {large} with 7"
    assert client.get(target).status_code == 200


def test_dashboard_counts(client_for, buyer, contract, october):
    contract.termination_right = True
    contract.save(update_fields=["termination_right"])
    body = client_for(buyer).get("/").content.decode()
    assert "Termination rights" in body and contract.reference in body
    assert "Latest service reports" in body and "2026-10" in body
    assert "/incidents/?breached=true" in body


def test_report_page_links_breaches_to_incidents_and_credits_to_the_ledger(client_for, buyer, contract, october):
    from incidents.models import Incident
    from reports.models import Credit
    from reports.services.publish import render_report_html

    incident = Incident.objects.get(title="Payments API returns 502")
    credits = list(Credit.objects.filter(report=october))
    assert october.snapshot["breaches"] and credits
    body = client_for(buyer).get(f"/reports/{october.pk}/").content.decode()
    assert f'<a href="/incidents/{incident.pk}/">{incident.reference}</a>' in body
    for credit in credits:
        assert f'href="/ledger/contracts/{contract.pk}/?period=2026-10#credit-{credit.pk}"' in body
    # The ledger page carries the anchor the link points at.
    ledger = client_for(buyer).get(f"/ledger/contracts/{contract.pk}/?period=2026-10").content.decode()
    assert f'id="credit-{credits[0].pk}"' in ledger
    # The PDF has no request to resolve links against: it shows the same text without them.
    pdf_html = render_report_html(october)
    assert incident.reference in pdf_html and f"/incidents/{incident.pk}/" not in pdf_html
    assert "#credit-" not in pdf_html
