"""The layout every page shares: a keyboard user sees where they are, can
skip the navigation, and can read and use the menu under their name."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, shoot
from tests.browser.test_accessibility import BLOCKING


def _luminance(css_colour: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css_colour)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: str, background: str) -> float:
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def focus_ring(page: Page) -> tuple[str, float]:
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()"
    )
    return style[0], float(style[1].removesuffix("px") or 0)


def test_keyboard_focus_is_always_visible(sign_in, buyer):
    page = sign_in(buyer)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link shows when it has focus"
    assert focus_ring(page)[0] != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto("/incidents/")
    for _ in range(4):  # skip link, brand, Dashboard, Contracts: links in the bar and in the page alike
        page.keyboard.press("Tab")
        style, width = focus_ring(page)
        assert style != "none" and width >= 2, (page.evaluate("document.activeElement.outerHTML"), style, width)
    page.get_by_label("Severity").focus()
    style, width = focus_ring(page)
    assert style != "none" and width >= 2


def test_the_menu_under_the_name_is_readable_and_signs_out(sign_in, buyer):
    page = sign_in(buyer)
    page.locator(".who summary").click()
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    colours = sign_out.evaluate(
        """(el) => {
          let bg = el; let c = 'rgba(0, 0, 0, 0)';
          while (bg && (c === 'rgba(0, 0, 0, 0)' || c === 'transparent')) { c = getComputedStyle(bg).backgroundColor; bg = bg.parentElement; }
          return [getComputedStyle(el).color, c];
        }"""
    )
    assert contrast(*colours) >= 4.5, colours
    results = Axe().run(page, context=".who")
    assert [v["id"] for v in results.response["violations"]] == []
    shoot(page, "menu-open-desktop")
    sign_out.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_label("Username")).to_be_visible()


def test_the_sign_in_pages_pass_axe_on_a_phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    try:
        page = context.new_page()
        for path in ("/accounts/login/", "/accounts/password_reset/"):
            response = page.goto(path)
            assert response is not None and response.status == 200
            violations = Axe().run(page).response["violations"]
            assert [v["id"] for v in violations if v["impact"] in BLOCKING] == [], path
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        shoot(page, "password-reset-phone")
    finally:
        context.close()
