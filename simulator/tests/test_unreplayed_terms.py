"""Terms the replay does not cover (service commitments, per-event credits) are named in the
simulation's notes, so nobody reads its credits as what the period close would pay."""

from __future__ import annotations

from contracts.presets_commitments import COMPONENTS
from contracts.tests.factories import make_contract
from core import periods
from simulator.engine import simulate
from simulator.tests.factories import NOW


def test_a_contract_with_commitments_is_simulated_with_a_note_saying_what_is_left_out(buyer_org, vendor_org):
    contract = make_contract(
        buyer=buyer_org,
        vendor=vendor_org,
        reference="C-AWS",
        preset="aws-ec2",
        covered_components=COMPONENTS["aws-ec2"],
    )
    window = [periods.parse("2026-10", zone="UTC", kind="month")]

    result = simulate(contract, [], window, now=NOW)

    assert any("has commitments, which the simulator does not replay" in n for n in result.notes), result.notes


def test_plain_terms_carry_no_such_note(buyer_org, vendor_org):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-PLAIN")
    window = [periods.parse("2026-10", zone="UTC", kind="month")]

    result = simulate(contract, [], window, now=NOW)

    assert not any("does not replay" in n for n in result.notes)
