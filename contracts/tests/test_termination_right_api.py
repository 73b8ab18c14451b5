"""POST /api/contracts/{pk}/termination-right/exercise/ and /waive/: the buyer's contract managers
end the open right; every refusal is the one error shape (403 role, 409 state, 400 field)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from audit.models import AuditEntry
from contracts.models import TerminationRight
from contracts.services import contract_termination_right_record
from core.actor import SystemActor
from incidents.tests.conftest import FrozenClock

S = TerminationRight.Status


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenClock(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen.now)
    return frozen


@pytest.fixture
def right(contract, clock) -> TerminationRight:
    """Raised on 5 Nov 2026 by the October report; exercisable until the end of 15 Nov (UTC)."""
    contract_termination_right_record(
        actor=SystemActor("system:period_close"),
        contract=contract,
        triggered=True,
        on=date(2026, 11, 5),
        report_label="2026-10 r1",
        period="2026-10",
        exercise_window_days=10,
    )
    return contract.termination_rights.get()


def post(client, contract, action: str, body: dict | None = None):
    path = f"/api/contracts/{contract.pk}/termination-right/{action}/"
    return client.post(path, body or {}, content_type="application/json")


def verbs(contract) -> list[str]:
    entries = AuditEntry.objects.filter(contract_id=contract.pk, verb__startswith="contract.termination_right")
    return list(entries.order_by("pk").values_list("verb", flat=True))


def test_it_exercises(client_for, contract, buyer, right, clock):
    clock.set(datetime(2026, 11, 15, 23, 0, tzinfo=UTC))  # the last day of its window
    response = post(client_for(buyer), contract, "exercise", {"note": "Board decision 2026-11-15"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["status"], body["ended_by"]) == (right.pk, "exercised", "buyer")
    assert body["reason"] == "Board decision 2026-11-15"
    assert body["ended_at"].startswith("2026-11-15T23:00:00")
    contract.refresh_from_db()
    assert contract.termination_right is False
    assert verbs(contract) == ["contract.termination_right_raised", "contract.termination_right_exercised"]


def test_it_waives_with_a_reason(client_for, contract, buyer, right):
    response = post(client_for(buyer), contract, "waive", {"reason": "Remediation plan accepted"})

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["reason"]) == ("waived", "Remediation plan accepted")
    right.refresh_from_db()
    assert right.status == S.WAIVED
    assert verbs(contract)[-1] == "contract.termination_right_waived"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_waiver_needs_a_reason(client_for, contract, buyer, right, body):
    response = post(client_for(buyer), contract, "waive", body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["reason"]
    assert response.json()["detail"].startswith("reason: ")
    right.refresh_from_db()
    assert right.status == S.OPEN


@pytest.mark.parametrize("role", ["buyer_ops", "buyer_viewer", "vendor", "staff", "board_member"])
def test_other_roles_are_refused(request, client_for, contract, right, role):
    client = client_for(request.getfixturevalue(role))

    exercised = post(client, contract, "exercise")
    waived = post(client, contract, "waive", {"reason": "We would rather not"})

    for response in (exercised, waived):
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert "contract managers" in response.json()["detail"]
    right.refresh_from_db()
    assert right.status == S.OPEN
    assert verbs(contract) == ["contract.termination_right_raised"]


def test_a_lapsed_window_is_a_conflict(client_for, contract, buyer, right, clock):
    clock.set(datetime(2026, 11, 16, 0, 0, tzinfo=UTC))  # the window ended at midnight
    client = client_for(buyer)

    response = post(client, contract, "exercise")

    assert response.status_code == 409
    assert response.json()["state"] == "lapsed"
    assert "lapsed on 15 Nov 2026" in response.json()["detail"]
    right.refresh_from_db()
    assert right.status == S.LAPSED  # the refusal lapses it for good
    # Nothing is open any more: a waiver is refused too.
    waived = post(client, contract, "waive", {"reason": "Too late anyway"})
    assert (waived.status_code, waived.json()["state"]) == (409, "none")


def test_without_an_open_right_it_is_a_conflict(client_for, contract, buyer):
    response = post(client_for(buyer), contract, "exercise")

    assert response.status_code == 409
    assert (response.json()["state"], response.json()["allowed"]) == ("none", [])
    assert "no open termination right" in response.json()["detail"]
    assert verbs(contract) == []
