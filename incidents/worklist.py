"""Working the incident list from its page: my queue, saved filters, and bulk
acknowledge or assign. The services decide every change again."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import organization_ids
from accounts.http import signed_in
from accounts.models import Membership, Organization, User
from core.errors import DomainError
from incidents import services
from incidents.models import Incident, SavedFilter
from incidents.serializers.actions import MAX_BULK


def _own_people(user: Any) -> list[User]:
    """The active people of the user's own organizations: whom they may assign."""
    return list(
        User.objects.filter(
            is_active=True, memberships__organization_id__in=organization_ids(user), memberships__is_active=True
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def context(request: HttpRequest) -> dict[str, Any]:
    """What the list page shows for working it (three small queries)."""
    user = signed_in(request)
    roles = set(Membership.objects.filter(user_id=user.pk, is_active=True).values_list("organization__kind", "role"))
    vendor_worker = any(
        kind == Organization.Kind.VENDOR and role in (Membership.Role.ACCOUNT_MANAGER, Membership.Role.SUPPORT_ENGINEER)
        for kind, role in roles
    )
    party_worker = vendor_worker or any(
        kind == Organization.Kind.BUYER and role in (Membership.Role.CONTRACT_MANAGER, Membership.Role.OPERATIONS)
        for kind, role in roles
    )
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "saved": list(SavedFilter.objects.filter(user=user).order_by("name")),
        "queue": request.GET.get("queue") == "mine",
        "can_bulk_acknowledge": vendor_worker or user.is_staff,
        "can_bulk_assign": party_worker,
        "people": _own_people(user) if party_worker else [],
        "current_query": query.urlencode(),
        "max_bulk": MAX_BULK,
    }


def _back(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("next_query", "")
    return redirect(reverse("incidents:list") + (f"?{query}" if query else ""))


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("incidents") if v.isdigit()][:MAX_BULK]
    if not ids:
        messages.error(request, "Select at least one incident first.")
        return _back(request)
    found = {i.pk: i for i in Incident.objects.visible_to(request.user).filter(pk__in=ids)}
    incidents = [found[pk] for pk in ids if pk in found]
    action = request.POST.get("action", "")
    try:
        if action == "acknowledge":
            result = services.bulk_acknowledge(actor=signed_in(request), incidents=incidents)
            verb = "acknowledged"
        elif action == "assign":
            raw = request.POST.get("assignee", "")
            assignee = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
            if raw and assignee is None:
                messages.error(request, "Assignee: must be an active person of your own organization.")
                return _back(request)
            result = services.bulk_assign(actor=signed_in(request), incidents=incidents, assignee=assignee)
            verb = "assigned" if assignee else "unassigned"
        else:
            messages.error(request, "Action: choose acknowledge or assign.")
            return _back(request)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request)
    missing = len(ids) - len(incidents)
    if result.done:
        messages.success(request, f"{len(result.done)} incident{'s' if len(result.done) != 1 else ''} {verb}.")
    refused = [f"INC-{pk}: {why}" for pk, why in result.refused.items()]
    if missing:
        refused.append(f"{missing} not found.")
    if refused:
        messages.warning(request, "Not changed: " + " ".join(refused[:10]) + (" …" if len(refused) > 10 else ""))
    return _back(request)


@login_required
@require_POST
def save_filter(request: HttpRequest) -> HttpResponse:
    try:
        saved = services.saved_filter_save(
            actor=signed_in(request), name=request.POST.get("name", ""), query=request.POST.get("query", "")
        )
    except DomainError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in getattr(exc, "errors", {}).items())
        messages.error(request, detail or exc.message)
        return _back(request)
    messages.success(request, f"Filter “{saved.name}” saved.")
    return redirect(reverse("incidents:list") + (f"?{saved.query}" if saved.query else ""))


@login_required
@require_POST
def delete_filter(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedFilter, pk=pk, user_id=signed_in(request).pk)
    services.saved_filter_delete(actor=signed_in(request), saved=saved)
    messages.success(request, f"Filter “{saved.name}” deleted.")
    return redirect(reverse("incidents:list"))
