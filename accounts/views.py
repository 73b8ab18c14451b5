from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import events as catalogue
from accounts import notifications as notices
from accounts import services
from accounts.client_ip import client_ip
from accounts.http import signed_in
from accounts.identity.stepup import require_step_up
from accounts.models import ApiToken, Membership, NotificationPreference, Organization, User
from accounts.ratelimit import allow
from core.errors import InvalidInput
from core.links import is_local_path


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(request.user.notifications.all(), 25).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow one notification's link, marking it read on the way. A GET that writes, on
    purpose: it is idempotent and touches only the viewer's own row (another person's id is
    a 404), so a plain link works and a prefetch or a crafted link can at worst mark it read."""
    person = signed_in(request)
    notification = get_object_or_404(person.notifications.all(), pk=pk)
    services.notifications_mark_read(user=person, ids=[notification.pk])
    # Only a path on this site: a stored absolute or scheme-relative URL falls back to the list.
    if notification.url and is_local_path(notification.url):
        return HttpResponseRedirect(notification.url)
    return redirect("accounts:notifications")


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification(s) as read.")
    return redirect("accounts:notifications")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    person = signed_in(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        changes = {key: request.POST[key] for key in catalogue.EVENTS if key in request.POST}
        try:
            notices.preferences_update(actor=person, user=person, changes=changes)
        except InvalidInput as exc:
            errors = dict(exc.errors or {})
            messages.error(request, exc.message)
        else:
            messages.success(request, "Your notification preferences are saved.")
            return redirect("accounts:notification_preferences")
    rows = notices.preferences_for(person)
    groups = [
        (group, [(r, errors.get(r.event.key, [])) for r in rows if r.event.group == group])
        for group in catalogue.GROUPS
    ]
    context = {
        "groups": groups,
        "deliveries": NotificationPreference.Delivery.choices,
        "errors": errors,
        "on_call": any(r.locked for r in rows),
    }
    return render(request, "accounts/notification_preferences.html", context, status=400 if errors else 200)


@csrf_exempt  # the signed token is the proof; mail clients' one-click POST (RFC 8058) carries no session
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """No sign-in: the link in a mail. GET asks (link scanners must not
    unsubscribe anyone), POST does it."""
    try:
        ask = notices.unsubscribe_read(token)
    except InvalidInput:
        return render(request, "accounts/notification_unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        ask = notices.unsubscribe_apply(token=token)
        done = True
    context = {
        "ask": ask,
        "done": done,
        "allowed": [catalogue.EVENTS[k] for k in ask.allowed],
        "refused": [catalogue.EVENTS[k] for k in ask.refused],
    }
    return render(request, "accounts/notification_unsubscribe.html", context)


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


def _token_page(request: HttpRequest, person: User, **extra: object) -> HttpResponse:
    held = ApiToken.objects.filter(user=person).select_related("organization").order_by("-created_at", "-id")
    memberships = (
        Membership.objects.filter(user=person, is_active=True).select_related("organization").order_by("organization")
    )
    context = {
        "tokens": held,
        "memberships": memberships,
        "roles": Membership.Role.choices,
        "scopes": ApiToken.Scope.choices,
        "default_days": settings.COVENANT_TOKEN_DAYS,
        "max_days": settings.COVENANT_TOKEN_MAX_DAYS,
        "now": timezone.now(),
        **extra,
    }
    return render(request, "accounts/tokens.html", context, status=400 if "errors" in extra else 200)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    return _token_page(request, signed_in(request))


@login_required
@require_POST
def token_issue(request: HttpRequest) -> HttpResponse:
    person = signed_in(request)
    scopes = request.POST.getlist("scopes") or ["read", "write"]
    if ApiToken.Scope.SIGN in scopes:
        # A token that signs is as strong as a fresh sign-in: issuing one needs one.
        require_step_up(request)
    org_id = request.POST.get("organization", "")
    organization = None
    if org_id:
        organization = Organization.objects.filter(
            pk=int(org_id) if org_id.isdigit() else 0, memberships__user=person, memberships__is_active=True
        ).first()
        if organization is None:
            return _token_page(request, person, errors={"organization": ["Choose one of your organizations."]})
    days_text = request.POST.get("days", "").strip()
    if days_text and not days_text.isdigit():
        return _token_page(request, person, errors={"days": ["A whole number of days."]})
    try:
        token, key = services.token_issue(
            actor=person,
            user=person,
            organization=organization,
            role=request.POST.get("role", ""),
            scopes=scopes,
            days=int(days_text) if days_text else None,
        )
    except InvalidInput as exc:
        return _token_page(request, person, errors=exc.errors)
    # Rendered, not redirected: the key is shown this once and never again.
    return _token_page(request, person, new_key=key, new_token=token)


@login_required
@require_POST
def token_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    person = signed_in(request)
    if not services.tokens_revoke(actor=person, user=person, reason="revoked", prefix=prefix):
        raise Http404("No such token.")
    messages.success(request, f"Token {prefix}… revoked: programs using it can no longer call the API.")
    return redirect("accounts:tokens")
