"""Step-up: a board member without a second factor cannot sign; signing
longer than the window after the last authentication asks again (the second
factor for those who hold one) and then proceeds; the API answers 403
step_up_required for a stale session and for a token without the sign scope."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts import services
from accounts.identity import auth_method
from accounts.identity.stepup import is_fresh
from accounts.models import ApiToken
from accounts.tests.identity_helpers import age_authentication, code_for, enrol_totp, sign_in
from reports.tests.conftest import clock  # noqa: F401  (the reviews' frozen clock)
from reviews.models import Signature
from reviews.services import lifecycle
from reviews.tests.factories import open_review, seat_board

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _enforced(settings):
    settings.COVENANT_MFA_ENFORCED = True
    settings.COVENANT_STEP_UP_ENFORCED = True
    settings.COVENANT_STEP_UP_SECONDS = 300
    cache.clear()


@pytest.fixture
def chair(contract, staff, buyer, vendor):
    return seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)


@pytest.fixture
def review(contract, chair, clock):  # noqa: F811
    review = open_review(contract)
    review.frozen_packet = lifecycle.review_freeze(actor=chair, review=review)
    return review


def _sign_html(client, review):
    checksum = review.frozen_packet.checksum
    return client.post(reverse("reviews:sign", args=[review.pk]), {"decision": "approve", "packet_checksum": checksum})


def _sign_api(client, review, **headers):
    checksum = review.frozen_packet.checksum
    return client.post(
        f"/api/reviews/{review.pk}/sign/", {"packet_checksum": checksum}, content_type="application/json", **headers
    )


def test_a_board_member_without_a_second_factor_cannot_sign(review, chair):
    client = sign_in(chair)
    page = _sign_html(client, review)
    assert page.status_code == 302 and page["Location"] == "/accounts/2fa/totp/activate/"
    api = _sign_api(client, review)
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"
    assert not Signature.objects.filter(user=chair).exists()


def test_signing_within_the_window_proceeds(review, chair):
    client = sign_in(chair, secret=enrol_totp(chair))
    assert _sign_html(client, review).status_code == 302
    # The signature keeps how its signer authenticated (printed on the signed packet).
    assert Signature.objects.get(user=chair).auth_method == "password+totp"


def test_signing_after_the_window_asks_for_the_second_factor_then_proceeds(review, chair):
    secret = enrol_totp(chair)
    client = sign_in(chair, secret=secret)
    age_authentication(client, 301)
    asked = _sign_html(client, review)
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    assert not Signature.objects.filter(user=chair).exists()
    done = client.post(asked["Location"], {"code": _next_code(secret)})
    assert done.status_code == 302, done.content[:400]
    assert Signature.objects.filter(user=chair).count() == 1  # the suspended POST ran once


def _next_code(secret: str) -> str:
    # The sign-in used this window's code, which is refused as a replay; the
    # person waits for the next one. The test forgets the used marker instead.
    cache.clear()
    return code_for(secret)


def test_the_api_refuses_a_stale_session_with_step_up_required(review, chair):
    client = sign_in(chair, secret=enrol_totp(chair))
    age_authentication(client, 301)
    response = _sign_api(client, review)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "step_up_required" and body["reauthenticate_url"] == "/accounts/reauthenticate/"
    assert "minutes" in body["detail"]
    assert not Signature.objects.filter(user=chair).exists()


def test_a_token_signs_only_with_the_sign_scope(review, buyer, buyer_org):
    _, plain = services.token_issue(actor=buyer, user=buyer)
    refused = _sign_api(_anon(), review, HTTP_AUTHORIZATION=f"Token {plain}")
    assert refused.status_code == 403 and refused.json()["code"] == "step_up_required"
    assert not Signature.objects.filter(user=buyer).exists()
    _, signer = services.token_issue(actor=buyer, user=buyer, scopes=["read", "write", "sign"])
    signed = _sign_api(_anon(), review, HTTP_AUTHORIZATION=f"Token {signer}")
    assert signed.status_code == 201, signed.json()
    assert Signature.objects.filter(user=buyer).count() == 1


def test_issuing_a_signing_token_on_the_page_needs_a_fresh_authentication(buyer, buyer_org):
    client = sign_in(buyer, secret=enrol_totp(buyer))
    age_authentication(client, 301)
    asked = client.post("/accounts/tokens/new/", {"organization": buyer_org.pk, "scopes": ["read", "sign"]})
    assert asked.status_code == 302 and "reauthenticate" in asked["Location"]
    assert not ApiToken.objects.filter(user=buyer).exists()


def test_auth_method_and_freshness_read_the_session(rf, buyer):
    client = sign_in(buyer, secret=enrol_totp(buyer))
    request = rf.get("/")
    request.user = buyer
    request.session = client.session
    assert auth_method(request) == "password+totp" and is_fresh(request)
    age_authentication(client, 301)
    request.session = client.session
    assert not is_fresh(request)


def _anon():
    from django.test import Client

    return Client()


def test_accepting_terms_and_changing_organization_settings_ask_again(contract, buyer, buyer_org):
    from contracts import services as contract_services
    from contracts.models import SLAVersion

    buyer_org_admin = buyer
    client = sign_in(buyer_org_admin, secret=enrol_totp(buyer_org_admin))
    age_authentication(client, 301)
    draft = contract_services.sla_version_amend(actor=buyer, contract=contract, change_summary="Step-up test")
    asked = client.post(reverse("contracts:version_accept", args=[contract.pk, draft.number]), {"checksum": "x" * 64})
    assert asked.status_code == 302 and "reauthenticate" in asked["Location"]
    api = client.post(
        f"/api/contracts/{contract.pk}/sla-versions/{draft.number}/accept/",
        {"checksum": "x" * 64},
        content_type="application/json",
    )
    assert api.status_code == 403 and api.json()["code"] == "step_up_required"
    assert SLAVersion.objects.get(pk=draft.pk).status == SLAVersion.Status.DRAFT
    invite = client.post("/settings/people/invite/", {"email": "new@x.test", "role": "viewer"})
    assert invite.status_code == 302 and "reauthenticate" in invite["Location"]


def test_the_api_asks_again_before_inviting_or_adding_a_webhook(buyer, buyer_org):
    from accounts.models import Membership

    Membership.objects.filter(user=buyer, organization=buyer_org).update(is_admin=True)
    client = sign_in(buyer, secret=enrol_totp(buyer))
    age_authentication(client, 301)
    invite = client.post(
        f"/api/organizations/{buyer_org.pk}/invitations/",
        {"email": "new@x.test", "role": "viewer"},
        content_type="application/json",
    )
    assert invite.status_code == 403 and invite.json()["code"] == "step_up_required"
    hook = client.post(
        "/api/webhooks/endpoints/",
        {"name": "x", "url": "https://hooks.example.test/x", "format": "covenant", "events": []},
        content_type="application/json",
    )
    assert hook.status_code == 403 and hook.json()["code"] == "step_up_required"
