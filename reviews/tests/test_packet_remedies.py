"""The annual packet shows the year's remedies besides credits (with where each stands) and the
corrective-action plans with their actions and outcome."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from corrective import services as corrective
from reports.models import Remedy
from reports.services.remedy_ledger import remedy_accept, remedy_deliver, remedy_offer
from reports.tests.factories import at
from reports.tests.test_remedies import with_remedies
from reviews.services import packets
from reviews.tests.factories import open_review, seat_board, year_of_reports

pytestmark = pytest.mark.django_db


def test_the_packet_shows_remedies_and_corrective_actions(contract, staff, buyer, vendor, clock):
    chair = seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    with_remedies(contract)
    clock.set(at(2, 9, month=3))
    plan = corrective.request_plan(actor=buyer, contract=contract, subject="Payments outages in March")
    corrective.submit_plan(
        actor=vendor, plan=plan, root_cause="Failover untested",
        actions=[{"description": "Quarterly failover drill", "owner": "Head of SRE", "due_date": "2026-04-30"}],
    )  # fmt: skip
    corrective.decide_plan(actor=buyer, plan=plan, accept=True)
    action = plan.actions.get()
    corrective.complete_action(actor=vendor, action=action, evidence="Drill report 2026-04-28")
    year_of_reports(contract)  # October is below target: an executive escalation is owed
    remedy = Remedy.objects.get(contract=contract, period="2026-10", kind="executive_escalation")
    remedy_offer(actor=vendor, remedy=remedy, offer="CTO call")
    remedy_accept(actor=buyer, remedy=remedy)
    remedy_deliver(actor=vendor, remedy=remedy, evidence="Minutes")

    review = open_review(contract)
    packet = packets.packet_regenerate(actor=chair, review=review)
    with packet.pdf.open("rb") as handle:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    flat = re.sub(r"\s+", " ", text)
    assert "Remedies besides credits and corrective actions" in flat
    assert "Executive escalation" in flat and "Quarterly call with the CTO" in flat and "Delivered" in flat
    assert f"{plan.reference}: Payments outages in March" in flat and "Completed" in flat
    assert "Failover untested" in flat and "Quarterly failover drill" in flat
