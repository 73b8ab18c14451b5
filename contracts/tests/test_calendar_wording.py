"""The SLA schedule states the calendar rules the business-time engine applies."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from contracts.pdf import render_schedule_pdf
from contracts.tests.factories import make_contract
from contracts.wording import holidays_text

pytestmark = pytest.mark.django_db


def words_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_it_states_closed_days_and_clock_changes(buyer_org, vendor_org):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-CAL", preset="business-hours")
    text = words_of(render_schedule_pdf(contract.sla_versions.get(number=1)))
    # Public holidays and named closures remove the whole local day; overnight shifts are cut at midnight.
    assert "Public holidays in Germany, Berlin (DE-BE) are excluded from coverage." in text
    assert text.count("no coverage from 00:00 to 24:00 local time") == 2  # holidays and further closures
    assert "a shift that starts the evening before ends at midnight" in text
    assert "resumes at midnight on the next day unless that day is closed too" in text
    # Clock changes: skipped wall times, vanishing shifts, repeated hours.
    assert "Clock changes." in text
    assert "read as the moment the clocks jump" in text
    assert "gives no coverage that night" in text
    assert "covers the repeated time in full" in text


def test_it_does_not_speak_of_closed_days_without_holidays() -> None:
    assert holidays_text({"country": None}) == "Not observed: coverage continues on public holidays."
    assert "00:00 to 24:00" in holidays_text({"country": "US", "subdivision": None})
