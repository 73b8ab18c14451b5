"""A board member must hold a second factor: signing in sends them to enrol
an authenticator app (the code computed from the secret the page shows, with
allauth's own TOTP helper); later, signing the annual review after the
step-up window asks for a code again and then records the signature."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from playwright.sync_api import expect

from reviews.models import Signature
from reviews.services import lifecycle
from reviews.tests.factories import open_review, seat_board
from tests.browser.conftest import PHONE, shoot

RECORDS = "account_authentication_methods"


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def signing_review(contract, staff, buyer, vendor, live_server):
    chair = seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract)
    # Freezing signs the packet PDF, whose signer runs its own event loop: not
    # beside Playwright's, so in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_freeze, chair, review).result()
    return chair, review


def _freeze(chair, review) -> None:
    from django.db import connection

    try:
        lifecycle.review_freeze(actor=chair, review=review)
    finally:
        connection.close()


def test_a_board_member_enrols_then_steps_up_to_sign(sign_in, signing_review, settings):
    settings.COVENANT_MFA_ENFORCED = True
    settings.COVENANT_STEP_UP_ENFORCED = True
    chair, review = signing_review

    page = sign_in(chair, viewport=PHONE, lands="/accounts/2fa/totp/activate/")
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(_code(secret))
    page.get_by_role("button", name="Activate").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "mfa-enrolled-phone")

    # Now the portal opens; the sign-in was an hour ago by the session's clock.
    page.goto(f"/reviews/{review.pk}/")
    expect(page.get_by_role("button", name="Approve packet v2")).to_be_visible()
    _age_session(page, 3600)
    page.get_by_role("button", name="Approve packet v2").click()
    page.wait_for_url("**/accounts/2fa/reauthenticate/**")
    assert not Signature.objects.filter(user=chair).exists()
    cache.clear()  # the enrolment used this window's code; the person would wait for the next
    page.get_by_label("Code").fill(_code(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".flash").first).to_contain_text("Your approval is recorded")
    assert Signature.objects.filter(user=chair).count() == 1
    shoot(page, "mfa-signed-after-step-up-phone")


def _age_session(page, seconds: int) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=cookie["value"])
    session[RECORDS] = [{**r, "at": r["at"] - seconds} for r in session[RECORDS]]
    session.save()
