"""Sending events: one delivery row per endpoint and event, then attempts.

``dispatch`` runs in the task that ``accounts.services.notify`` enqueues;
``attempt`` in ``webhooks.tasks.deliver``, one HTTP request per call, never
inside a transaction or while holding a lock: the row is claimed first (an
optimistic UPDATE that commits on its own), the request is sent, and the
outcome is written by a second UPDATE guarded by that claim.

Retry rule: a network error, a timeout, 429 or a 5xx is tried again after
about 1 minute, 5 minutes, 30 minutes, 2 hours and 6 hours (each +/-10 %
jitter, so receivers that failed together are not hit together again), then
the delivery fails. Any other status but 2xx (a 3xx is not followed, a 4xx
means the request will not succeed as sent) fails at once. Beat's
``webhooks.tasks.deliver_due`` sends the retries that have come due.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import requests
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.events import EVENTS
from accounts.models import Organization
from core.links import is_local_path, is_web_link
from outbox.services import enqueue
from webhooks import formats, secrets
from webhooks.models import TEST_EVENT, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

RETRY_AFTER: tuple[int, ...] = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)  # seconds, after attempts 1..5
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
JITTER = 0.1
TIMEOUT = 5.0  # seconds, connect and read each
EXCERPT = 500
# Longer than one attempt can take (TIMEOUT for connect and for read, plus margin).
CLAIM_FOR = timedelta(seconds=60)
# A due retry handed to the queue is not handed again before this, unless its task ran.
QUEUE_HOLD = timedelta(minutes=5)
DUE_BATCH = 200

Post = Callable[[str, bytes, dict[str, str]], tuple[int, str]]


def event_id_for(*, event: str, contract_id: int | None, title: str, body: str, url: str, occurred_at: str) -> str:
    """The same id for the same event, however often it is dispatched."""
    key = json.dumps([event, contract_id, title, body, url, occurred_at], ensure_ascii=False)
    return "evt_" + hashlib.sha256(key.encode()).hexdigest()[:40]


def absolute(path: str) -> str:
    base = settings.SITE_URL.rstrip("/")
    if is_local_path(path):
        return base + path
    if path and is_web_link(path):
        return path
    return base + "/"


def document(
    *,
    event_id: str,
    event: str,
    organization: Organization,
    contract_id: int | None,
    title: str,
    body: str,
    url: str,
    occurred_at: str,
) -> dict[str, Any]:
    """The Covenant-format body of an event as one organization receives it."""
    return {
        "id": event_id,
        "event": event,
        "occurred_at": occurred_at,
        "organization": {"id": organization.pk, "name": organization.name, "slug": organization.slug},
        "contract": None if contract_id is None else {"id": contract_id, "url": absolute(f"/contracts/{contract_id}/")},
        "title": title,
        "body": body,
        "url": absolute(url),
    }


def dispatch(
    *,
    event: str,
    organization_ids: Iterable[int],
    contract_id: int | None,
    title: str,
    body: str,
    url: str,
    occurred_at: str,
) -> list[int]:
    """Create the deliveries of one event for the subscribed active endpoints
    of these organizations, and enqueue each; returns the new deliveries' ids.
    A repeated dispatch of the same event creates and enqueues nothing."""
    if event not in EVENTS:
        log.warning("webhooks: not dispatching unknown event %r (add it to accounts/events.py)", event)
        return []
    event_id = event_id_for(
        event=event, contract_id=contract_id, title=title, body=body, url=url, occurred_at=occurred_at
    )
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(organization_id__in=list(organization_ids), is_active=True)
        .select_related("organization")
        .order_by("pk")
        if e.subscribes(event)
    ]
    if not endpoints:
        return []
    now = timezone.now()
    with transaction.atomic():
        done = set(
            WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=endpoints).values_list(
                "endpoint_id", flat=True
            )
        )
        fresh = [e for e in endpoints if e.pk not in done]
        # A dispatch racing this one may insert the same rows: the unique constraint keeps one of each.
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    endpoint=e,
                    event_id=event_id,
                    event=event,
                    payload=document(
                        event_id=event_id,
                        event=event,
                        organization=e.organization,
                        contract_id=contract_id,
                        title=title,
                        body=body,
                        url=url,
                        occurred_at=occurred_at,
                    ),
                    next_attempt_at=now,
                )
                for e in fresh
            ],
            ignore_conflicts=True,
        )
        ids = list(
            WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=fresh)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for pk in ids:
            enqueue("webhooks.tasks.deliver", pk)
    return ids


def test_document(*, endpoint: WebhookEndpoint, event_id: str, occurred_at: datetime) -> dict[str, Any]:
    return document(
        event_id=event_id,
        event=TEST_EVENT,
        organization=endpoint.organization,
        contract_id=None,
        title="Test event from Covenant",
        body=f"Endpoint “{endpoint.name}” receives Covenant events.",
        url="/settings/webhooks/",
        occurred_at=occurred_at.isoformat().replace("+00:00", "Z"),
    )


def post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST and return the status and the first EXCERPT characters of the answer.
    Redirects are not followed: a receiver's address is what its admin gave."""
    with requests.post(
        url, data=data, headers=headers, timeout=TIMEOUT, allow_redirects=False, stream=True
    ) as response:
        raw = response.raw.read(EXCERPT * 4, decode_content=True) or b""
        return response.status_code, raw.decode("utf-8", errors="replace")[:EXCERPT]


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta | None:
    """How long after failed attempt number ``attempts`` (1-based) to try again; None: give up."""
    if attempts > len(RETRY_AFTER):
        return None
    jitter = 1 + (rng or random).uniform(-JITTER, JITTER)
    return timedelta(seconds=RETRY_AFTER[attempts - 1] * jitter)


def attempt(*, delivery_id: int, send: Post = post) -> str:
    """Send one delivery once if it is pending and nobody else is sending it;
    returns "delivered", "retry", "failed" or "skipped"."""
    now = timezone.now()
    claim_until = now + CLAIM_FOR
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=claim_until, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    mine = WebhookDelivery.objects.filter(pk=delivery_id, claimed_until=claim_until)

    def finish(status: str, *, code: int | None, excerpt: str, error: str) -> str:
        delay = retry_delay(delivery.attempts) if status == "retry" else None
        final = WebhookDelivery.Status.DELIVERED if status == "delivered" else WebhookDelivery.Status.FAILED
        if delay is not None:
            final = WebhookDelivery.Status.PENDING
        done_at = timezone.now()
        mine.update(
            status=final,
            response_code=code,
            response_body=excerpt,
            last_error=error[:2000],
            next_attempt_at=done_at + delay if delay is not None else None,
            delivered_at=done_at if final == WebhookDelivery.Status.DELIVERED else None,
            claimed_until=None,
        )
        return "retry" if final == WebhookDelivery.Status.PENDING else str(final)

    if not endpoint.is_active:
        return finish("failed", code=None, excerpt="", error="The endpoint was deactivated before this attempt.")
    try:
        secret = secrets.unseal(endpoint.secret_sealed)
    except InvalidToken:
        return finish("failed", code=None, excerpt="", error="The signing secret cannot be read (SECRET_KEY changed).")
    data = formats.body(endpoint.format, delivery.payload)
    headers = formats.headers(
        secret=secret, timestamp=int(time.time()), body=data, event=delivery.event, delivery_id=delivery.pk
    )
    try:
        code, excerpt = send(endpoint.url, data, headers)
    except (requests.RequestException, OSError) as exc:
        return finish("retry", code=None, excerpt="", error=f"{type(exc).__name__}: {exc}")
    if 200 <= code < 300:
        return finish("delivered", code=code, excerpt=excerpt, error="")
    if code == 429 or code >= 500:
        return finish("retry", code=code, excerpt=excerpt, error=f"HTTP {code}")
    return finish("failed", code=code, excerpt=excerpt, error=f"HTTP {code}: not retried (only 429 and 5xx are).")


def enqueue_due(*, now: datetime | None = None, limit: int = DUE_BATCH) -> int:
    """Hand the retries that have come due to the queue; returns how many."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    with transaction.atomic():
        # Only the rows still due (another sweep may have taken some): held so the next sweep skips them.
        taken = list(due.filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        WebhookDelivery.objects.filter(pk__in=taken).update(next_attempt_at=now + QUEUE_HOLD)
        for pk in taken:
            enqueue("webhooks.tasks.deliver", pk)
    return len(taken)
