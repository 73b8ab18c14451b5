"""Single sign-on fixtures: a running OpenID Connect provider, Northwind
(the buyer persona's organization) configured to sign in northwind.test
addresses through it, and the sign-in walked end to end."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts.models import Membership, Organization
from accounts.sso import services
from accounts.sso.models import OrganizationSSO
from accounts.sso.tests.oidc_provider import OIDCProvider
from core.actor import SystemActor


@pytest.fixture
def oidc() -> Iterator[OIDCProvider]:
    provider = OIDCProvider(
        identity={
            "sub": "northwind-0001",
            "email": "ada@northwind.test",
            "email_verified": True,
            "given_name": "Ada",
            "family_name": "Lovelace",
        }
    ).start()
    yield provider
    provider.stop()


def configure(
    organization: Organization, provider: OIDCProvider, *, domains: list[str], **overrides: Any
) -> OrganizationSSO:
    values: dict[str, Any] = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "allowed_domains": domains,
        "default_role": Membership.Role.VIEWER,
        "passwords_disabled": False,
        "enabled": True,
        **overrides,
    }
    return services.sso_configure(actor=SystemActor("test"), organization=organization, **values)


@pytest.fixture
def northwind_sso(buyer_org: Organization, oidc: OIDCProvider) -> OrganizationSSO:
    return configure(buyer_org, oidc, domains=["northwind.test"])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def authorize(location: str) -> str:
    """Follow the browser to the provider's /authorize; return where it sends the browser back."""
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(location, timeout=10)
    assert caught.value.code == 302, caught.value.read()
    return str(caught.value.headers["Location"])


def sso_sign_in(client: Client, email: str, *, next_url: str = "") -> Any:
    """The whole flow: the email entry, the provider's approval, the callback
    (where allauth exchanges the code with the provider, server to server)."""
    start = client.post("/accounts/sso/", {"email": email, "next": next_url})
    assert start.status_code == 302, start.content
    back = urlsplit(authorize(start["Location"]))
    return client.get(f"{back.path}?{back.query}")


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None
