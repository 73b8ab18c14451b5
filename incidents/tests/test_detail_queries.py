"""One incident's page and API detail (issue "Scale without surprises"): at most ten
queries with the session and the user, for every persona, and the same number
whatever the rows behind the incident (comments, attachments, pauses, claims,
severity changes, links to other contracts, ticked playbook steps)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from incidents import services
from incidents.models import Incident
from incidents.services.playbook import tick_playbook_step

pytestmark = pytest.mark.django_db

BUDGET = 10
PERSONAS = ("buyer", "buyer_ops", "vendor", "board_member", "staff")


def _open(buyer, contract) -> Incident:
    incident = services.open_incident(
        actor=buyer, contract=contract, title="Checkout fails", severity="critical", environment="production",
        component="api",
    )  # fmt: skip
    return incident


def _round(incident: Incident, *, buyer, engineer, staff, other_contract, i: int) -> None:
    """One more of every kind of row the page shows."""
    services.comment_incident(actor=buyer, incident=incident, text=f"Still failing {i}.")
    services.attach_file(actor=engineer, incident=incident, file=SimpleUploadedFile(f"log{i}.txt", b"x\n"))
    incident = services.pause_incident(actor=engineer, incident=incident, reason=f"Waiting for logs {i}")
    incident = services.resume_incident(actor=buyer, incident=incident)
    claim = services.claim_exclusion(actor=engineer, incident=incident, kind="third_party", reason=f"DNS {i}")
    services.decide_claim(actor=buyer, claim=claim, accept=False, reason="Not agreed.")
    incident.refresh_from_db()
    lower = services.change_severity(actor=engineer, incident=incident, severity="high", reason=f"Contained {i}")
    services.decide_severity(actor=buyer, change=lower.change, accept=False, reason="Not yet.")
    if i == 0:
        services.attribute_incident(
            actor=buyer, incident=incident, to_contract=other_contract, reason="Their CDN too", move=False
        )
    tick_playbook_step(actor=staff, incident=incident, order=1 + i)  # staff may tick either side's steps


def _counts(clients: dict, incident: Incident) -> dict[str, int]:
    out = {}
    for persona, client in clients.items():
        for url in (f"/incidents/{incident.pk}/", f"/api/incidents/{incident.pk}/"):
            client.get(url)  # warm the session
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, (persona, url, response.status_code)
            out[f"{persona} {url}"] = len(ctx.captured_queries)
    return out


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_the_incident_page_and_api_detail_stay_within_budget_at_two_sizes(
    request, client_for, contract, foreign_contract, buyer, vendor_engineer, clock
):
    people = {name: request.getfixturevalue(name) for name in PERSONAS}
    clients = {name: client_for(user) for name, user in people.items()}
    incident = _open(buyer, contract)
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    _round(incident, buyer=buyer, engineer=vendor_engineer, staff=people["staff"], other_contract=foreign_contract, i=0)
    small = _counts(clients, incident)
    for i in (1, 2):
        clock.advance(minutes=5)
        _round(
            incident, buyer=buyer, engineer=vendor_engineer, staff=people["staff"], other_contract=foreign_contract, i=i
        )
    large = _counts(clients, incident)
    assert max(small.values()) <= BUDGET, small
    assert large == small
