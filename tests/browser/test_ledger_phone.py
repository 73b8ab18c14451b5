"""The credit ledger on a phone: each credit is a card, its amount, status and
the Claim and Dispute buttons on screen without scrolling sideways."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from core.money import money
from tests.browser.conftest import PHONE, shoot
from tests.browser.test_accessibility import world  # noqa: F401 - the fixture


def test_each_credit_is_a_card_with_its_actions_on_screen(sign_in, world):  # noqa: F811
    credit = world.own.credit
    page = sign_in(world.user("buyer_cm"), viewport=PHONE)
    page.goto(reverse("disputes:credits"))
    shoot(page, "ledger-cards", full_page=True)
    row = page.locator(f"#credit-{credit.pk}")
    for text in ("Amount", "Status", "Claim window", money(credit.amount, credit.currency)):
        expect(row.get_by_text(text, exact=True).first).to_be_visible()
    for action in (row.get_by_role("button", name="Claim"), row.locator("summary", has_text="Dispute")):
        expect(action).to_be_visible()
        box = action.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    wrapper = page.locator(".ledger-cards").locator("xpath=..")
    assert wrapper.evaluate("el => el.scrollWidth <= el.clientWidth"), "the ledger scrolls sideways"
