"""The termination right on the contract page: the buyer's contract managers exercise it (after a
confirmation step that states what is recorded and when) or waive it (with a reason); everyone else
sees its state only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.messages import get_messages

from audit.models import AuditEntry
from contracts.models import TerminationRight
from contracts.services import contract_termination_right_record
from core.actor import SystemActor
from incidents.tests.conftest import FrozenClock

S = TerminationRight.Status
EXERCISE = "Exercise the termination right"
CONFIRM = "Confirm: exercise the termination right"
WAIVE = "Waive the termination right"


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


def page(contract, query: str = "") -> str:
    return f"/contracts/{contract.pk}/{query}"


def act(contract, action: str) -> str:
    return f"/contracts/{contract.pk}/termination-right/{action}/"


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_buyers_manager_confirms_then_exercises(client_for, contract, buyer, right, clock):
    clock.set(datetime(2026, 11, 12, 10, 0, tzinfo=UTC))
    client = client_for(buyer)  # signed in at the new time: a week-idle sign-in is asked to sign in again

    html = client.get(page(contract)).content.decode()
    assert EXERCISE in html and WAIVE in html
    assert CONFIRM not in html  # the first click only opens the confirmation step

    confirm = client.get(page(contract, "?termination=exercise")).content.decode()
    assert CONFIRM in confirm
    assert f"decision to terminate {contract.reference}" in confirm
    assert "dated 12 November 2026" in confirm

    response = client.post(act(contract, "exercise"), {"note": "Board minute 42"})

    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/#termination-right"
    assert "decision to terminate is recorded" in flashes(response)[0]
    right.refresh_from_db()
    assert (right.status, right.ended_by, right.reason) == (S.EXERCISED, buyer, "Board minute 42")
    after = client.get(page(contract)).content.decode()
    assert EXERCISE not in after and "Exercised" in after
    assert AuditEntry.objects.filter(verb="contract.termination_right_exercised", contract_id=contract.pk).count() == 1


def test_the_buyers_manager_waives_with_a_reason(client_for, contract, buyer, right):
    response = client_for(buyer).post(act(contract, "waive"), {"reason": "Remediation plan accepted"})

    assert response.status_code == 302
    right.refresh_from_db()
    assert (right.status, right.reason) == (S.WAIVED, "Remediation plan accepted")
    assert AuditEntry.objects.filter(verb="contract.termination_right_waived", contract_id=contract.pk).exists()


def test_a_waiver_without_a_reason_reopens_the_form(client_for, contract, buyer, right):
    client = client_for(buyer)

    response = client.post(act(contract, "waive"), {"reason": "  "})

    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/?termination=waive#termination-actions"
    assert "Say why the right is waived" in flashes(response)[0]
    right.refresh_from_db()
    assert right.status == S.OPEN
    assert "<details open>" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("role", ["buyer_viewer", "buyer_ops", "vendor", "board_member", "staff"])
def test_others_see_the_state_only_and_are_refused(request, client_for, contract, right, role):
    client = client_for(request.getfixturevalue(role))

    html = client.get(page(contract, "?termination=exercise")).content.decode()
    assert "Triggered" in html and "to exercise by 15 Nov 2026" in html
    assert EXERCISE not in html and CONFIRM not in html and WAIVE not in html

    assert client.post(act(contract, "exercise")).status_code == 403
    assert client.post(act(contract, "waive"), {"reason": "Not ours to waive"}).status_code == 403
    right.refresh_from_db()
    assert right.status == S.OPEN


def test_exercising_after_the_window_is_refused(client_for, contract, buyer, right, clock):
    clock.set(datetime(2026, 11, 16, 0, 0, tzinfo=UTC))
    client = client_for(buyer)

    response = client.post(act(contract, "exercise"))

    assert response.status_code == 302
    assert "Too late" in flashes(response)[0] and "lapsed on 15 Nov 2026" in flashes(response)[0]
    right.refresh_from_db()
    assert right.status == S.LAPSED
    html = client.get(page(contract)).content.decode()
    assert EXERCISE not in html and "Lapsed" in html
