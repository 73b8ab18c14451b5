"""PagerDuty v3 webhooks (one event per delivery, under ``event``).

``incident.triggered`` opens an outage at the incident's ``created_at``;
``incident.resolved`` ends it at the event's ``occurred_at``;
``incident.acknowledged`` changes nothing (it opens the outage if the trigger
was missed). Other event types are kept as evidence and change nothing. The
component is the source's mapping of the service id or name (``service.id``,
``service.summary``). The event ``id`` makes a redelivery a no-op."""

from __future__ import annotations

from typing import Any, Literal

from availability.ingest.common import Delivery, Event, iso_time, load_object, raise_if, text

ACTIONS: dict[str, Literal["open", "acknowledge", "close"]] = {
    "incident.triggered": "open",
    "incident.acknowledged": "acknowledge",
    "incident.resolved": "close",
}


def parse_pagerduty(body: bytes) -> Delivery:
    data = load_object(body, "PagerDuty webhook")
    errors: dict[str, list[str]] = {}
    event = data.get("event")
    if not isinstance(event, dict):
        errors["event"] = ["Required: the v3 webhook's event object."]
        raise_if(errors, "PagerDuty")
    assert isinstance(event, dict)
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 100:
        errors["event.id"] = ["Required: the event id."]
    event_type = event.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        errors["event.event_type"] = ["Required: e.g. incident.triggered."]
    occurred = iso_time(event.get("occurred_at"), "event.occurred_at", errors)
    action = ACTIONS.get(str(event_type))
    events: list[Event] = []
    if action is not None:
        incident: Any = event.get("data")
        if not isinstance(incident, dict):
            errors["event.data"] = ["Required: the incident."]
            raise_if(errors, "PagerDuty")
        ident = incident.get("id")
        if not isinstance(ident, str) or not ident.strip() or len(ident) > 64:
            errors["event.data.id"] = ["Required: the incident id (at most 64 characters)."]
        created = iso_time(incident.get("created_at"), "event.data.created_at", errors)
        service = incident.get("service")
        if not isinstance(service, dict) or not (service.get("id") or service.get("summary")):
            errors["event.data.service"] = ["Required: the incident's service (id and summary)."]
            service = {}
        raise_if(errors, "PagerDuty")
        assert created is not None and occurred is not None
        urgency = text(incident.get("urgency"), 20)
        priority = incident.get("priority")
        label = text(priority.get("summary"), 20) if isinstance(priority, dict) else ""
        grade = ", ".join(x for x in (label, f"{urgency} urgency" if urgency else "") if x)
        cause = text(incident.get("title"), 250) + (f" ({grade})" if grade else "")
        events.append(
            Event(
                key=str(ident).strip(),
                action=action,
                at=created if action == "open" else occurred,
                started=created,
                refs=tuple(str(r) for r in (service.get("summary"), service.get("id")) if r),
                cause=f"PagerDuty: {cause}"[:300],
            )
        )
    raise_if(errors, "PagerDuty")
    return Delivery(upstream_id=f"pd:{event_id}", events=events)


__all__ = ["parse_pagerduty"]
