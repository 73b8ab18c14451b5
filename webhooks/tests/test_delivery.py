"""Dispatch and delivery against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from outbox.services import enqueue
from webhooks import delivery as engine
from webhooks import services
from webhooks.models import WebhookDelivery
from webhooks.tests.factories import make_endpoint, notify_args

pytestmark = pytest.mark.django_db


def _notify(capture, **overrides) -> None:
    """What accounts.services.notify does: enqueue the dispatch in the use case's transaction."""
    with capture(execute=True), transaction.atomic():
        enqueue("webhooks.tasks.dispatch_event", **notify_args(**overrides))


def _verify(secret: str, received) -> None:
    timestamp = received.headers["Covenant-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert received.headers["Covenant-Signature"] == f"v1={expected}"
    assert abs(int(timestamp) - time.time()) < 60


def test_it_posts_a_signed_covenant_document(
    buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks
):
    endpoint, secret = make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])

    (got,) = receiver.requests
    _verify(secret, got)
    row = WebhookDelivery.objects.get()
    assert got.path == "/hook"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Covenant-Event"] == "incident.opened"
    assert got.headers["Covenant-Delivery"] == str(row.pk)
    assert got.json() == {
        "id": row.event_id,
        "event": "incident.opened",
        "occurred_at": "2026-12-06T10:00:00Z",
        "organization": {"id": buyer_org.pk, "name": "Northwind Bank", "slug": "northwind"},
        "contract": {"id": 7, "url": "http://127.0.0.1:8000/contracts/7/"},
        "title": "P1 incident opened: checkout down",
        "body": "Severity 1 <production>, opened by Northwind & co.",
        "url": "http://127.0.0.1:8000/incidents/12/",
    }
    assert row.event_id.startswith("evt_")
    assert (row.status, row.attempts, row.response_code, row.response_body) == ("delivered", 1, 200, "ok")
    assert row.delivered_at is not None and row.next_attempt_at is None
    # A tampered body no longer matches the signature.
    forged = type(got)(got.path, got.headers, got.body.replace(b"checkout", b"payments"))
    with pytest.raises(AssertionError):
        _verify(secret, forged)
    with pytest.raises(AssertionError):
        _verify(secret + "x", got)
    assert endpoint.secret_sealed and secret not in endpoint.secret_sealed


def test_slack_gets_text_and_blocks(buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks):
    _endpoint, secret = make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url, format="slack")

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])

    (got,) = receiver.requests
    _verify(secret, got)
    message = got.json()
    assert message["text"] == "P1 incident opened: checkout down"
    section, context = message["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"] == (
        "*<http://127.0.0.1:8000/incidents/12/|P1 incident opened: checkout down>*\n"
        "Severity 1 &lt;production&gt;, opened by Northwind &amp; co."
    )
    assert context["type"] == "context"
    assert context["elements"][0]["text"] == "incident.opened · Northwind Bank · 2026-12-06T10:00:00Z"


def test_teams_gets_an_adaptive_card(buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks):
    _endpoint, secret = make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url, format="teams")

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])

    (got,) = receiver.requests
    _verify(secret, got)
    message = got.json()
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    texts = [block["text"] for block in card["body"]]
    assert texts[:2] == ["P1 incident opened: checkout down", "Severity 1 <production>, opened by Northwind & co."]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in Covenant", "url": "http://127.0.0.1:8000/incidents/12/"}
    ]


def test_only_active_subscribed_endpoints_of_the_named_organizations_get_it(
    buyer_org, vendor_org, buyer_admin, vendor_admin, receiver, eager, django_capture_on_commit_callbacks
):
    make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url + "/all", name="all")
    make_endpoint(
        actor=buyer_admin, organization=buyer_org, url=receiver.url + "/opened", events=["incident.opened"], name="o"
    )
    make_endpoint(
        actor=buyer_admin, organization=buyer_org, url=receiver.url + "/other", events=["report.issued"], name="r"
    )
    gone, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url + "/gone", name="gone")
    services.endpoint_deactivate(actor=buyer_admin, endpoint=gone)
    make_endpoint(actor=vendor_admin, organization=vendor_org, url=receiver.url + "/vendor", name="vendor")

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])

    assert sorted(r.path for r in receiver.requests) == ["/hook/all", "/hook/opened"]


def test_a_repeated_dispatch_creates_and_sends_nothing_twice(
    buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks
):
    make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])
    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk], title="Another event")
    assert WebhookDelivery.objects.count() == 2
    assert len({r.json()["id"] for r in receiver.requests}) == 2


def test_an_unknown_event_is_not_dispatched(
    buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks
):
    make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk], event="no.such_event")

    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def _due_now(row: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_5xx_and_429_are_retried_on_the_schedule_then_delivered(
    buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks
):
    make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)
    receiver.script = [500, 503, 429]

    before = timezone.now()
    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
    assert row.response_body.startswith("receiver says no") and len(row.response_body) == 500
    assert row.last_error == "HTTP 500"
    wait = row.next_attempt_at - before
    assert timedelta(seconds=54) <= wait <= timedelta(seconds=67)  # 1 minute +/- 10 %

    # Not due yet: the sweep leaves it alone.
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.enqueue_due() == 0
    assert len(receiver.requests) == 1

    for attempt, (code, minutes) in enumerate([(503, 5), (429, 30)], start=2):
        _due_now(row)
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            assert engine.enqueue_due() == 1
        row.refresh_from_db()
        assert (row.status, row.attempts, row.response_code) == ("pending", attempt, code)
        wait = row.next_attempt_at - before
        assert timedelta(minutes=minutes * 0.9) <= wait <= timedelta(minutes=minutes * 1.1, seconds=5)

    _due_now(row)
    with django_capture_on_commit_callbacks(execute=True):
        engine.enqueue_due()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_code, row.last_error) == ("delivered", 4, 200, "")
    assert len(receiver.requests) == 4
    assert len({r.headers["Covenant-Delivery"] for r in receiver.requests}) == 1


def test_the_schedule_gives_up_after_six_attempts():
    rng = random.Random(5)
    delays = [engine.retry_delay(n, rng) for n in range(1, 7)]
    assert delays[-1] is None
    expected = [60, 300, 1800, 7200, 21600]
    for delay, seconds in zip(delays[:-1], expected, strict=True):
        assert delay is not None
        assert seconds * 0.9 <= delay.total_seconds() <= seconds * 1.1


def test_the_last_failed_retry_fails_the_delivery(
    buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks
):
    make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)
    receiver.script = [502] * 6
    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])
    row = WebhookDelivery.objects.get()
    for _ in range(5):
        _due_now(row)
        with django_capture_on_commit_callbacks(execute=True):
            engine.enqueue_due()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_code, row.next_attempt_at) == ("failed", 6, 502, None)
    assert len(receiver.requests) == 6


def test_a_4xx_fails_at_once(buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks):
    make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)
    receiver.script = [410]

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])

    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_code, row.next_attempt_at) == ("failed", 1, 410, None)
    assert "not retried" in row.last_error
    _due_now(row)
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.enqueue_due() == 0
    assert len(receiver.requests) == 1


def test_a_refused_connection_is_retried(buyer_org, buyer_admin, receiver, eager, django_capture_on_commit_callbacks):
    make_endpoint(actor=buyer_admin, organization=buyer_org, url="http://127.0.0.1:9/nobody-listens")

    _notify(django_capture_on_commit_callbacks, organization_ids=[buyer_org.pk])

    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_code) == ("pending", 1, None)
    assert "ConnectionError" in row.last_error and row.next_attempt_at is not None


def test_a_delivery_being_sent_is_not_sent_again(buyer_org, buyer_admin, receiver):
    endpoint, _ = make_endpoint(actor=buyer_admin, organization=buyer_org, url=receiver.url)
    row = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id="evt_x", event="incident.opened", payload=_payload(), next_attempt_at=timezone.now()
    )
    WebhookDelivery.objects.filter(pk=row.pk).update(claimed_until=timezone.now() + timedelta(seconds=30))

    assert engine.attempt(delivery_id=row.pk) == "skipped"
    assert receiver.requests == []
    WebhookDelivery.objects.filter(pk=row.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert engine.attempt(delivery_id=row.pk) == "delivered"
    assert engine.attempt(delivery_id=row.pk) == "skipped"
    assert len(receiver.requests) == 1


def _payload() -> dict:
    return {
        "id": "evt_x",
        "event": "incident.opened",
        "occurred_at": "2026-12-06T10:00:00Z",
        "organization": {"id": 1, "name": "N", "slug": "n"},
        "contract": None,
        "title": "T",
        "body": "",
        "url": "http://127.0.0.1:8000/",
    }
