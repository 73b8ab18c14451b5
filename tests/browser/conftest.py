"""Real-browser tests: Debian's Chromium driven by Playwright against
pytest-django's live server (a transactional database, so the server thread
sees what the test wrote). People sign in through the real login form.

Playwright never downloads a browser here: it launches the distribution's
Chromium (``apt-get install -y chromium``; ``make test`` installs it when run
as root). COVENANT_CHROMIUM points at another binary."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

CHROMIUM = os.environ.get("COVENANT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery"  # accounts.tests.factories.UserFactory
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
SHOTS = os.environ.get("COVENANT_SCREENSHOTS", "")  # a folder: save a screenshot of every page visited


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Playwright's sync API keeps an asyncio
    loop running in the test thread while it is started, and Django's ORM
    refuses to run beside a running loop unless told the thread is safe (the
    test is synchronous code that only waits on the browser): the permission
    lasts exactly as long as the browser, so the tests after this module run
    with Django's check in force again."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` (as root).")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()


SignIn = Callable[..., Page]


@pytest.fixture
def sign_in(browser: Browser, live_server: Any) -> Iterator[SignIn]:
    """sign_in(user, viewport=DESKTOP) -> a page on the dashboard (or on
    ``lands``), signed in through allauth's login form (username or email,
    then password) in a browser context of its own."""
    contexts: list[BrowserContext] = []

    def open_as(user: Any, *, viewport: ViewportSize = DESKTOP, lands: str = "/") -> Page:
        context = browser.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username or email").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(f"{live_server.url}{lands}")
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def visitor(browser: Browser, live_server: Any) -> Iterator[Callable[..., Page]]:
    """visitor(viewport=DESKTOP) -> a blank page in a browser context of its
    own, signed in as nobody: someone who opens a link from an email."""
    contexts: list[BrowserContext] = []

    def open_page(*, viewport: ViewportSize = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def eager(settings: Any) -> Iterator[None]:
    """Tasks run in the live server's thread when the outbox publishes them
    after commit, as a worker would: notification mail lands in
    ``mail.outbox`` (pytest-django's ``mailoutbox``) before the page answers."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save what the screen shows (or the whole page) when COVENANT_SCREENSHOTS
    names a folder: `COVENANT_SCREENSHOTS=var/shots pytest tests/browser`."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)


def shoot_widths(page: Page, name: str) -> None:
    """The whole page at desktop and at phone width (``name-1280``,
    ``name-390``), then back to the page's own size; nothing unless
    COVENANT_SCREENSHOTS names a folder."""
    if not SHOTS:
        return
    own = page.viewport_size
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        shoot(page, f"{name}-{size['width']}", full_page=True)
    if own is not None:
        page.set_viewport_size(own)
