from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.client_ip import client_ip
from accounts.http import signed_in
from accounts.ratelimit import allow


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(request.user.notifications.all(), 25).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification(s) as read.")
    return redirect("accounts:notifications")


# -- passwords: Django's views, writing through the service (audit entry, tokens revoked) ---------


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        services.user_set_password(actor=form.user, user=form.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        services.user_set_password(actor=form.user, user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    """At most COVENANT_PASSWORD_RESET_PER_EMAIL mails per hour to one address
    and COVENANT_PASSWORD_RESET_PER_IP requests per hour from one client.
    Past either limit nothing is sent and the answer is the same as ever, so
    the page tells nobody whether an address has an account."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        per_ip = allow(
            scope="password-reset-ip",
            key=client_ip(self.request),
            limit=settings.COVENANT_PASSWORD_RESET_PER_IP,
            window_seconds=3600,
        )
        per_email = allow(
            scope="password-reset-email",
            key=email,
            limit=settings.COVENANT_PASSWORD_RESET_PER_EMAIL,
            window_seconds=3600,
        )
        if per_ip and per_email:
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


# -- API tokens --------------------------------------------------------------------------------


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    held = Token.objects.filter(user=signed_in(request)).order_by("-created")
    return render(request, "accounts/tokens.html", {"tokens": held})


@login_required
@require_POST
def token_issue(request: HttpRequest) -> HttpResponse:
    person = signed_in(request)
    token = services.token_issue(actor=person, user=person)
    # Rendered, not redirected: the key is shown this once and never again.
    held = Token.objects.filter(user=person).order_by("-created")
    return render(request, "accounts/tokens.html", {"tokens": held, "new_key": token.key})


@login_required
@require_POST
def token_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    person = signed_in(request)
    if not services.tokens_revoke(actor=person, user=person, reason="revoked", prefix=prefix):
        raise Http404("No such token.")
    messages.success(request, f"Token {prefix}… revoked: programs using it can no longer call the API.")
    return redirect("accounts:tokens")
