"""Webhook pages under ``/settings/webhooks/``: organization admins (and
staff) manage endpoints and read their delivery log; to others another
organization's endpoints and deliveries do not exist (404)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import administered_organization_ids
from accounts.events import EVENTS
from accounts.http import signed_in
from accounts.identity.stepup import step_up_required
from accounts.models import Organization, User
from core.errors import DomainError
from webhooks import services
from webhooks.forms import EndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint

PAGE_SIZE = 25
MAX_ID = 2**63 - 1  # larger ids overflow the database's integer (SQLite raises)


def _organizations(user: User) -> list[tuple[int, str]]:
    qs = Organization.objects.order_by("name")
    if not user.is_staff:
        qs = qs.filter(pk__in=administered_organization_ids(user))
    return list(qs.values_list("pk", "name"))


def _require_some_admin(user: User) -> None:
    if not user.is_staff and not administered_organization_ids(user):
        raise PermissionDenied("Only an organization admin manages webhooks.")


def _endpoint(user: User, pk: int) -> WebhookEndpoint:
    if pk > MAX_ID:
        raise Http404("No such webhook endpoint.")
    endpoint = WebhookEndpoint.objects.administered_by(user).select_related("organization").filter(pk=pk).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def _events_label(endpoint: WebhookEndpoint) -> str:
    if not endpoint.events:
        return "Every event"
    return ", ".join(EVENTS[k].label if k in EVENTS else k for k in endpoint.events)


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    person = signed_in(request)
    _require_some_admin(person)
    endpoints = list(
        WebhookEndpoint.objects.administered_by(person)
        .select_related("organization")
        .order_by("-is_active", "organization__name", "name", "pk")
    )
    for e in endpoints:
        e.events_label = _events_label(e)  # type: ignore[attr-defined]
    return render(request, "webhooks/list.html", {"endpoints": endpoints})


@login_required
@step_up_required
def endpoint_create(request: HttpRequest) -> HttpResponse:
    person = signed_in(request)
    _require_some_admin(person)
    organizations = _organizations(person)
    form = EndpointForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organization_id: int | None = data.get("organization") or (organizations[0][0] if organizations else None)
        organization = Organization.objects.filter(pk=organization_id).first() if organization_id else None
        if organization is None:
            form.add_error(None, "Choose the organization the endpoint belongs to.")
        else:
            try:
                endpoint, secret = services.endpoint_create(
                    actor=person,
                    organization=organization,
                    name=data["name"],
                    url=data["url"],
                    format=data["format"],
                    events=data["events"],
                )
            except DomainError as exc:
                form.apply(exc)
            else:
                # Rendered, not redirected: the secret is shown this once and never again.
                return render(request, "webhooks/created.html", {"endpoint": endpoint, "secret": secret})
    return render(request, "webhooks/create.html", {"form": form})


@login_required
@step_up_required
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = signed_in(request)
    endpoint = _endpoint(person, pk)
    initial = {"name": endpoint.name, "url": endpoint.url, "format": endpoint.format, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and endpoint.is_active and form.is_valid():
        data = form.cleaned_data
        try:
            services.endpoint_update(
                actor=person,
                endpoint=endpoint,
                name=data["name"],
                url=data["url"],
                format=data["format"],
                events=data["events"],
            )
        except DomainError as exc:
            form.apply(exc)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:detail", pk=endpoint.pk)
    deliveries = endpoint.deliveries.order_by("-created_at", "-pk").only(
        "pk", "endpoint_id", "event", "status", "attempts", "response_code", "next_attempt_at", "created_at"
    )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/detail.html",
        {"endpoint": endpoint, "form": form, "page": page, "events_label": _events_label(endpoint)},
    )


@login_required
@require_POST
@step_up_required
def endpoint_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = signed_in(request)
    endpoint = _endpoint(person, pk)
    try:
        services.endpoint_deactivate(actor=person, endpoint=endpoint)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{endpoint.name}” deactivated: nothing more is sent to it.")
    return redirect("webhooks:detail", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    person = signed_in(request)
    endpoint = _endpoint(person, pk)
    try:
        delivery = services.endpoint_send_test(actor=person, endpoint=endpoint)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("webhooks:detail", pk=endpoint.pk)
    messages.success(request, "Test event sent: its delivery is below.")
    return redirect("webhooks:delivery", pk=delivery.pk)


def _delivery(user: User, pk: int) -> WebhookDelivery:
    if pk > MAX_ID:
        raise Http404("No such webhook delivery.")
    delivery = (
        WebhookDelivery.objects.filter(endpoint__in=WebhookEndpoint.objects.administered_by(user))
        .select_related("endpoint__organization")
        .filter(pk=pk)
        .first()
    )
    if delivery is None:
        raise Http404("No such webhook delivery.")
    return delivery


@login_required
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _delivery(signed_in(request), pk)
    payload_json = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
    return render(
        request,
        "webhooks/delivery.html",
        {"delivery": delivery, "endpoint": delivery.endpoint, "payload_json": payload_json},
    )


@login_required
@require_POST
def delivery_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    person = signed_in(request)
    delivery = _delivery(person, pk)
    try:
        services.delivery_redeliver(actor=person, delivery=delivery)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Sent again.")
    return redirect("webhooks:delivery", pk=delivery.pk)
