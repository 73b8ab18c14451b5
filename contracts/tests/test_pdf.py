"""The SLA schedule PDF: rendered without a request, read back as text."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from contracts import services
from contracts.pdf import human_minutes, render_schedule_pdf, weekly_hours

pytestmark = pytest.mark.django_db


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_schedule_pdf_states_the_terms(contract):
    version = contract.sla_versions.get(number=1)
    data = render_schedule_pdf(version)  # no request: a Celery task can call this
    assert data.startswith(b"%PDF")
    text = text_of(data)
    assert "Exhibit: Service Level Schedule" in text
    assert "C-1" in text and "SLA v1" in text
    assert "Northwind Bank" in text and "Acme Cloud" in text
    # Severity targets in human units (critical production: 15 min / 4 h / 1 d).
    assert "15 min" in text and "4 h" in text and "1 d" in text
    assert "24x7" in text
    # Credit tiers worded like the agreement.
    assert "≥ 99.0 % and < 99.95 %: 5 % of the monthly fee" in text
    assert "< 95.0 %: 30 % of the monthly fee" in text
    assert "capped at 30 %" in text
    assert "3 months in a row" in text
    assert "Page 1 of" in text
    assert "DRAFT" not in text


def test_draft_schedule_is_marked_draft(contract, buyer):
    draft = services.sla_version_amend(actor=buyer, contract=contract)
    text = text_of(render_schedule_pdf(draft))
    assert "DRAFT" in text
    assert "SLA v2" in text and "amends v1" in text


def test_business_hours_targets_are_not_shown_in_days(buyer_org, vendor_org):
    from contracts.tests.factories import make_contract

    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-BH", preset="business-hours")
    text = text_of(render_schedule_pdf(contract.sla_versions.get(number=1)))
    assert "business hours" in text
    assert "Mon–Fri" in text and "09:00–18:00" in text
    assert "Germany, Berlin (DE-BE)" in text
    assert "24 h" in text  # 1440 business minutes, not "1 d"


def test_pdf_view_serves_the_version(client_for, buyer, contract):
    response = client_for(buyer).get(reverse("contracts:schedule_pdf", args=[contract.pk, 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="C-1-SLA-v1.pdf"' in response["Content-Disposition"]
    assert "Exhibit: Service Level Schedule" in text_of(response.content)


def test_pdf_view_is_404_for_outsiders_and_unknown_versions(client_for, outsider, buyer, contract):
    assert client_for(outsider).get(reverse("contracts:schedule_pdf", args=[contract.pk, 1])).status_code == 404
    assert client_for(buyer).get(reverse("contracts:schedule_pdf", args=[contract.pk, 5])).status_code == 404


@pytest.mark.parametrize(
    ("minutes", "clock", "expected"),
    [
        (15, "24x7", "15 min"),
        (90, "24x7", "1 h 30 min"),
        (240, "24x7", "4 h"),
        (1440, "24x7", "1 d"),
        (2400, "24x7", "40 h"),
        (1440, "coverage", "24 h"),
    ],
)
def test_human_minutes(minutes, clock, expected):
    assert human_minutes(minutes, clock) == expected


def test_weekly_hours_are_grouped():
    hours = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
    hours.append({"weekday": 5, "start": "22:00", "end": "06:00"})
    assert weekly_hours(hours) == [
        {"days": "Mon–Fri", "hours": "09:00–18:00"},
        {"days": "Sat", "hours": "22:00–06:00 next day"},
        {"days": "Sun", "hours": "no coverage"},
    ]
    all_day = [{"weekday": d, "start": "00:00", "end": "00:00"} for d in range(7)]
    assert weekly_hours(all_day) == [{"days": "Mon–Sun", "hours": "all day"}]
