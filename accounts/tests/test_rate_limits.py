"""API throttling (429 in the one error shape) and the password-reset mail limit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.tests.factories import UserFactory
from accounts.throttles import AnonThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    # The production defaults; the suite runs with higher ones.
    settings.COVENANT_PASSWORD_RESET_PER_EMAIL = 3
    settings.COVENANT_PASSWORD_RESET_PER_IP = 10
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }


def test_the_api_answers_429_in_the_error_shape_past_the_rate(buyer, vendor, client_for, low_rates):
    client = client_for(buyer)
    assert [client.get("/api/me/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/me/")
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"detail", "code", "errors"} and body["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Counted per person: someone else still gets in.
    assert client_for(vendor).get("/api/me/").status_code == 200


def test_the_suite_s_own_rates_do_not_throttle(buyer, client_for):
    client = client_for(buyer)
    assert {client.get("/api/me/").status_code for _ in range(30)} == {200}


def test_the_anonymous_rate_counts_per_client_address(low_rates, settings):
    settings.COVENANT_TRUSTED_PROXIES = 1

    def allowed(forwarded: str) -> bool:
        request = APIRequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
        return AnonThrottle().allow_request(Request(request), APIView())

    assert [allowed("203.0.113.9") for _ in range(3)] == [True, True, False]
    assert allowed("198.51.100.7")


# -- password-reset mail ------------------------------------------------------------------------


def _reset(client: Client, email: str):
    return client.post("/accounts/password_reset/", {"email": email})


def test_reset_mail_is_limited_per_address_with_the_same_answer(buyer, settings):
    responses = [_reset(Client(REMOTE_ADDR=f"198.51.100.{n}"), buyer.email) for n in range(20)]
    assert len(mail.outbox) == 3
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, "/accounts/password_reset/done/")}
    # The address is compared as typed, ignoring case.
    _reset(Client(REMOTE_ADDR="198.51.100.99"), buyer.email.upper())
    assert len(mail.outbox) == 3


def test_reset_mail_is_limited_per_client_address(settings, db):
    people = [UserFactory(username=f"reset{n}") for n in range(settings.COVENANT_PASSWORD_RESET_PER_IP + 5)]
    client = Client(REMOTE_ADDR="203.0.113.9")
    for person in people:
        assert _reset(client, person.email).status_code == 302
    assert len(mail.outbox) == settings.COVENANT_PASSWORD_RESET_PER_IP
    _reset(Client(REMOTE_ADDR="198.51.100.7"), people[-1].email)
    assert len(mail.outbox) == settings.COVENANT_PASSWORD_RESET_PER_IP + 1


def test_an_unknown_address_gets_the_same_answer_and_no_mail(buyer):
    known, unknown = _reset(Client(), buyer.email), _reset(Client(), "nobody@example.test")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
