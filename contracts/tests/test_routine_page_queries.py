"""The routine page runs at most ten queries, for each persona, and the same number once the
contract has more contacts, board members, resources, confirmations and feedback."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tests.conftest import pdf_once_per_kind  # noqa: F401 - the fixture
from tests.world import NOW, World, frozen_now_fixture, media_root_fixture, world_fixture  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_once_per_kind")]

PERSONAS = ("buyer_cm", "vendor_am", "board", "staff")
BUDGET = 10


def _counts(world: World) -> dict[str, int]:
    url = f"/contracts/{world.own.contract.pk}/routine/"
    out = {}
    for persona in PERSONAS:
        client = Client()
        client.force_login(world.user(persona))
        client.get(url)  # the session is cached from here on, as in production
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, persona
        out[persona] = len(ctx.captured_queries)
    return out


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_it_stays_within_budget_whatever_the_rows(world: World) -> None:
    from contracts import onboarding
    from contracts import services as contracts

    before = _counts(world)
    contract = world.own.contract
    buyer, vendor = world.user("buyer_cm"), world.user("vendor_am")
    contracts.board_seat_add(actor=world.user("staff"), contract=contract, user=world.user("buyer_ops"))
    for i in range(3):
        contracts.contact_add(
            actor=buyer,
            contract=contract,
            side="vendor",
            role="incident_manager",
            name=f"Esca {i}",
            email=f"e{i}@x.test",
        )
        onboarding.feedback_log(actor=buyer, contract=contract, category="process", text=f"Note {i}.")
        resource = onboarding.resource_add(actor=vendor, contract=contract, title=f"Runbook {i}", url="https://x.test/")
        onboarding.resource_confirm(actor=buyer, resource=resource)
    after = _counts(world)

    assert max(before.values()) <= BUDGET, before
    assert after == before
