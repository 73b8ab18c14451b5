"""The buyer's dashboard: a scorecard per vendor built from the stored report
figures and the credit ledger; another buyer's contracts never show."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from disputes.services.credits import credit_dispute
from portal.dashboards import dashboard_for
from portal.tests.dash_world import contoso_with_acme, october_with_credits, open_at_risk, open_breached
from reports.models import Credit
from reports.services.ledger import credit_apply, credit_approve, credit_claim


def test_it_shows_a_scorecard_per_vendor(client_for, buyer, vendor, contract, foreign_contract, clock):
    report = october_with_credits(contract)
    credits = {c.amount: c for c in report.credits.all()}
    small = credits[Decimal("100.000")]
    credit_claim(actor=buyer, credit=small)
    credit_approve(actor=vendor, credit=Credit.objects.get(pk=small.pk))
    credit_apply(actor=vendor, credit=Credit.objects.get(pk=small.pk), invoice_reference="INV-7")
    credit_dispute(actor=buyer, credit=credit_dispute_target(credits), statement="Counted twice.")
    open_breached(contract)
    open_at_risk(contract)
    foreign_contract.termination_right = True
    foreign_contract.save(update_fields=["termination_right"])

    dash = dashboard_for(buyer)

    assert dash.roles.buyer and not dash.roles.vendor and dash.board is None
    assert dash.vendor_contracts is None
    cards = {c.vendor.name: c for c in dash.scorecards}
    assert list(cards) == ["Acme Cloud", "Globex Software"]  # breaches first
    acme = cards["Acme Cloud"]
    assert [(p.period, p.worst, p.met) for p in acme.periods] == [
        ("2026-09", Decimal("99.990"), True),
        ("2026-10", Decimal("98.500"), False),
    ]
    # October's two breached incidents and the open one breached today; the one at risk is not breached.
    assert acme.breaches == {"critical": 2, "high": 1, "medium": 0, "low": 0}
    assert (acme.owed, acme.applied, acme.currency) == (Decimal("1000.000"), Decimal("100.000"), "EUR")
    assert acme.open_disputes == 1
    assert acme.next_notice.isoformat() == "2027-10-02" and acme.contracts == 1
    globex = cards["Globex Software"]
    assert globex.periods == [] and globex.breach_total == 0 and globex.owed == 0
    assert globex.termination_contract == (foreign_contract.pk, "C-FOREIGN") and acme.termination_contract is None

    head = dash.headline
    assert (head.active, head.vendors) == (2, 2)
    assert (head.open_incidents.value, head.breached_open.value, head.at_risk.value) == (2, 1, 1)

    page = client_for(buyer).get(reverse("home")).content.decode()
    assert "Vendor scorecards" in page and "Your contracts across buyers" not in page
    assert "98.500 %" in page and '<th scope="row">2026-09</th><td>99.990 %</td><td>met</td>' in page
    assert "Critical <strong>2</strong>" in page and "High <strong>1</strong>" in page
    assert "Still owed <strong>EUR 1,000.00</strong>" in page and "Applied <strong>EUR 100.00</strong>" in page
    assert 'aria-label="Acme Cloud: availability per closed period, latest 2026-10 98.500 %' in page
    assert "Breaches in the last 90 days: Critical 2, High 1, Medium 0, Low 0" in page
    assert f'href="/contracts/{foreign_contract.pk}/">Termination right · C-FOREIGN</a>' in page
    since = "2026-08-07T09%3A00%3A00%2B00%3A00"
    assert f"/incidents/?vendor={contract.vendor_id}&amp;breached=true&amp;opened_after={since}" in page


def credit_dispute_target(credits: dict[Decimal, Credit]) -> Credit:
    return credits[Decimal("200.000")]


def test_another_buyers_contracts_never_show(client_for, buyer, vendor_org, contract, clock):
    october_with_credits(contract)
    other = contoso_with_acme(vendor_org)
    dash = dashboard_for(buyer)
    (acme,) = dash.scorecards
    assert acme.contracts == 1 and acme.breaches["critical"] == 1  # Contoso's open breach is not Northwind's
    assert dash.headline.open_incidents.value == 0
    page = client_for(buyer).get(reverse("home")).content.decode()
    assert other.reference not in page and "Contoso" not in page


def test_the_list_is_capped_with_a_link_to_all_vendors(client_for, buyer, buyer_org, clock):
    from portal.tests.dash_world import portfolio

    portfolio(9, buyer=buyer_org)
    dash = dashboard_for(buyer)
    assert len(dash.scorecards) == 8 and dash.headline.vendors == 9
    page = client_for(buyer).get(reverse("home")).content.decode()
    assert "All 9 vendors" in page


def test_time_driven_counts_stop_at_the_cap_and_counters_are_exact(buyer, contract, clock, monkeypatch):
    from portal import dashboards

    monkeypatch.setattr(dashboards, "COUNT_CAP", 2)
    for _ in range(3):
        open_breached(contract)
        open_at_risk(contract)
    head = dashboards.dashboard_for(buyer).headline
    # Open and breached come from the maintained counters: exact, whatever the cap.
    assert (str(head.open_incidents), str(head.breached_open)) == ("6", "3")
    # At risk is counted at read time over the running targets: it stops at the cap.
    assert head.at_risk.value == 3 and head.at_risk.more and str(head.at_risk) == "2+"


def test_staff_without_membership_see_the_whole_portfolio(staff, contract, foreign_contract, clock):
    dash = dashboard_for(staff)
    assert dash.roles.buyer and {c.vendor.name for c in dash.scorecards} == {"Acme Cloud", "Globex Software"}
