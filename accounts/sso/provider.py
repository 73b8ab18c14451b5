"""allauth's OpenID Connect provider, held to the stricter rules an
organization's sign-in needs.

allauth skips the ID token's signature when it fetched the token itself
(trusting TLS to the token endpoint) and sends no nonce. For an
organization's sign-in we check both: the signature against the provider's
published keys, and a nonce drawn per sign-in and kept in the sign-in state
(``accounts.sso.adapter`` compares it). The discovery document must name the
configured issuer, so a changed document cannot swap in another issuer's keys."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

# The request attribute that carries the ID token's verified claims from the
# token exchange to the adapter's sign-in rules.
VERIFIED_CLAIMS = "covenant_sso_claims"


class StrictOIDCAdapter(OpenIDConnectOAuth2Adapter):
    @property
    def openid_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().openid_config
        expected = str(self.get_provider().app.settings.get("server_url", "")).rstrip("/")
        if str(config.get("issuer", "")).rstrip("/") != expected:
            raise OAuth2Error(f"The provider's discovery document names another issuer than {expected}.")
        return config

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        setattr(self.request, VERIFIED_CLAIMS, claims)
        return claims

    def complete_login(self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any) -> Any:
        if not kwargs["response"].get("id_token"):
            raise OAuth2Error("The provider sent no ID token.")
        return super().complete_login(request, app, token, **kwargs)

    def get_callback_url(self, request: HttpRequest, app: SocialApp) -> str:
        url = reverse("sso:callback", kwargs={"provider_id": self.provider_id})
        return str(build_absolute_uri(request, url, self.redirect_uri_protocol))


class OrganizationOIDCProvider(OpenIDConnectProvider):
    oauth2_adapter_class = StrictOIDCAdapter

    def get_login_url(self, request: HttpRequest, **kwargs: Any) -> str:
        return reverse("sso:start")

    def get_callback_url(self) -> str:
        return reverse("sso:callback", kwargs={"provider_id": self.app.provider_id})

    def redirect(
        self, request: HttpRequest, process: Any, next_url: str | None = None, data: Any = None, **kwargs: Any
    ) -> HttpResponse:
        nonce = secrets.token_urlsafe(24)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params["nonce"] = nonce
        response: HttpResponse = super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )
        return response
