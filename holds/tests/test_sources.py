"""Every automatic source in one query: each kind of dispute subject is found (however its id is
written), and each list keeps its order."""

from datetime import UTC, datetime, timedelta

from availability.models import Outage
from disputes.models import Dispute
from holds.selectors import FACT_MARGIN, holds_for
from holds.tests.factories import feb, outage


def _dispute(contract, subject_type, subject_id, *, report=None, label="Subject"):
    return Dispute.objects.create(
        contract=contract,
        report=report,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=label,
        title="Contested",
        statement="We disagree.",
        raised_by_side="buyer",
        raised_at=feb(20),
        stage_name="Account managers",
    )


def _incident(contract, buyer, vendor_engineer, clock):
    from incidents import services as incidents

    clock.set(feb(10, 10))
    incident = incidents.open_incident(
        actor=buyer,
        contract=contract,
        title="Checkout down",
        severity="critical",
        environment="production",
        component="api",
    )
    clock.advance(minutes=5)
    incidents.acknowledge_incident(actor=vendor_engineer, incident=incident)
    clock.set(feb(10, 13))
    incidents.resolve_incident(actor=vendor_engineer, incident=incident, message="Upstream DNS fixed")
    return incident


def test_each_kind_of_dispute_subject_is_found_however_its_id_is_written(
    buyer, vendor_engineer, contract, foreign_contract, clock, django_assert_num_queries
):
    from reports.tests.ledger_factories import make_credit, make_report

    incident = _incident(contract, buyer, vendor_engineer, clock)
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    january, february = make_report(contract, "2026-01"), make_report(contract, "2026-02")
    credit = make_credit(january, window_days=10)  # its claim window closed: held only by its dispute
    down, elsewhere = outage(contract, feb(3, 10)), outage(foreign_contract, feb(4, 10))
    S = Dispute.Subject
    on_incident = _dispute(contract, S.INCIDENT, f" inc-{incident.pk} : checkout")
    on_credit = _dispute(contract, S.CREDIT, str(credit.pk), report=february)
    on_line = _dispute(contract, S.REPORT_LINE, f"{january.pk}:availability")
    on_nothing = _dispute(contract, S.OUTAGE, "the probe")
    # Digits other than 0-9 still name the outage (``int()`` reads them): found by a second lookup.
    arabic = "".join(chr(0x0660 + int(d)) for d in str(down.pk))
    on_arabic = _dispute(contract, S.OUTAGE, arabic)
    on_foreign = _dispute(contract, S.OUTAGE, str(elsewhere.pk))

    with django_assert_num_queries(4):  # legal holds, the sources, the arabic digits' outage, reviews
        holds = holds_for(contract)
    spans = {h.label.split(" ")[1]: (h.start, h.end, h.whole) for h in holds}
    assert [h.kind for h in holds] == ["dispute"] * 6
    assert [h.label.split(" ")[1] for h in holds] == [
        f"D-{d.pk}" for d in (on_incident, on_credit, on_line, on_nothing, on_arabic, on_foreign)
    ]
    assert spans[f"D-{on_incident.pk}"] == (feb(10, 10) - FACT_MARGIN, feb(10, 13) + FACT_MARGIN, False)
    # The credit's report period and the dispute's own report: the hull of both.
    assert spans[f"D-{on_credit.pk}"] == (january.period_start, february.period_end, False)
    assert spans[f"D-{on_line.pk}"] == (january.period_start, january.period_end, False)
    assert spans[f"D-{on_nothing.pk}"] == (None, None, True)
    assert spans[f"D-{on_arabic.pk}"] == (down.start - FACT_MARGIN, down.end + FACT_MARGIN, False)
    assert spans[f"D-{on_foreign.pk}"] == (None, None, True)  # another contract's outage: not found
    assert holds[0].label == f"Dispute D-{on_incident.pk} (stage 1: Account managers) on Subject"


def test_claims_outages_and_credits_keep_their_order(buyer, vendor_engineer, contract, clock):
    from incidents import services as incidents
    from reports.models import Credit
    from reports.tests.ledger_factories import make_credit, make_report

    incident = _incident(contract, buyer, vendor_engineer, clock)
    claim = incidents.claim_exclusion(
        actor=vendor_engineer, incident=incident, kind="third_party", reason="The DNS provider failed."
    )
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    late, early = outage(contract, feb(20, 10)), outage(contract, feb(5, 10))
    Outage.objects.filter(pk__in=[late.pk, early.pk]).update(exclusion=Outage.Exclusion.CLAIMED)
    outage(contract, feb(6, 10))  # not claimed, not disputed: holds nothing
    february, january = make_report(contract, "2026-02"), make_report(contract, "2026-01")
    claimed = make_credit(february, status=Credit.Status.CLAIMED)
    window = make_credit(january, window_days=60)

    holds = holds_for(contract)
    assert [h.label for h in holds] == [
        f"Pending exclusion claim (third-party dependency) on {incident.reference}",
        f"Pending exclusion claim on Outage #{late.pk} (api, {_when(late.start)})",
        f"Pending exclusion claim on Outage #{early.pk} (api, {_when(early.start)})",
        f"Claim window for credit #{window.pk} (2026-01) open until {_when(window.claim_deadline)}",
        f"Open claim on credit #{claimed.pk} (2026-02, claimed)",
    ]
    assert holds[0].kind == "exclusion_claim" and claim.pk
    assert (holds[1].start, holds[1].end) == (late.start - FACT_MARGIN, late.end + FACT_MARGIN)
    assert (holds[3].start, holds[3].end) == (january.period_start, january.period_end)
    assert holds[4].start == february.period_start and holds[4].end - holds[4].start > timedelta(days=27)


def _when(at):
    from core.datetimes import when

    return when(at)


def test_a_subject_found_twice_keeps_its_own_hold(contract, clock, django_assert_num_queries):
    """An open credit disputed in digits other than 0-9 is read by the sources and again by the
    second lookup: it keeps its claim-window hold beside the dispute's."""
    from reports.tests.ledger_factories import make_credit, make_report

    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    february = make_report(contract, "2026-02")
    credit = make_credit(february)
    arabic = "".join(chr(0x0660 + int(d)) for d in str(credit.pk))
    dispute = _dispute(contract, Dispute.Subject.CREDIT, arabic)

    with django_assert_num_queries(4):  # legal holds, the sources, the arabic digits' credit, reviews
        holds = holds_for(contract)
    assert [(h.kind, h.start, h.end) for h in holds] == [
        ("dispute", february.period_start, february.period_end),
        ("credit", february.period_start, february.period_end),
    ]
    assert holds[0].label.startswith(f"Dispute D-{dispute.pk} ")
    assert holds[1].label.startswith(f"Claim window for credit #{credit.pk} ")
