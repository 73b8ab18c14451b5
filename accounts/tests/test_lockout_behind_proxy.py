"""The sign-in lockout keys on the client's address as the trusted proxies
report it (COVENANT_TRUSTED_PROXIES), never on a header a client can forge."""

import pytest
from django.test import Client, RequestFactory

from accounts.client_ip import client_ip

PASSWORD = "correct horse battery"
PROXY = "10.0.0.5"


def _login(client: Client, password: str, forwarded: str):
    return client.post(
        "/accounts/login/", {"login": "buyer", "password": password}, headers={"x-forwarded-for": forwarded}
    )


def test_two_clients_behind_the_same_proxy_do_not_lock_each_other_out(buyer, settings):
    settings.COVENANT_TRUSTED_PROXIES = 1
    attacker, person = Client(REMOTE_ADDR=PROXY), Client(REMOTE_ADDR=PROXY)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _login(attacker, "guess", forwarded="203.0.113.9")
    assert _login(attacker, PASSWORD, forwarded="203.0.113.9").status_code == 429
    assert _login(person, PASSWORD, forwarded="198.51.100.7").status_code == 302


def test_entries_a_client_adds_before_the_proxy_s_own_are_ignored(buyer, settings):
    settings.COVENANT_TRUSTED_PROXIES = 1
    attacker = Client(REMOTE_ADDR=PROXY)
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        # The proxy appends the real peer (203.0.113.9) after whatever the client sent.
        _login(attacker, "guess", forwarded=f"192.0.2.{n}, 203.0.113.9")
    assert _login(attacker, PASSWORD, forwarded="192.0.2.200, 203.0.113.9").status_code == 429


def test_without_a_trusted_proxy_a_forged_header_changes_nothing(buyer, settings):
    assert settings.COVENANT_TRUSTED_PROXIES == 0
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        _login(attacker, "guess", forwarded=f"192.0.2.{n}")
    assert _login(attacker, PASSWORD, forwarded="192.0.2.250").status_code == 429


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.5"),
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "192.0.2.1, 198.51.100.7", "198.51.100.7"),
        (2, "192.0.2.1, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (3, "198.51.100.7", "198.51.100.7"),  # fewer entries than hops: the leftmost there is
        (1, "", "10.0.0.5"),
        (1, "not-an-address", "10.0.0.5"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, hops, forwarded, expected):
    settings.COVENANT_TRUSTED_PROXIES = hops
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
