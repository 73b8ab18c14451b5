"""Opsgenie alert webhooks (``action`` and ``alert``).

``Create`` opens an outage at the alert's ``createdAt`` (epoch ms); ``Close``
ends it at the alert's ``updatedAt`` (epoch ns, as Opsgenie sends it; else the
time of receipt, given by the caller); ``Acknowledge`` opens it if the Create
was missed. Other actions are kept as evidence and change nothing. The
component is the source's mapping of the alert's tags, ``details.component``
or ``entity``, first match wins. Opsgenie sends no delivery id: the digest of
the body makes a redelivery a no-op, and the alert id makes a repeated Create
or Close change nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from availability.ingest.common import Delivery, Event, epoch_time, load_object, raise_if, text

ACTIONS: dict[str, Literal["open", "acknowledge", "close"]] = {
    "Create": "open",
    "Acknowledge": "acknowledge",
    "Close": "close",
}


def parse_opsgenie(body: bytes, *, received: datetime) -> Delivery:
    data = load_object(body, "Opsgenie webhook")
    errors: dict[str, list[str]] = {}
    action_name = data.get("action")
    if not isinstance(action_name, str) or not action_name:
        errors["action"] = ["Required: e.g. Create, Acknowledge or Close."]
    alert: Any = data.get("alert")
    if not isinstance(alert, dict):
        errors["alert"] = ["Required: the alert object."]
        raise_if(errors, "Opsgenie")
    ident = alert.get("alertId")
    if not isinstance(ident, str) or not ident.strip() or len(ident) > 64:
        errors["alert.alertId"] = ["Required: the alert id (at most 64 characters)."]
    created = epoch_time(alert.get("createdAt"), "alert.createdAt", errors)
    tags = alert.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors["alert.tags"] = ["Must be a list of strings."]
        tags = []
    details = alert.get("details", {})
    if not isinstance(details, dict):
        errors["alert.details"] = ["Must be an object."]
        details = {}
    raise_if(errors, "Opsgenie")
    assert created is not None
    action = ACTIONS.get(str(action_name))
    events: list[Event] = []
    if action is not None:
        at = created
        if action == "close":
            updated = alert.get("updatedAt")
            scratch: dict[str, list[str]] = {}
            at = (epoch_time(updated, "alert.updatedAt", scratch) if updated is not None else None) or received
            at = max(at, created)
        refs = [*tags, text(details.get("component"), 100), text(alert.get("entity"), 100)]
        priority = text(alert.get("priority"), 5)
        cause = text(alert.get("message"), 250) + (f" ({priority})" if priority else "")
        events.append(
            Event(
                key=ident.strip(),
                action=action,
                at=at,
                started=created,
                refs=tuple(r for r in refs if r),
                cause=f"Opsgenie: {cause}"[:300],
            )
        )
    return Delivery(upstream_id="", events=events)


__all__ = ["parse_opsgenie"]
