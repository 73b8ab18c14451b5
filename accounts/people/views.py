"""The people pages (``/settings/people/``), staff's new organization page and
the invitation link (``/invitations/<token>/``). Views parse, call
accounts.people.services, and show; another organization is a 404, a member
who is not an admin gets a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import administered_organization_ids, is_organization_admin, organization_ids
from accounts.http import signed_in
from accounts.identity.stepup import step_up_required
from accounts.models import Invitation, Membership, Organization, User
from accounts.people import services
from accounts.people.forms import InviteForm, MemberForm, OrganizationForm, SignUpForm
from core.errors import DomainError, NotPermitted


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "accounts/people/refused.html", {"message": message}, status=403)


def organization_for(user: User, organization_id: int | str | None) -> Organization:
    """An organization the person may open the people page of: staff any,
    others their own (404 for any other; the admin check is the caller's)."""
    try:
        pk = int(organization_id or 0)
    except ValueError:
        raise Http404("No such organization.") from None
    if not user.is_staff and pk not in organization_ids(user):
        raise Http404("No such organization.")
    return get_object_or_404(Organization, pk=pk)


def _people_url(organization: Organization) -> str:
    return f"{reverse('people:list')}?organization={organization.pk}"


def _describe(exc: DomainError) -> str:
    details = " ".join(" ".join(msgs) for msgs in exc.errors.values() if msgs)
    return f"{exc.message} {details}".strip() if details and details not in exc.message else exc.message


@login_required
def people(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    requested = request.GET.get("organization")
    if not requested:
        administered = administered_organization_ids(user)
        if administered:
            requested = str(administered[0])
        elif user.is_staff:
            organizations = Organization.objects.order_by("name")
            return render(request, "accounts/people/organizations.html", {"organizations": organizations})
        else:
            return _refused(request, "Only your organization's admins manage its people.")
    organization = organization_for(user, requested)
    if not is_organization_admin(user, organization.pk):
        return _refused(request, f"Only the admins of {organization} manage its people.")
    return _render_people(request, organization, InviteForm(organization=organization))


def _render_people(request: HttpRequest, organization: Organization, invite_form: InviteForm) -> HttpResponse:
    members = list(services.members_for_list(organization))
    rows = [
        (
            m,
            MemberForm(organization=organization, initial={"role": m.role, "is_admin": m.is_admin}, prefix=f"m{m.pk}"),
        )
        for m in members
    ]
    context = {
        "organization": organization,
        "members": members,
        "rows": rows,
        "invitations": list(Invitation.objects.open().filter(organization=organization).select_related("invited_by")),
        "invite_form": invite_form,
        "administered": Organization.objects.filter(pk__in=administered_organization_ids(signed_in(request))),
    }
    return render(request, "accounts/people/list.html", context, status=400 if invite_form.errors else 200)


@login_required
@require_POST
@step_up_required
def invite(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    organization = organization_for(user, request.POST.get("organization"))
    if not is_organization_admin(user, organization.pk):
        return _refused(request, f"Only the admins of {organization} manage its people.")
    form = InviteForm(request.POST, organization=organization)
    if form.is_valid():
        try:
            invitation = services.invitation_create(actor=user, organization=organization, **form.cleaned_data)
        except NotPermitted as exc:
            return _refused(request, exc.message)
        except DomainError as exc:
            form.apply(exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect(_people_url(organization))
    return _render_people(request, organization, form)


def _invitation_for(user: User, pk: int) -> Invitation:
    invitation = get_object_or_404(Invitation.objects.select_related("organization"), pk=pk)
    organization_for(user, invitation.organization_id)  # another organization's invitation: 404
    return invitation


@login_required
@require_POST
@step_up_required
def invitation_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = signed_in(request)
    invitation = _invitation_for(user, pk)
    try:
        if action == "resend":
            services.invitation_resend(actor=user, invitation=invitation)
            messages.success(request, f"A new link is on its way to {invitation.email}; the old one no longer works.")
        else:
            services.invitation_revoke(actor=user, invitation=invitation)
            messages.success(request, f"The invitation of {invitation.email} is revoked: its link no longer works.")
    except NotPermitted as exc:
        return _refused(request, exc.message)
    except DomainError as exc:
        messages.error(request, _describe(exc))
    return redirect(_people_url(invitation.organization))


@login_required
@require_POST
@step_up_required
def member_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """``update`` (role and admin flag), ``deactivate`` or ``reactivate`` one membership."""
    user = signed_in(request)
    membership = get_object_or_404(Membership.objects.select_related("organization", "user"), pk=pk)
    organization = organization_for(user, membership.organization_id)
    if not is_organization_admin(user, organization.pk):
        return _refused(request, f"Only the admins of {organization} manage its people.")
    try:
        if action == "update":
            form = MemberForm(request.POST, organization=organization, prefix=f"m{membership.pk}")
            if not form.is_valid():
                messages.error(request, f"{membership.user}: choose one of the roles offered.")
                return redirect(_people_url(organization))
            services.member_update(actor=user, membership=membership, **form.cleaned_data)
            messages.success(request, f"{membership.user}: saved.")
        else:
            active = action == "reactivate"
            services.member_update(actor=user, membership=membership, is_active=active)
            messages.success(
                request,
                f"{membership.user} is {'back' if active else 'deactivated: their API tokens are revoked'}.",
            )
    except NotPermitted as exc:
        return _refused(request, exc.message)
    except DomainError as exc:
        messages.error(request, _describe(exc))
    return redirect(_people_url(organization))


@login_required
@step_up_required
def organization_new(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if not user.is_staff:
        return _refused(request, "Only staff create organizations.")
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            form.apply(exc)
        else:
            messages.success(request, f"{organization} created. Invite its first admin below.")
            return redirect(_people_url(organization))
    return render(request, "accounts/people/organization_new.html", {"form": form}, status=400 if form.errors else 200)


# -- the invitation link ---------------------------------------------------------------------------------


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link. A link that never was is a 404; an
    expired, revoked or used one a 410 page that says which."""
    found = services.invitation_by_token(token)
    if found is None:
        return render(request, "accounts/invitation_closed.html", {"state": "unknown"}, status=404)
    if found.state != "pending":
        return render(
            request, "accounts/invitation_closed.html", {"invitation": found, "state": found.state}, status=410
        )
    context: dict[str, object] = {"invitation": found}
    if request.user.is_authenticated:
        user = signed_in(request)
        if (user.email or "").lower() != found.email:
            context["wrong_person"] = user
            return render(request, "accounts/invitation.html", context, status=403)
        if request.method == "POST":
            try:
                services.invitation_accept(actor=user, invitation=found)
            except DomainError as exc:
                messages.error(request, _describe(exc))
                return redirect("people:invitation", token=token)
            messages.success(request, f"You joined {found.organization}.")
            return redirect("home")
        return render(request, "accounts/invitation.html", context)
    if User.objects.filter(email__iexact=found.email).exists():
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        context["sign_in_url"] = f"{reverse('login')}?next={request.path}"
        return render(request, "accounts/invitation.html", context)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.invitation_accept_new_user(
                invitation=found,
                username=data["username"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except DomainError as exc:
            form.apply(exc)
        else:
            login(request, person, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Covenant: you joined {found.organization}.")
            return redirect("home")
    context["form"] = form
    return render(request, "accounts/invitation.html", context, status=400 if form.errors else 200)
