"""Monitoring ingestion endpoints, authenticated by a monitoring source's own
token (``Authorization: Bearer <token>``), never by a person.

A bad or revoked token is 401 before the body is read, so nothing is stored;
an over-size body is 413 before it is read; a malformed one is 400 naming the
problem, and nothing is stored either.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from availability.api import errs
from availability.ingest import services as ingest
from availability.ingest import tickets_apply
from availability.models import MonitoringSource
from availability.serializers import (
    AlertmanagerWebhookSerializer,
    IngestResultSerializer,
    ProbeResultSerializer,
)
from availability.serializers.tickets import TicketIngestResultSerializer
from availability.services import monitoring, sources
from core import jsonbody
from core.errors import PayloadTooLarge

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# The endpoint (under /api/monitoring/) for each kind of source.
INGEST_PATHS: dict[str, str] = {
    MonitoringSource.Kind.ALERTMANAGER: "alertmanager",
    MonitoringSource.Kind.PROBE: "probes",
    MonitoringSource.Kind.STATUSPAGE: "statuspage",
    MonitoringSource.Kind.PAGERDUTY: "pagerduty",
    MonitoringSource.Kind.OPSGENIE: "opsgenie",
    MonitoringSource.Kind.JIRA: "jira",
    MonitoringSource.Kind.ZENDESK: "zendesk",
    MonitoringSource.Kind.SERVICENOW: "servicenow",
}


def max_bytes() -> int:
    """The body size limit: settings.COVENANT_MAX_MONITORING_BYTES, default 5 MB."""
    return int(getattr(settings, "COVENANT_MAX_MONITORING_BYTES", DEFAULT_MAX_BYTES))


# -- monitoring token authentication ---------------------------------------------------


def check_content(body: bytes) -> None:
    """Refuse, before the service stores anything, what PostgreSQL or the JSON
    parser cannot take: a NUL byte anywhere (a CSV line or raw text) and a JSON
    body that breaks ``core.jsonbody``'s limits (nesting, a NUL character in a
    label, an integer past 64 bits). A body that is not JSON at all is left to the
    service, which says where it stops being JSON (or reads it as CSV)."""
    if b"\x00" in body:
        raise ValidationError({"body": ["Must not contain NUL bytes."]})
    if body.lstrip()[:1] not in (b"{", b"["):
        return
    try:
        jsonbody.loads(body)
    except jsonbody.BadJSON as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    except ValueError:
        return


class MonitoringTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <source token>``: looked up by its SHA-256."""

    def authenticate(self, request: Request) -> tuple[Any, MonitoringSource] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed("Send the source token as 'Authorization: Bearer <token>'.")
        source = monitoring.source_for_token(token.strip())
        if source is None:
            raise AuthenticationFailed("Unknown monitoring token.")
        if source.revoked_at is not None:
            raise AuthenticationFailed("This monitoring token was revoked.")
        if source.rejected_at is not None:
            raise AuthenticationFailed("The other party rejected this monitoring source.")
        return AnonymousUser(), source

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="monitoring"'


class MonitoringTokenScheme(OpenApiAuthenticationExtension):
    target_class = "availability.webhooks.MonitoringTokenAuthentication"
    name = "monitoringToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A monitoring source's token (shown once at creation).",
        }


class IsMonitoringSource(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, MonitoringSource)


class _IngestView(APIView):
    authentication_classes = [MonitoringTokenAuthentication]
    permission_classes = [IsMonitoringSource]
    throttle_classes: list = []
    kind = ""

    def body(self, request: Request) -> bytes:
        limit = max_bytes()
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            raise ValidationError({"Content-Length": ["Must be a number of bytes."]})
        if int(length) > limit:
            raise PayloadTooLarge(
                f"The body is {int(length):,} bytes; the limit is {limit:,} bytes. Send smaller batches."
            )
        try:
            body = request.body
        except RequestDataTooBig:
            raise PayloadTooLarge(f"The body is over the limit of {limit:,} bytes.") from None
        if len(body) > limit:
            raise PayloadTooLarge(f"The body is {len(body):,} bytes; the limit is {limit:,} bytes.")
        check_content(body)
        return body

    def check_kind(self, source: MonitoringSource) -> None:
        """The right endpoint for the token; then the source counts as heard from
        (its token's last use, and the end of a silence)."""
        if source.kind != self.kind:
            other = INGEST_PATHS.get(source.kind, source.kind)
            raise ValidationError(
                {"source": [f"This token belongs to a {source.kind} source: post to /api/monitoring/{other}/."]}
            )
        sources.note_use(source)

    def respond(self, result: monitoring.IngestResult) -> Response:
        code = status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
        return Response(IngestResultSerializer(result).data, status=code)


class AlertmanagerIngestView(_IngestView):
    kind = MonitoringSource.Kind.ALERTMANAGER

    @extend_schema(
        summary="Receive a Prometheus Alertmanager webhook (payload version 4, or 3)",
        description="Configure Alertmanager's webhook receiver with `http_config.authorization.credentials: <token>`. "
        "Firing alerts open outages (start = startsAt), resolved alerts close the outage with the same fingerprint "
        "(end = endsAt). The source's component label names the component; an unknown one is kept and flagged. "
        "A firing alert's endsAt (0001-01-01T00:00:00Z) is ignored; truncatedAlerts > 0 is noted on the source. "
        "The same body posted again changes nothing (200, `duplicate: true`).",
        request={"application/json": AlertmanagerWebhookSerializer},
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **errs(400, 401, 413)},
        tags=["monitoring"],
    )
    def post(self, request: Request) -> Response:
        self.check_kind(request.auth)
        return self.respond(monitoring.ingest_alertmanager(request.auth, self.body(request)))


class ProbeIngestView(_IngestView):
    kind = MonitoringSource.Kind.PROBE

    @extend_schema(
        summary="Receive probe results (JSON object or array, or CSV)",
        description="Each result: `timestamp`, `component`, `up`, optional `response_ms`. Per component in time order, "
        "up→down opens an outage and down→up closes it; a gap longer than the source's interval is recorded as "
        "no data (never as up). Results not newer than a component's last one change nothing. CSV: a header line "
        "`timestamp,component,up[,response_ms]`.",
        request={"application/json": ProbeResultSerializer(many=True), "text/csv": OpenApiTypes.STR},
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **errs(400, 401, 413)},
        tags=["monitoring"],
    )
    def post(self, request: Request) -> Response:
        self.check_kind(request.auth)
        body = self.body(request)
        return self.respond(monitoring.ingest_probes(request.auth, body, request.META.get("CONTENT_TYPE", "")))


def _source(request: Request) -> MonitoringSource:
    """The source the token authenticated (``IsMonitoringSource`` let only that through)."""
    assert isinstance(request.auth, MonitoringSource)
    return request.auth


class StatuspageIngestView(_IngestView):
    kind = MonitoringSource.Kind.STATUSPAGE

    @extend_schema(
        summary="Receive an Atlassian Statuspage incidents.json or summary.json (v2 API)",
        description="Incidents whose mapped components were in major or partial outage become vendor-reported "
        "outages (start = started_at or created_at, end = resolved_at); degraded performance and maintenance do "
        "not. summary.json also opens an outage for a mapped component shown in outage with no incident. Only "
        "components in the source's `component_map` count. The same body again changes nothing.",
        request={"application/json": OpenApiTypes.OBJECT},
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **errs(400, 401, 413)},
        tags=["monitoring"],
    )
    def post(self, request: Request) -> Response:
        source = _source(request)
        self.check_kind(source)
        return self.respond(ingest.ingest_statuspage(source, self.body(request)))


class PagerDutyIngestView(_IngestView):
    kind = MonitoringSource.Kind.PAGERDUTY

    @extend_schema(
        summary="Receive a PagerDuty v3 webhook",
        description="incident.triggered opens an outage at the incident's created_at, incident.resolved ends it at "
        "occurred_at; the component is the source's mapping of the service id or name. A redelivered event "
        "(same event id) changes nothing.",
        request={"application/json": OpenApiTypes.OBJECT},
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **errs(400, 401, 413)},
        tags=["monitoring"],
    )
    def post(self, request: Request) -> Response:
        source = _source(request)
        self.check_kind(source)
        return self.respond(ingest.ingest_pagerduty(source, self.body(request)))


class OpsgenieIngestView(_IngestView):
    kind = MonitoringSource.Kind.OPSGENIE

    @extend_schema(
        summary="Receive an Opsgenie alert webhook",
        description="Create opens an outage at the alert's createdAt, Close ends it (at updatedAt); the component "
        "is the source's mapping of a tag, details.component or entity. The same body again changes nothing.",
        request={"application/json": OpenApiTypes.OBJECT},
        responses={201: IngestResultSerializer, 200: IngestResultSerializer, **errs(400, 401, 413)},
        tags=["monitoring"],
    )
    def post(self, request: Request) -> Response:
        source = _source(request)
        self.check_kind(source)
        return self.respond(ingest.ingest_opsgenie(source, self.body(request)))


# -- ticketing: Jira Service Management, Zendesk, ServiceNow -------------------------------------

_TICKETS = (
    " The source's ticket map turns the priority into a severity and the status into a lifecycle step "
    "(open, acknowledge, workaround, resolve, cancel), done through the incident services in the name of the "
    "party person who registered or accepted the source; the ticket's own times go on the incident's timeline "
    "beside the server time. An update older than the last applied one, or a redelivery, changes nothing. "
    "A ticket from a source the other party has not accepted is kept and changes nothing (`counted: false`). "
    "An unmapped priority or status is 400 naming the ticket's field; nothing is stored."
)


class _TicketIngestView(_IngestView):
    def post(self, request: Request) -> Response:
        source = _source(request)
        self.check_kind(source)
        result = tickets_apply.ingest_ticket(source, self.body(request), self.kind)
        code = status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
        return Response(TicketIngestResultSerializer(result).data, status=code)


def _ticket_schema(summary: str, description: str) -> Any:
    return extend_schema(
        summary=summary,
        description=description + _TICKETS,
        request={"application/json": OpenApiTypes.OBJECT},
        responses={201: TicketIngestResultSerializer, 200: TicketIngestResultSerializer, **errs(400, 401, 409, 413)},
        tags=["monitoring"],
    )


class JiraIngestView(_TicketIngestView):
    kind = MonitoringSource.Kind.JIRA

    @_ticket_schema(
        "Receive a Jira Service Management issue webhook",
        "jira:issue_created and jira:issue_updated bodies: issue.id, issue.key, issue.fields.priority.name, "
        "issue.fields.status.name (else its statusCategory.key), created, updated, resolutiondate.",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class ZendeskIngestView(_TicketIngestView):
    kind = MonitoringSource.Kind.ZENDESK

    @_ticket_schema(
        "Receive a Zendesk ticket webhook (trigger body, or a ticket event's detail)",
        'Trigger body: {"ticket": {"id": "{{ticket.id}}", "subject": "{{ticket.title}}", "priority": '
        '"{{ticket.priority}}", "status": "{{ticket.status}}", "created_at": "{{ticket.created_at_with_timestamp}}", '
        '"updated_at": "{{ticket.updated_at_with_timestamp}}", "tags": "{{ticket.tags}}"}}.',
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class ServiceNowIngestView(_TicketIngestView):
    kind = MonitoringSource.Kind.SERVICENOW

    @_ticket_schema(
        "Receive a ServiceNow incident (Business Rule outbound REST message)",
        "The incident record's values: number, sys_id, priority (1-5), state (1 New, 2 In Progress, 3 On Hold, "
        "6 Resolved, 7 Closed, 8 Canceled), opened_at, resolved_at, sys_updated_on (UTC), short_description.",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)
