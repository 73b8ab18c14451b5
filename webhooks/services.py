"""Managing an organization's webhook endpoints: every change is audited and
allowed only to the organization's admins (or staff).

URL rule: ``https://`` with a host name, no user name or password in it, and
not a literal private, loopback or link-local IP address. Plain
``http://`` is allowed only to ``localhost``, ``127.0.0.1`` or ``[::1]`` and
only when the site runs with DEBUG or in tests (a receiver on the developer's
own machine). Names that resolve to private addresses are not checked here:
production outbound traffic belongs behind an egress proxy.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.access import is_organization_admin
from accounts.events import EVENTS
from accounts.models import Organization
from audit import services as audit
from core.actor import Actor, is_person
from core.errors import Conflict, InvalidInput, NotPermitted
from core.locks import lock_row
from outbox.services import enqueue
from webhooks import secrets
from webhooks.delivery import test_document
from webhooks.models import TEST_EVENT, WebhookDelivery, WebhookEndpoint

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_URL = 500
MAX_NAME = 100


def check_url(url: str) -> str:
    """The URL rule of the module docstring; a bad URL is an InvalidInput on ``url``."""
    url = (url or "").strip()

    def bad(rule: str) -> InvalidInput:
        return InvalidInput(f"url: {rule}", errors={"url": [rule]})

    if not url:
        raise bad("This field is required.")
    if len(url) > MAX_URL:
        raise bad(f"At most {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise bad("Not a valid URL.") from None
    if parts.scheme not in ("https", "http") or not host:
        raise bad("Must be an https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise bad("Must not carry a user name or password; use a secret path or the signature.")
    if any(c.isspace() for c in url):
        raise bad("Must not contain spaces.")
    local_allowed = settings.DEBUG or getattr(settings, "TESTING", False)
    if parts.scheme == "http":
        if host in LOCAL_HOSTS and local_allowed:
            return url
        raise bad(
            "Must use https://; plain http:// is allowed only to localhost in development."
            if local_allowed
            else "Must use https://."
        )
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url
    if (address.is_loopback and local_allowed) or address.is_global:
        return url
    raise bad("Must not be a private, loopback or link-local address.")


def check_events(events: Sequence[str]) -> list[str]:
    """Catalogue keys, each once, in catalogue order; an empty list means every event."""
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        names = ", ".join(repr(e) for e in unknown[:5])
        message = f"Unknown event {names}: choose keys of the event catalogue (leave empty for every event)."
        raise InvalidInput(f"events: {message}", errors={"events": [message]})
    chosen = set(events)
    return [key for key in EVENTS if key in chosen]


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name: This field is required.", errors={"name": ["This field is required."]})
    if len(name) > MAX_NAME:
        raise InvalidInput("name: Too long.", errors={"name": [f"At most {MAX_NAME} characters."]})
    return name


def _check_format(fmt: str) -> str:
    if fmt not in WebhookEndpoint.Format.values:
        message = f"Choose one of: {', '.join(WebhookEndpoint.Format.values)}."
        raise InvalidInput(f"format: {message}", errors={"format": [message]})
    return fmt


def _require_admin(actor: Actor, organization_id: int) -> None:
    if is_person(actor) and not is_organization_admin(actor, organization_id):
        raise NotPermitted("Only an admin of the organization manages its webhooks.")


def _require_active(endpoint: WebhookEndpoint) -> None:
    if not endpoint.is_active:
        raise Conflict("The endpoint is deactivated.", state="inactive", allowed=[])


def endpoint_create(
    *, actor: Actor, organization: Organization, name: str, url: str, format: str, events: Sequence[str]
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned this once; only a sealed copy is kept)."""
    _require_admin(actor, organization.pk)
    endpoint = WebhookEndpoint(
        organization=organization,
        name=_check_name(name),
        url=check_url(url),
        format=_check_format(format),
        events=check_events(events),
        created_by_id=actor.pk if is_person(actor) else None,
    )
    secret = secrets.generate()
    endpoint.secret_sealed = secrets.seal(secret)
    with transaction.atomic():
        endpoint.save()
        audit.record(
            actor=actor,
            verb="webhook.endpoint_created",
            obj=endpoint,
            organization_id=organization.pk,
            changes={"name": endpoint.name, "url": endpoint.url, "format": endpoint.format, "events": endpoint.events},
        )
    return endpoint, secret


def endpoint_update(
    *,
    actor: Actor,
    endpoint: WebhookEndpoint,
    name: str | None = None,
    url: str | None = None,
    format: str | None = None,
    events: Sequence[str] | None = None,
) -> WebhookEndpoint:
    """Change what was given (None leaves a field as it is)."""
    _require_admin(actor, endpoint.organization_id)
    new: dict[str, Any] = {}
    if name is not None:
        new["name"] = _check_name(name)
    if url is not None:
        new["url"] = check_url(url)
    if format is not None:
        new["format"] = _check_format(format)
    if events is not None:
        new["events"] = check_events(events)
    with transaction.atomic():
        locked = lock_row(WebhookEndpoint.objects.all(), endpoint.pk)
        _require_active(locked)
        changes = {k: [getattr(locked, k), v] for k, v in new.items() if getattr(locked, k) != v}
        if not changes:
            return locked
        for field, (_old, value) in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(changes))
        audit.record(
            actor=actor,
            verb="webhook.endpoint_updated",
            obj=locked,
            organization_id=locked.organization_id,
            changes=changes,
        )
    return locked


def endpoint_deactivate(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending to it; pending deliveries fail at their next attempt. Its log stays."""
    _require_admin(actor, endpoint.organization_id)
    with transaction.atomic():
        locked = lock_row(WebhookEndpoint.objects.all(), endpoint.pk)
        _require_active(locked)
        locked.is_active = False
        locked.deactivated_at = timezone.now()
        locked.save(update_fields=["is_active", "deactivated_at"])
        audit.record(
            actor=actor, verb="webhook.endpoint_deactivated", obj=locked, organization_id=locked.organization_id
        )
    return locked


def endpoint_send_test(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` delivery to this endpoint, sent after commit like any other."""
    _require_admin(actor, endpoint.organization_id)
    _require_active(endpoint)
    now = timezone.now()
    event_id = f"evt_test_{uuid.uuid4().hex}"
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=event_id,
            event=TEST_EVENT,
            payload=test_document(endpoint=endpoint, event_id=event_id, occurred_at=now),
            next_attempt_at=now,
        )
        audit.record(
            actor=actor,
            verb="webhook.test_sent",
            obj=endpoint,
            organization_id=endpoint.organization_id,
            changes={"delivery": delivery.pk},
        )
        enqueue("webhooks.tasks.deliver", delivery.pk)
    return delivery


def delivery_redeliver(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, with a fresh round of retries. Receivers
    see the same ``id`` and ``Covenant-Delivery``, so they can tell a repeat."""
    _require_admin(actor, delivery.endpoint.organization_id)
    _require_active(delivery.endpoint)
    with transaction.atomic():
        locked = lock_row(WebhookDelivery.objects.all(), delivery.pk)
        before = locked.status
        locked.status = WebhookDelivery.Status.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit.record(
            actor=actor,
            verb="webhook.redelivered",
            obj=locked,
            organization_id=delivery.endpoint.organization_id,
            changes={"status": [before, locked.status], "event": locked.event},
        )
        enqueue("webhooks.tasks.deliver", locked.pk)
    return locked
