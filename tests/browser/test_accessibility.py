"""Every main page, at desktop and phone width, for a buyer and a vendor:
no serious or critical axe-core violation, and on a phone nothing makes the
page wider than the screen (the page itself never scrolls sideways; wide
tables scroll inside their own wrapper)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests.browser.conftest import DESKTOP, PHONE, shoot
from tests.world import NOW, build

BLOCKING = {"serious", "critical"}


@pytest.fixture
def world(live_server: Any, monkeypatch: pytest.MonkeyPatch, pdf_once_per_kind: Any) -> Any:
    """tests/world.py's world, committed (the live server runs in another
    thread) and seen at the instant it was built for. Its PDFs are rendered
    once per kind: these tests read pages, not documents."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return build()


def main_pages(world: Any) -> list[tuple[str, str]]:
    own = world.own
    return [
        ("dashboard", reverse("home")),
        ("contracts", reverse("contracts:list")),
        ("contract", reverse("contracts:detail", args=[own.contract.pk])),
        ("incidents", reverse("incidents:list")),
        ("incident", reverse("incidents:detail", args=[own.incident.pk])),
        ("availability", reverse("availability:contract", args=[own.contract.pk])),
        ("reports", reverse("reports:index")),
        ("report", reverse("reports:detail", args=[own.report.pk])),
        ("ledger", reverse("disputes:credits")),
        ("disputes", reverse("disputes:disputes")),
        ("dispute", reverse("disputes:dispute", args=[own.dispute.pk])),
        ("reviews", reverse("reviews:list")),
        ("review", reverse("reviews:detail", args=[own.review.pk])),
    ]


def describe(violation: dict[str, Any]) -> str:
    targets = ", ".join(str(node["target"]) for node in violation["nodes"][:4])
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"


# Pages whose content differs by party (actions, panels): the vendor's view is checked too.
SIDED = {"contract", "incident", "ledger", "dispute", "review"}


def test_main_pages_pass_axe_and_fit_the_screen(sign_in, world):
    """One world for every page and width: building it is the slow part, and
    so is axe (about half a second a page), hence the buyer's view of every
    page at both widths and the vendor's of the pages that differ by party."""
    axe = Axe()
    problems: list[str] = []
    for role, width, viewport in (
        ("buyer_cm", "desktop", DESKTOP),
        ("buyer_cm", "phone", PHONE),
        ("vendor_am", "phone", PHONE),
    ):
        page = sign_in(world.user(role), viewport=viewport)
        for name, path in main_pages(world):
            response = page.goto(path)
            assert response is not None and response.status == 200, f"{role} {name}: {path}"
            shoot(page, f"{name}-{width}-{role}")
            if role == "buyer_cm" or name in SIDED:
                violations = axe.run(page).response["violations"]
                problems += [f"{role} {name} {width}: {describe(v)}" for v in violations if v["impact"] in BLOCKING]
            if width == "phone":
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > PHONE["width"]:
                    problems.append(f"{role} {name} phone: the page is {scroll_width}px wide")
    assert not problems, "\n".join(problems)
