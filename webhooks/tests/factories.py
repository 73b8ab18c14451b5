from __future__ import annotations

from typing import Any

from webhooks import services
from webhooks.models import WebhookEndpoint


def make_endpoint(
    *,
    actor: Any,
    organization: Any,
    url: str,
    format: str = "covenant",
    events: list[str] | None = None,
    name: str = "",
) -> tuple[WebhookEndpoint, str]:
    return services.endpoint_create(
        actor=actor,
        organization=organization,
        name=name or f"{format} hook",
        url=url,
        format=format,
        events=events or [],
    )


def notify_args(**overrides: Any) -> dict[str, Any]:
    """The keyword arguments accounts.services.notify gives webhooks.tasks.dispatch_event."""
    return {
        "event": "incident.opened",
        "organization_ids": [],
        "contract_id": 7,
        "title": "P1 incident opened: checkout down",
        "body": "Severity 1 <production>, opened by Northwind & co.",
        "url": "/incidents/12/",
        "occurred_at": "2026-12-06T10:00:00Z",
        **overrides,
    }
