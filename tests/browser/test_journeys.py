"""What people do in the portal today, in a real browser: a buyer reports a
critical incident and the vendor sees and acknowledges it; both parties open
their contract; a board member opens the annual review."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, shoot


def within_screen(page: Page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{selector} is off screen: {box}"


def test_a_critical_incident_from_the_buyer_reaches_the_vendor_who_acknowledges_it(
    sign_in, buyer, vendor_engineer, contract
):
    page = sign_in(buyer)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    page.get_by_role("button", name="Report incident").click()
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    page.get_by_label("Severity").select_option(label="Critical")
    page.get_by_label("Component", exact=True).select_option("api")
    page.get_by_label("Title").fill("Card payments fail at checkout")
    page.get_by_label("Description").fill("Every card payment returns 502 since 09:10.")
    page.get_by_role("button", name="Open incident").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Card payments fail at checkout")
    reference = heading.inner_text().split(" · ")[0]
    badges = page.locator(".inc-badges")
    expect(badges).to_contain_text("Critical")
    expect(badges).to_contain_text("Open")
    shoot(page, "journey-incident-opened-desktop")

    # The vendor's engineer, on a phone, finds it at the top of their list with its clock running.
    vendor_page = sign_in(vendor_engineer, viewport=PHONE)
    vendor_page.goto("/incidents/")
    row = vendor_page.locator(".incident-list tbody tr", has_text="Card payments fail at checkout")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(reference)
    for selector in (".sev-badge", ".inc-status-open", ".sla-cell .countdown"):
        within_screen(vendor_page, f".incident-list tbody tr >> {selector}")
    assert vendor_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(vendor_page, "journey-incident-list-phone")

    row.get_by_role("link", name=reference).click()
    vendor_page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(vendor_page.locator(".flash")).to_contain_text(f"{reference} acknowledged")
    expect(vendor_page.locator(".inc-badges")).to_contain_text("Acknowledged")
    expect(vendor_page.get_by_role("button", name="Acknowledge", exact=True)).to_have_count(0)
    shoot(vendor_page, "journey-incident-acknowledged-phone")

    # The buyer sees the acknowledgement on the same incident.
    page.reload()
    expect(page.locator(".inc-badges")).to_contain_text("Acknowledged")


def test_both_parties_open_their_contract_and_an_outsider_cannot(sign_in, buyer, vendor, outsider, contract):
    for person, side in ((buyer, "buyer"), (vendor, "vendor")):
        page = sign_in(person)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Contracts").click()
        page.get_by_role("link", name=contract.reference).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(contract.reference)
        parties = page.locator(".contract-head .parties")
        expect(parties).to_contain_text("Northwind Bank")
        expect(parties).to_contain_text("Acme Cloud")
        expect(page.get_by_role("heading", name=re.compile(r"SLA schedule"))).to_be_visible()
        # Only the buyer may report incidents on it.
        expect(page.get_by_role("button", name="Report incident")).to_have_count(1 if side == "buyer" else 0)
        shoot(page, f"journey-contract-{side}-desktop")

    page = sign_in(outsider)
    response = page.goto(f"/contracts/{contract.pk}/")
    assert response is not None and response.status in (403, 404)
    expect(page.locator("body")).not_to_contain_text("Northwind Bank")
    expect(page.locator("header.topbar")).to_be_visible()  # the site's own error page, not Django's


def test_a_board_member_opens_the_annual_review(sign_in, board_member, contract, monkeypatch, pdf_once_per_kind):
    from tests.world import NOW

    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    from reviews.services import opening

    review = opening.review_open(actor=board_member, contract=contract, anniversary=date(2027, 1, 1), now=NOW)
    page = sign_in(board_member)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reviews").click()
    page.locator(".review-list").get_by_role("link", name=review.label).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(contract.reference)
    assert page.url.endswith(f"/reviews/{review.pk}/")
    shoot(page, "journey-review-board-desktop")


def test_a_missing_page_is_the_sites_own_404(sign_in, buyer, settings):
    settings.DEBUG = False
    page = sign_in(buyer)
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("button", name="Go to the dashboard")).to_be_visible()
    shoot(page, "404-desktop")
    response = page.goto("/api/no-such-endpoint/")
    assert response is not None and response.status == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}
