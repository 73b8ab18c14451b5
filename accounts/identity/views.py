"""Sign-in and security: a person's own history, second factors and sessions;
an organization admin's view of a member's sign-ins."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import is_organization_admin
from accounts.http import signed_in
from accounts.identity import auth_method
from accounts.identity.policy import mfa_required
from accounts.models import Membership, SignInEvent, User

HISTORY_PAGE = 25


@login_required
@require_GET
def security(request: HttpRequest) -> HttpResponse:
    person = signed_in(request)
    page = Paginator(SignInEvent.objects.filter(user=person).order_by("-at", "-id"), HISTORY_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/security.html",
        {
            "page": page,
            "authenticators": list(Authenticator.objects.filter(user=person).order_by("type", "pk")),
            "sessions": list(UserSession.objects.filter(user=person).order_by("-last_seen_at")),
            "current_session_key": request.session.session_key,
            "mfa_required": mfa_required(person),
            "method": auth_method(request),
        },
    )


@login_required
@require_GET
def person_sign_ins(request: HttpRequest, user_id: int) -> HttpResponse:
    """A member's sign-ins, for an admin of one of their organizations (or
    staff); anyone else gets 404, as if the person did not exist."""
    viewer = signed_in(request)
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise Http404("No such person.")
    shared = list(
        Membership.objects.filter(user=person, is_active=True)
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
    )
    if not (viewer.pk == person.pk or viewer.is_staff or any(is_organization_admin(viewer, o) for o in shared)):
        raise Http404("No such person.")
    page = Paginator(SignInEvent.objects.filter(user=person).order_by("-at", "-id"), HISTORY_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/security_person.html", {"person": person, "page": page})
