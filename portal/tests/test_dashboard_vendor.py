"""The vendor's dashboard: its contracts across buyers, with clocks in trouble
first, credits at stake and notice deadlines; other vendors' contracts never show."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from portal.dashboards import dashboard_for
from portal.tests.dash_world import contoso_with_acme, october_with_credits, open_at_risk, open_breached


def test_it_shows_the_contracts_across_buyers(client_for, vendor, vendor_org, contract, foreign_contract, clock):
    october_with_credits(contract)
    open_breached(contract)
    open_at_risk(contract)
    other = contoso_with_acme(vendor_org)

    dash = dashboard_for(vendor)

    assert dash.roles.vendor and not dash.roles.buyer
    assert dash.scorecards is None and dash.board is None
    rows = {r.contract.reference: r for r in dash.vendor_contracts}
    assert list(rows) == ["C-1", "C-OTHER"]  # two clocks in trouble, then one
    c1 = rows["C-1"]
    assert (c1.open_incidents, c1.breached_open, c1.at_risk, c1.breached_month) == (2, 1, 1, 1)
    assert c1.owed == Decimal("1300.000") and c1.owed_text == "EUR 1,300.00"
    assert c1.days_to_notice == 331  # 2 Oct 2027, from 5 Nov 2026
    assert rows["C-OTHER"].contract.buyer.name == "Contoso Retail" and rows["C-OTHER"].owed == 0
    assert dash.headline.vendor_contracts == 2

    page = client_for(vendor).get(reverse("home")).content.decode()
    assert "Your contracts across buyers" in page and "Vendor scorecards" not in page
    assert other.reference in page and "Contoso Retail" in page
    assert "EUR 1,300.00" in page and "1 breached" in page and "1 at risk" in page
    assert 'aria-label="C-1: 2 open incidents, 1 breached, 1 at risk"' in page
    assert foreign_contract.reference not in page  # Globex's contract with the same buyer


def test_the_outsider_sees_nothing_of_it(client_for, outsider, contract, clock):
    october_with_credits(contract)
    open_breached(contract)
    dash = dashboard_for(outsider)
    assert dash.vendor_contracts == [] and dash.headline.open_incidents.value == 0
    page = client_for(outsider).get(reverse("home")).content.decode()
    assert contract.reference not in page and "No active contract with a buyer yet." in page
