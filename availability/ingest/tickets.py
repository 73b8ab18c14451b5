"""Ticketing webhooks: Jira Service Management (Jira Cloud issue webhooks),
Zendesk and ServiceNow incidents. Pure parsing (bytes in, a typed ``Ticket``
out, ``InvalidInput`` naming the field path for a bad payload) and the
per-source mapping (``MonitoringSource.ticket_map``) of the ticket's priority
and status to Covenant's severity and lifecycle; the write side is
``availability.ingest.tickets_apply``.

What each product sends:

* Jira: the ``jira:issue_created`` / ``jira:issue_updated`` webhook body
  (``webhookEvent``, ``issue.id``, ``issue.key``, ``issue.fields.priority.name``,
  ``issue.fields.status.name`` with its ``statusCategory.key``, ``created``,
  ``updated``, ``resolutiondate``; components and labels are the refs).
* Zendesk: a trigger's webhook body, which the admin writes. Covenant expects
  (Zendesk placeholders)::

      {"ticket": {"id": "{{ticket.id}}", "subject": "{{ticket.title}}",
                  "priority": "{{ticket.priority}}", "status": "{{ticket.status}}",
                  "created_at": "{{ticket.created_at_with_timestamp}}",
                  "updated_at": "{{ticket.updated_at_with_timestamp}}",
                  "tags": "{{ticket.tags}}", "url": "{{ticket.url}}"}}

  The ticket object of Zendesk's own event payloads (``detail`` of a
  ``zen:event-type:ticket.*`` webhook) has the same fields and is read too.
* ServiceNow: an outbound REST message from a Business Rule on ``incident``
  posting the record's values (``number``, ``sys_id``, ``priority`` 1-5,
  ``state`` 1/2/3/6/7/8, ``opened_at``, ``resolved_at``, ``sys_updated_on``,
  ``short_description``, ``cmdb_ci``, ``business_service``, ``category``), as
  the Table API returns them (optionally under ``result``). Date-times are the
  stored UTC values (``getValue``), "YYYY-MM-DD HH:MM:SS".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from availability.ingest.common import iso_time, load_object, raise_if, text
from core.errors import InvalidInput

SEVERITIES = ("critical", "high", "medium", "low")  # incidents.models.Severity
ENVIRONMENTS = ("production", "non_production")  # incidents.models.Environment
# What a ticket status does to the incident (each implies the steps before it).
ACTIONS = ("open", "acknowledge", "workaround", "resolve", "cancel", "none")
MAX_MAP_ENTRIES = 100

DEFAULT_MAPS: dict[str, dict[str, Any]] = {
    "jira": {
        "priority": {"Highest": "critical", "High": "high", "Medium": "medium", "Low": "low", "Lowest": "low"},
        "status": {
            "Open": "open",
            "To Do": "open",
            "Waiting for support": "open",
            "In Progress": "acknowledge",
            "Work in progress": "acknowledge",
            "Waiting for customer": "acknowledge",
            "Pending": "acknowledge",
            "Escalated": "acknowledge",
            "Workaround provided": "workaround",
            "Resolved": "resolve",
            "Done": "resolve",
            "Closed": "resolve",
            "Canceled": "cancel",
            "Cancelled": "cancel",
            "Declined": "cancel",
        },
        # Jira's status categories, for a workflow status the map does not name.
        "status_category": {"new": "open", "indeterminate": "acknowledge", "done": "resolve"},
        "environment": "production",
        "component": "",
        "environments": {},
    },
    "zendesk": {
        "priority": {"urgent": "critical", "high": "high", "normal": "medium", "low": "low"},
        "status": {
            "new": "open",
            "open": "acknowledge",
            "pending": "acknowledge",
            "hold": "acknowledge",
            "solved": "resolve",
            "closed": "resolve",
        },
        "environment": "production",
        "component": "",
        "environments": {},
    },
    "servicenow": {
        "priority": {"1": "critical", "2": "high", "3": "medium", "4": "low", "5": "low"},
        "status": {"1": "open", "2": "acknowledge", "3": "acknowledge", "6": "resolve", "7": "resolve", "8": "cancel"},
        "environment": "production",
        "component": "",
        "environments": {},
    },
}
TICKET_KINDS = tuple(DEFAULT_MAPS)


@dataclass(frozen=True)
class Ticket:
    """One ticket as its product describes it, with the paths of its fields."""

    kind: str
    key: str  # stable upstream id (Jira issue id, Zendesk ticket id, ServiceNow sys_id)
    label: str  # what people call it (SUP-12, #35436, INC0010001)
    title: str
    priority: str
    priority_field: str
    status: str
    status_field: str
    status_category: str  # Jira's statusCategory.key, else ""
    created: datetime
    updated: datetime
    resolved: datetime | None
    refs: tuple[str, ...]  # components, labels, tags, configuration items: for the source's mappings
    event: str
    upstream_id: str  # one delivery of one ticket state: a redelivery is a no-op


@dataclass(frozen=True)
class Decision:
    severity: str
    action: str
    environment: str
    component: str  # "" when the source's mappings name none


# -- mapping -------------------------------------------------------------------------------------


def effective_map(kind: str, ticket_map: dict[str, Any] | None) -> dict[str, Any]:
    """The product's defaults, each section replaced by the source's own when it has one."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_MAPS[kind].items()}
    for section, value in (ticket_map or {}).items():
        if section in out:
            out[section] = value
    return out


def clean_ticket_map(kind: str, value: Any) -> dict[str, Any]:
    """Validate a source's ticket map (sections it leaves out keep the defaults);
    ``InvalidInput`` names ``ticket_map.<section>[.<entry>]``."""
    if kind not in DEFAULT_MAPS:
        raise InvalidInput(
            "Only ticketing sources have a ticket map.", errors={"ticket_map": ["Only for jira, zendesk, servicenow."]}
        )
    if value in (None, ""):
        return {}
    errors: dict[str, list[str]] = {}
    if not isinstance(value, dict):
        raise InvalidInput("The ticket map is a JSON object.", errors={"ticket_map": ["Must be a JSON object."]})
    out: dict[str, Any] = {}
    allowed = {
        "priority": SEVERITIES,
        "status": ACTIONS,
        "status_category": ACTIONS,
        "environments": ENVIRONMENTS,
    }
    for section, entries in value.items():
        path = f"ticket_map.{section}"
        if section not in DEFAULT_MAPS[kind]:
            errors[path] = [f"Unknown section; use: {', '.join(DEFAULT_MAPS[kind])}."]
        elif section == "environment":
            if entries not in ENVIRONMENTS:
                errors[path] = [f"Must be one of: {', '.join(ENVIRONMENTS)}."]
            else:
                out[section] = entries
        elif section == "component":
            if not isinstance(entries, str) or len(entries) > 100:
                errors[path] = ["A component name of at most 100 characters (empty: the whole service)."]
            else:
                out[section] = entries.strip()
        elif not isinstance(entries, dict) or len(entries) > MAX_MAP_ENTRIES:
            errors[path] = [f"Must be an object of at most {MAX_MAP_ENTRIES} upstream values."]
        else:
            choices = allowed[section]
            for upstream, mapped in entries.items():
                if not str(upstream).strip() or len(str(upstream)) > 100 or mapped not in choices:
                    errors[f"{path}.{str(upstream)[:40]}"] = [f"Map to one of: {', '.join(choices)}."]
            out[section] = {str(k).strip(): v for k, v in entries.items()}
    if errors:
        raise InvalidInput("Please correct the ticket map.", errors=errors)
    return out


def _lookup(mapping: Any, value: str) -> Any:
    """Case-insensitive; a ServiceNow display value ("1 - Critical") matches its code."""
    if not isinstance(mapping, dict) or not value:
        return None
    folded = {str(k).casefold(): v for k, v in mapping.items()}
    for candidate in (value, value.split(" - ", 1)[0]):
        hit = folded.get(candidate.strip().casefold())
        if hit is not None:
            return hit
    return None


def decide(ticket: Ticket, mapping: dict[str, Any], component_map: dict[str, str] | None) -> Decision:
    """What the ticket means for Covenant; an unmapped priority or status is a
    400 naming the ticket's field (guessing a severity would misstate the SLA)."""
    errors: dict[str, list[str]] = {}
    severity = _lookup(mapping.get("priority"), ticket.priority)
    if severity is None:
        known = ", ".join(str(k) for k in (mapping.get("priority") or {})) or "none"
        errors[ticket.priority_field] = [
            f"Priority {ticket.priority!r} is not in the source's ticket map (known: {known})."
        ]
    action = _lookup(mapping.get("status"), ticket.status) or _lookup(
        mapping.get("status_category"), ticket.status_category
    )
    if action is None:
        errors[ticket.status_field] = [f"Status {ticket.status!r} is not in the source's ticket map."]
    raise_if(errors, ticket.kind)
    environment = str(mapping.get("environment") or "production")
    component = ""
    for ref in ticket.refs:
        env = _lookup(mapping.get("environments"), ref)
        if env is not None:
            environment = str(env)
            break
    for ref in ticket.refs:
        if component_map and ref in component_map:
            component = str(component_map[ref])[:100]
            break
    return Decision(
        severity=str(severity),
        action=str(action),
        environment=environment,
        component=component or str(mapping.get("component") or ""),
    )


# -- parsing -------------------------------------------------------------------------------------


def _ident(value: Any, field: str, errors: dict[str, list[str]], what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip() and len(value.strip()) <= 100:
        return value.strip()
    errors[field] = [f"Required: {what} (at most 100 characters)."]
    return ""


def _name(value: Any, field: str, errors: dict[str, list[str]], what: str) -> str:
    """A string, or an object's ``name`` (Jira) / ``value`` (ServiceNow reference)."""
    if isinstance(value, dict):
        value = value.get("name", value.get("value"))
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        errors[field] = [f"Required: {what}."]
        return ""
    return value.strip()[:60]


def _snow_time(value: Any, field: str, errors: dict[str, list[str]], *, required: bool = True) -> datetime | None:
    """ServiceNow's stored value, "YYYY-MM-DD HH:MM:SS" in UTC, or ISO 8601 with a zone."""
    if value in (None, "") and not required:
        return None
    if isinstance(value, str) and len(value) == 19 and value[10] == " ":
        try:
            return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            errors[field] = [f"'{value[:40]}' is not a date-time (YYYY-MM-DD HH:MM:SS, UTC)."]
            return None
    return iso_time(value, field, errors, required=required)


def _upstream(kind: str, key: str, updated: datetime, status: str, priority: str, event: str) -> str:
    return f"{kind}:{key}:{updated.isoformat()}:{status}:{priority}:{event}"[:100]


def parse_jira(body: bytes) -> Ticket:
    data = load_object(body, "Jira webhook")
    errors: dict[str, list[str]] = {}
    event = data.get("webhookEvent")
    if event not in ("jira:issue_created", "jira:issue_updated"):
        errors["webhookEvent"] = [f"Must be jira:issue_created or jira:issue_updated, got {str(event)[:40]!r}."]
    issue = data.get("issue")
    fields = issue.get("fields") if isinstance(issue, dict) else None
    if not isinstance(issue, dict) or not isinstance(fields, dict):
        errors["issue.fields" if isinstance(issue, dict) else "issue"] = ["Required: the issue with its fields."]
        raise_if(errors, "Jira")
    assert isinstance(issue, dict) and isinstance(fields, dict)
    key = _ident(issue.get("id"), "issue.id", errors, "the issue id")
    label = _ident(issue.get("key"), "issue.key", errors, "the issue key")
    priority = _name(fields.get("priority"), "issue.fields.priority.name", errors, "the issue's priority")
    status = _name(fields.get("status"), "issue.fields.status.name", errors, "the issue's status")
    raw_status = fields.get("status")
    category = raw_status.get("statusCategory") if isinstance(raw_status, dict) else None
    created = iso_time(fields.get("created"), "issue.fields.created", errors)
    updated = iso_time(fields.get("updated"), "issue.fields.updated", errors)
    resolved = iso_time(fields.get("resolutiondate"), "issue.fields.resolutiondate", errors, required=False)
    refs: list[str] = []
    for i, comp in enumerate(fields.get("components") or []):
        name = comp.get("name") if isinstance(comp, dict) else None
        if not isinstance(name, str):
            errors[f"issue.fields.components[{i}].name"] = ["Required: the component's name."]
            continue
        refs.append(name)
    labels = fields.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        errors["issue.fields.labels"] = ["Must be a list of strings."]
        labels = []
    raise_if(errors, "Jira")
    assert created is not None and updated is not None
    return Ticket(
        kind="jira",
        key=key,
        label=label,
        title=text(fields.get("summary"), 200) or label,
        priority=priority,
        priority_field="issue.fields.priority.name",
        status=status,
        status_field="issue.fields.status.name",
        status_category=text(category.get("key"), 30) if isinstance(category, dict) else "",
        created=created,
        updated=updated,
        resolved=resolved,
        refs=(*refs, *labels),
        event=str(event),
        upstream_id=_upstream("jira", key, updated, status, priority, str(event)),
    )


def parse_zendesk(body: bytes) -> Ticket:
    data = load_object(body, "Zendesk webhook")
    errors: dict[str, list[str]] = {}
    root = "ticket" if "ticket" in data else "detail"
    ticket = data.get(root)
    if not isinstance(ticket, dict):
        errors["ticket"] = ["Required: the ticket object (see the body template Covenant expects)."]
        raise_if(errors, "Zendesk")
    assert isinstance(ticket, dict)
    key = _ident(ticket.get("id"), f"{root}.id", errors, "the ticket id")
    priority = _name(ticket.get("priority"), f"{root}.priority", errors, "the ticket's priority")
    status = _name(ticket.get("status"), f"{root}.status", errors, "the ticket's status")
    created = iso_time(ticket.get("created_at"), f"{root}.created_at", errors)
    updated = iso_time(ticket.get("updated_at"), f"{root}.updated_at", errors)
    tags = ticket.get("tags") or []
    if isinstance(tags, str):  # {{ticket.tags}} renders space-separated
        tags = tags.split()
    if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
        errors[f"{root}.tags"] = ["Must be a list of strings, or space-separated tags."]
        tags = []
    raise_if(errors, "Zendesk")
    assert created is not None and updated is not None
    event = text(data.get("type"), 80) or "trigger"
    solved = updated if status.casefold() in ("solved", "closed") else None
    return Ticket(
        kind="zendesk",
        key=key,
        label=f"#{key}",
        title=text(ticket.get("subject"), 200) or f"Zendesk ticket #{key}",
        priority=priority,
        priority_field=f"{root}.priority",
        status=status,
        status_field=f"{root}.status",
        status_category="",
        created=created,
        updated=updated,
        resolved=solved,
        refs=tuple(tags),
        event=event,
        upstream_id=_upstream("zd", key, updated, status, priority, event),
    )


def parse_servicenow(body: bytes) -> Ticket:
    data = load_object(body, "ServiceNow incident")
    root = ""
    if isinstance(data.get("result"), dict):
        data, root = data["result"], "result."
    errors: dict[str, list[str]] = {}
    key = _ident(data.get("sys_id"), f"{root}sys_id", errors, "the incident's sys_id")
    label = _ident(data.get("number"), f"{root}number", errors, "the incident number")
    priority = _name(data.get("priority"), f"{root}priority", errors, "the priority (1-5)")
    status = _name(data.get("state"), f"{root}state", errors, "the state (1, 2, 3, 6, 7 or 8)")
    created = _snow_time(data.get("opened_at"), f"{root}opened_at", errors)
    updated = _snow_time(data.get("sys_updated_on"), f"{root}sys_updated_on", errors)
    resolved = _snow_time(data.get("resolved_at"), f"{root}resolved_at", errors, required=False)
    refs: list[str] = []
    for name in ("cmdb_ci", "business_service", "category", "subcategory"):
        value = data.get(name)
        if isinstance(value, dict):
            value = value.get("display_value") or value.get("value")
        if isinstance(value, str) and value.strip():
            refs.append(value.strip()[:200])
    raise_if(errors, "ServiceNow")
    assert created is not None and updated is not None
    return Ticket(
        kind="servicenow",
        key=key,
        label=label,
        title=text(data.get("short_description"), 200) or label,
        priority=priority,
        priority_field=f"{root}priority",
        status=status,
        status_field=f"{root}state",
        status_category="",
        created=created,
        updated=updated,
        resolved=resolved,
        refs=tuple(refs),
        event="incident",
        upstream_id=_upstream("sn", key, updated, status, priority, "incident"),
    )


PARSERS = {"jira": parse_jira, "zendesk": parse_zendesk, "servicenow": parse_servicenow}

__all__ = [
    "ACTIONS",
    "DEFAULT_MAPS",
    "PARSERS",
    "TICKET_KINDS",
    "Decision",
    "Ticket",
    "clean_ticket_map",
    "decide",
    "effective_map",
    "parse_jira",
    "parse_servicenow",
    "parse_zendesk",
]
