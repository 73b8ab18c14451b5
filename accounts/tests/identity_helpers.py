"""Signing in for real in the identity tests: allauth's form, then a TOTP code
computed with allauth's own helpers from the authenticator's secret."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

PASSWORD = "correct horse battery"  # accounts.tests.factories.UserFactory
RECORDS = "account_authentication_methods"


def enrol_totp(user: Any) -> str:
    """Give ``user`` an authenticator app; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def code_for(secret: str, *, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def sign_in(user: Any, *, secret: str | None = None, client: Client | None = None) -> Client:
    client = client or Client()
    response = client.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    if secret is not None:
        assert response["Location"] == "/accounts/2fa/authenticate/"
        done = client.post("/accounts/2fa/authenticate/", {"code": code_for(secret)})
        assert done.status_code == 302, done.content[:500]
    return client


def age_authentication(client: Client, seconds: int) -> None:
    """Move every authentication of this session ``seconds`` into the past."""
    session = client.session
    session[RECORDS] = [{**r, "at": r["at"] - seconds} for r in session[RECORDS]]
    session.save()
