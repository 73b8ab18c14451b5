"""The allauth social-account adapter (``SOCIALACCOUNT_ADAPTER``): every
provider is an organization's, and who may come in through it is decided
here, by ``accounts.sso.services.sso_sign_in``.

allauth never links or signs anyone up on its own: it does not match people
by email (that would let one tenant's provider open another tenant's
account), and nobody signs up through it; the rules below match or provision
the person, then allauth signs them in."""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.datakit import parse_bool_safely
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.base.constants import AuthError
from django.http import HttpRequest
from django.shortcuts import render

from accounts.models import User
from accounts.sso import secrets, services
from accounts.sso.models import PROVIDER_PREFIX, OrganizationSSO
from accounts.sso.provider import VERIFIED_CLAIMS, OrganizationOIDCProvider


def _config(provider_id: str) -> OrganizationSSO | None:
    return OrganizationSSO.objects.select_related("organization").filter(provider_id=provider_id).first()


def refuse(
    request: HttpRequest, *, config: OrganizationSSO | None, provider_id: str, email: str, reason: str, message: str
) -> ImmediateHttpResponse:
    """Record the refusal for the organization's admins and answer the person."""
    services.sso_refusal_record(config=config, provider_id=provider_id, email=email, reason=reason)
    response = render(request, "accounts/sso_refused.html", {"message": message}, status=403)
    return ImmediateHttpResponse(response)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> SocialApp:
        """An enabled organization's app, with its client secret unsealed in memory only."""
        app: SocialApp = super().get_app(request, provider, client_id=client_id)
        config = _config(app.provider_id) if app.provider_id.startswith(PROVIDER_PREFIX) else None
        if config is None or not config.enabled:
            raise SocialApp.DoesNotExist()
        app.secret = secrets.unseal(config.client_secret_encrypted)
        return app

    def get_provider(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        app = self.get_app(request, provider, client_id=client_id)
        return OrganizationOIDCProvider(request, app=app)

    def list_providers(self, request: HttpRequest) -> list[Any]:
        # Organizations are reached through the email entry, never listed to anonymous visitors.
        return []

    def authenticate_by_email(self, login: SocialLogin) -> Any:
        return None

    def can_authenticate_by_email(self, login: SocialLogin, email: str) -> bool:
        return False

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        """The exchange with the provider failed (a token whose signature or
        claims do not verify, a forged or expired state, the provider's own
        error): recorded for the organization's admins, then refused."""
        if error == AuthError.CANCELLED:
            return
        app = getattr(provider, "app", None)
        provider_id = str(getattr(app, "provider_id", "") or getattr(provider, "id", ""))
        reason = "invalid_id_token" if "id_token" in str(exception or "") else f"provider_error:{error or 'unknown'}"
        message = (
            "The answer from your organization's identity provider could not be verified, so nobody was "
            "signed in. Please try again; if it keeps happening, tell your organization's admin."
        )
        if not (extra_context or {}).get("state"):
            # No sign-in of this browser's to answer (a stale or forged callback): nothing to record,
            # and an anonymous caller cannot fill the audit trail.
            response = render(request, "accounts/sso_refused.html", {"message": message}, status=403)
            raise ImmediateHttpResponse(response)
        raise refuse(
            request,
            config=_config(provider_id),
            provider_id=provider_id,
            email="",
            reason=reason[:80],
            message=message,
        )

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        provider_id = str(sociallogin.account.provider)
        config = _config(provider_id)
        claims: dict[str, Any] | None = getattr(request, VERIFIED_CLAIMS, None)
        email = str((claims or {}).get("email") or "")
        if config is None or claims is None:
            # Only the organization sign-in (accounts.sso.views.callback) checks the token's signature.
            raise refuse(
                request,
                config=config,
                provider_id=provider_id,
                email=email,
                reason="unverified_token",
                message="This sign-in did not come through your organization's single sign-on. Please start again.",
            )
        if sociallogin.state.get("process") != AuthProcess.LOGIN:
            # Connecting a provider account to whoever is signed in would bypass the rules below.
            raise refuse(
                request,
                config=config,
                provider_id=provider_id,
                email=email,
                reason="not_a_sign_in",
                message="Single sign-on only signs people in; start from “Sign in with your organization”.",
            )
        expected_nonce = sociallogin.state.get("nonce")
        if not expected_nonce or claims.get("nonce") != expected_nonce:
            raise refuse(
                request,
                config=config,
                provider_id=provider_id,
                email=email,
                reason="nonce_mismatch",
                message="The identity provider's answer does not belong to this sign-in. Please start again.",
            )
        linked = sociallogin.user if sociallogin.is_existing else None
        try:
            user = services.sso_sign_in(
                config=config,
                email=email,
                email_verified=bool(parse_bool_safely(claims.get("email_verified"))),
                uid=str(sociallogin.account.uid),
                linked_user=linked if isinstance(linked, User) else None,
                extra_data=dict(sociallogin.account.extra_data or {}),
                first_name=str(claims.get("given_name") or ""),
                last_name=str(claims.get("family_name") or ""),
            )
        except services.SignInRefused as refusal:
            raise refuse(
                request,
                config=config,
                provider_id=provider_id,
                email=email,
                reason=refusal.reason,
                message=refusal.message,
            ) from None
        if linked is None:
            sociallogin.user = user
            sociallogin.account = SocialAccount.objects.get(provider=provider_id, uid=sociallogin.account.uid)
