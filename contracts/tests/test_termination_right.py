"""The termination right: raised by a report, it survives good periods and ends only by exercise,
waiver or lapse (each one audited act)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from audit.models import AuditEntry
from contracts.models import TerminationRight
from contracts.services import (
    contract_termination_right_exercise,
    contract_termination_right_record,
    contract_termination_right_waive,
    contract_termination_rights_lapse,
)
from core.actor import SystemActor
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents.tests.conftest import FrozenClock

CLOSE = SystemActor("system:period_close")
S = TerminationRight.Status


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenClock(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen.now)
    return frozen


def record(contract, period: str, *, triggered: bool, below: bool = True, window: int | None = 30, zone: str = "UTC"):
    return contract_termination_right_record(
        actor=CLOSE,
        contract=contract,
        triggered=triggered,
        on=date.fromisoformat(f"{period}-05") + timedelta(days=31),
        report_label=f"{period} r1",
        period=period,
        period_below=below,
        exercise_window_days=window,
        rule="availability below 99 % in 3 of the last 6 months",
        zone=zone,
    )


def verbs(contract) -> list[str]:
    return list(
        AuditEntry.objects.filter(contract_id=contract.pk, verb__startswith="contract.termination_right")
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def test_it_survives_good_months_and_is_exercised_once(contract, buyer, clock):
    assert record(contract, "2026-10", triggered=True) is True
    contract.refresh_from_db()
    assert (contract.termination_right, contract.termination_right_since) == (True, date(2026, 11, 5))

    # Two good months: the rule no longer holds, the right stays.
    assert record(contract, "2026-11", triggered=False, below=False) is False
    assert record(contract, "2026-12", triggered=False, below=False) is False
    contract.refresh_from_db()
    right = contract.termination_rights.get()
    assert contract.termination_right is True and right.status == S.OPEN
    assert right.expires_at == datetime(2026, 12, 5, 23, 59, 59, 999_999, tzinfo=UTC)

    clock.set(datetime(2026, 12, 5, 23, 59, tzinfo=UTC))  # the last minute of its window
    contract_termination_right_exercise(actor=buyer, contract=contract, note="Board decision of 5 Dec")

    contract.refresh_from_db()
    right.refresh_from_db()
    assert contract.termination_right is False
    assert (right.status, right.ended_by, right.reason) == (S.EXERCISED, buyer, "Board decision of 5 Dec")
    assert verbs(contract) == ["contract.termination_right_raised", "contract.termination_right_exercised"]
    with pytest.raises(Conflict, match="no open termination right"):
        contract_termination_right_exercise(actor=buyer, contract=contract)


def test_only_the_buyers_managers_exercise_or_waive(contract, vendor, buyer_viewer, clock):
    record(contract, "2026-10", triggered=True)
    for person in (vendor, buyer_viewer):
        with pytest.raises(NotPermitted):
            contract_termination_right_exercise(actor=person, contract=contract)
        with pytest.raises(NotPermitted):
            contract_termination_right_waive(actor=person, contract=contract, reason="No")
    assert contract.termination_rights.get().status == S.OPEN


def test_a_person_cannot_raise_it_by_hand(contract, buyer):
    with pytest.raises(NotPermitted):
        contract_termination_right_record(
            actor=buyer, contract=contract, triggered=True, on=date(2026, 11, 5), report_label="2026-10 r1"
        )
    assert not TerminationRight.objects.exists()


def test_a_waiver_ends_it_and_only_a_new_bad_period_raises_another(contract, buyer, clock):
    record(contract, "2026-10", triggered=True)
    with pytest.raises(InvalidInput):
        contract_termination_right_waive(actor=buyer, contract=contract, reason="  ")
    contract_termination_right_waive(actor=buyer, contract=contract, reason="Vendor's remediation plan accepted")
    contract.refresh_from_db()
    assert contract.termination_right is False

    # November is good but the rule still holds over the window: the waiver covers that breach.
    assert record(contract, "2026-11", triggered=True, below=False) is False
    # December is below the threshold again: a new right.
    assert record(contract, "2026-12", triggered=True, below=True) is True
    assert [r.status for r in contract.termination_rights.order_by("pk")] == [S.WAIVED, S.OPEN]
    assert verbs(contract) == [
        "contract.termination_right_raised",
        "contract.termination_right_waived",
        "contract.termination_right_raised",
    ]
    entry = AuditEntry.objects.get(verb="contract.termination_right_waived")
    assert entry.changes["reason"] == [None, "Vendor's remediation plan accepted"]


def test_it_lapses_after_its_exercise_window_in_the_contract_zone(contract, buyer, clock):
    # Raised on 5 Nov with 30 days: open until the end of 5 Dec in Auckland (10:59:59 UTC, NZDT).
    record(contract, "2026-10", triggered=True, zone="Pacific/Auckland")
    right = contract.termination_rights.get()
    assert right.expires_at == datetime(2026, 12, 5, 10, 59, 59, 999_999, tzinfo=UTC)

    assert contract_termination_rights_lapse(now=datetime(2026, 12, 5, 10, 59, tzinfo=UTC)) == 0
    assert contract_termination_rights_lapse(now=datetime(2026, 12, 5, 11, 0, tzinfo=UTC)) == 1
    assert contract_termination_rights_lapse(now=datetime(2026, 12, 6, tzinfo=UTC)) == 0  # idempotent

    right.refresh_from_db()
    contract.refresh_from_db()
    assert right.status == S.LAPSED and contract.termination_right is False
    lapse = AuditEntry.objects.get(verb="contract.termination_right_lapsed")
    assert lapse.actor_label == "system:termination_lapse"


def test_exercising_after_the_window_is_refused_and_lapses_it(contract, buyer, clock):
    record(contract, "2026-10", triggered=True, window=10)
    clock.set(datetime(2026, 11, 16, 0, 0, tzinfo=UTC))  # 10 days after 5 Nov have ended
    with pytest.raises(Conflict, match="lapsed on 15 Nov 2026"):
        contract_termination_right_exercise(actor=buyer, contract=contract)
    assert contract.termination_rights.get().status == S.LAPSED
    assert verbs(contract)[-1] == "contract.termination_right_lapsed"


def test_without_an_exercise_window_it_never_lapses(contract, clock):
    record(contract, "2026-10", triggered=True, window=None)
    assert contract.termination_rights.get().expires_at is None
    assert contract_termination_rights_lapse(now=datetime(2036, 1, 1, tzinfo=UTC)) == 0


def test_a_corrected_report_of_the_same_period_withdraws_it(contract, clock):
    record(contract, "2026-10", triggered=True)
    assert record(contract, "2026-10", triggered=False) is True
    contract.refresh_from_db()
    assert contract.termination_right is False
    assert contract.termination_rights.get().status == S.WITHDRAWN
    assert verbs(contract)[-1] == "contract.termination_right_withdrawn"
