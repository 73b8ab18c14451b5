"""Single sign-on pages: the sign-in entry (``/accounts/sso/``), the
provider's callback, and the organization admins' settings page
(``/settings/sso/``). Another organization's settings are a 404."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.access import administered_organization_ids, is_organization_admin
from accounts.http import signed_in
from accounts.identity.stepup import step_up_required
from accounts.models import Organization
from accounts.people.views import organization_for
from accounts.sso import services
from accounts.sso.forms import SSOSettingsForm, SSOStartForm
from accounts.sso.models import OrganizationSSO
from accounts.sso.provider import StrictOIDCAdapter
from core.errors import DomainError, NotPermitted

NO_SSO = (
    "No organization signs in people with that address through single sign-on. "
    "Sign in with your username or email and password."
)


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The person types their work email; the organization whose domains hold
    it sends them to its provider. No list of organizations is shown."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    form = SSOStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        config = services.organization_for_email(form.cleaned_data["email"])
        if config is not None:
            try:
                provider = get_adapter(request).get_provider(request, config.provider_id)
            except SocialApp.DoesNotExist:
                provider = None
            if provider is not None:
                response: HttpResponse = provider.redirect(
                    request,
                    AuthProcess.LOGIN,
                    next_url=next_url or None,
                    auth_params={"login_hint": form.cleaned_data["email"]},
                )
                return response
        form.add_error("email", NO_SSO)
        form.full_clean_marks()
    status = 400 if form.errors else 200
    return render(request, "accounts/sso_start.html", {"form": form, "next": next_url}, status=status)


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OAuth2 callback, with the stricter token checks of ``StrictOIDCAdapter``."""
    try:
        view = OAuth2CallbackView.adapter_view(StrictOIDCAdapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist:
        raise Http404("No such single sign-on.") from None
    return response


# -- settings ----------------------------------------------------------------------------------


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "accounts/people/refused.html", {"message": message}, status=403)


def _initial(config: OrganizationSSO | None, organization: Organization) -> dict[str, Any]:
    if config is None:
        return {"default_role": "viewer", "enabled": False}
    return {
        "enabled": config.enabled,
        "issuer": config.issuer,
        "client_id": config.client_id,
        "allowed_domains": "\n".join(config.allowed_domains),
        "default_role": config.default_role,
        "passwords_disabled": config.passwords_disabled,
    }


@login_required
@require_http_methods(["GET", "POST"])
@step_up_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    requested = request.POST.get("organization") or request.GET.get("organization")
    if not requested:
        administered = administered_organization_ids(user)
        if not administered:
            return _refused(request, "Only your organization's admins configure its single sign-on.")
        requested = str(administered[0])
    organization = organization_for(user, requested)
    if not is_organization_admin(user, organization.pk):
        return _refused(request, f"Only the admins of {organization} configure its single sign-on.")
    config = OrganizationSSO.objects.filter(organization=organization).prefetch_related("domains").first()
    form = SSOSettingsForm(
        request.POST or None,
        organization=organization,
        secret_set=bool(config and config.client_secret_set),
        initial=_initial(config, organization),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.sso_configure(
                actor=user,
                organization=organization,
                issuer=data["issuer"],
                client_id=data["client_id"],
                client_secret=data["client_secret"] or None,
                allowed_domains=data["allowed_domains"],
                default_role=data["default_role"],
                passwords_disabled=data["passwords_disabled"],
                enabled=data["enabled"],
            )
        except NotPermitted as exc:
            return _refused(request, exc.message)
        except DomainError as exc:
            form.apply(exc)
        else:
            messages.success(request, f"Single sign-on settings for {organization} saved.")
            return redirect(f"{reverse('sso:settings')}?organization={organization.pk}")
    provider_id = config.provider_id if config else f"org-{organization.slug}"
    context = {
        "organization": organization,
        "config": config,
        "form": form,
        "callback_url": request.build_absolute_uri(reverse("sso:callback", kwargs={"provider_id": provider_id})),
        "administered": Organization.objects.filter(pk__in=administered_organization_ids(user)),
    }
    return render(request, "accounts/sso_settings.html", context, status=400 if form.errors else 200)
