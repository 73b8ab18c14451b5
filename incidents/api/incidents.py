"""The incidents API: thin views over ``incidents.services``.

Every detail route first finds the incident through the one visibility rule
(``Incident.objects.visible_to``: another tenant's incident is 404 on every
route, whatever the body), then parses the body with a serializer, then lets
the service check the role (403) and the state (409 naming the state and the
allowed actions). Errors use the one shape of ``core.api``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import signed_in
from accounts.models import User
from contracts.access import contract_standing
from core.api import AnyMediaRenderer, ValidatedBodyMixin, error_responses
from core.errors import NotPermitted
from core.exports import XLSX_TYPE, export_response, requested_format
from core.parsers import FormParser, JSONParser, MultiPartParser
from incidents import exports, services
from incidents.detail import for_api_detail
from incidents.filters import IncidentFilter
from incidents.models import ExclusionClaim, Incident, IncidentAttachment, IncidentEvent, SeverityChange
from incidents.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    AttributeSerializer,
    ChangeSeveritySerializer,
    ClaimCreateSerializer,
    ClaimSerializer,
    CommentSerializer,
    ConfirmSerializer,
    DecideClaimSerializer,
    EventSerializer,
    ImportResultSerializer,
    ImportSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentListSerializer,
    MessageSerializer,
    ProposeWorkaroundSerializer,
    ReasonSerializer,
)
from incidents.serializers.actions import (
    AssignSerializer,
    BulkAssignSerializer,
    BulkResultSerializer,
    BulkSerializer,
)
from incidents.serializers.severity import (
    SeverityChangeSerializer,
    SeverityDecisionSerializer,
    SeverityRejectSerializer,
)

# --------------------------------------------------------------------------
# Schema helpers
# --------------------------------------------------------------------------

_ERROR_TEXT = {
    400: "Invalid input: `errors` maps each field (or `line N` of an import) to its messages.",
    403: "Not permitted: you may see the incident but your role may not do this.",
    404: "No such incident (or you may not see it), or no such item on it.",
    409: "The incident's state does not allow this: `state` and `allowed` say what does.",
}


def errors(*codes: int, media_type: str | None = None) -> dict[Any, OpenApiResponse]:
    return error_responses(*codes, media_type=media_type, texts=_ERROR_TEXT)


PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Incident id.")
PROPOSAL_ID = OpenApiParameter(
    "proposal_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Severity proposal id."
)
CLAIM_ID = OpenApiParameter("claim_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Claim id.")
ATTACHMENT_ID = OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Attachment id.")


def _person(pk: int | None) -> User | None:
    """The user by id for an assignment; an unknown id is the same 400 as a
    person of another organization (the service's message), never a 404
    that would tell ids apart."""
    if pk is None:
        return None
    return User.objects.filter(pk=pk).first() or User(pk=0)


def transition(summary: str, request: Any, description: str = "", codes: tuple[int, ...] = (400, 403, 404, 409)) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[PK],
        request=request,
        responses={200: IncidentDetailSerializer, **errors(*codes)},
    )


# --------------------------------------------------------------------------
# Incidents
# --------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Incidents you may see",
        description="Newest first unless `ordering` says otherwise. Clocks are the stored values; "
        "`remaining_seconds` and `breached` are computed at read time.",
        responses={200: IncidentListSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="One incident, with its clocks and what you may do now",
        parameters=[PK],
        responses={200: IncidentDetailSerializer, **errors(404)},
    ),
)
class IncidentViewSet(ValidatedBodyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incidents on the contracts you may see (staff: all). Each lifecycle step
    is its own POST; the service decides who may take it and when."""

    queryset = Incident.objects.none()
    serializer_class = IncidentListSerializer
    filter_backends = [DjangoFilterBackend]  # ordering is the filter set's own `ordering`
    filterset_class = IncidentFilter
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Incident]:
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        if self.action == "list":
            return Incident.objects.listed_for(self.request.user)
        return Incident.objects.visible_to(self.request.user).for_list()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return IncidentListSerializer if self.action == "list" else IncidentDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_renderers(self) -> list:
        if getattr(self, "action", None) == "download_attachment":
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()

    # -- helpers ----------------------------------------------------------

    def get_object(self) -> Incident:
        """The incident through the visibility rule only (no list filters)."""
        incidents = self.get_queryset().select_related("sla_version", "opened_by")
        if self.action == "retrieve":
            incidents = for_api_detail(incidents, self.request.user)
        try:
            return incidents.get(pk=self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        except (Incident.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such incident.") from None

    def _render(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        """The incident as it is now, through the visibility rule again."""
        self.kwargs[self.lookup_url_kwarg or self.lookup_field] = incident.pk
        return Response(IncidentDetailSerializer(self.get_object(), context=self.get_serializer_context()).data, code)

    def _page(self, queryset: QuerySet, serializer_class: type[serializers.BaseSerializer], **extra: Any) -> Response:
        context = {**self.get_serializer_context(), **extra}
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(serializer_class(page, many=True, context=context).data)
        return Response(serializer_class(queryset, many=True, context=context).data)

    # -- create -----------------------------------------------------------

    @extend_schema(
        summary="Open an incident",
        description="The buyer's contract managers and operations open incidents on an active contract with "
        "an SLA in force. A contract you may not see is `contract: Not found.` (400). A component outside "
        "the contract's scope is accepted and flagged `out_of_scope`.",
        request=IncidentCreateSerializer,
        responses={201: IncidentDetailSerializer, **errors(400, 403, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._body(IncidentCreateSerializer)
        incident = services.open_incident(actor=request.user, **data)
        return self._render(incident, status.HTTP_201_CREATED)

    # -- lifecycle --------------------------------------------------------

    @transition("Acknowledge (vendor support staff)", MessageSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(MessageSerializer)
        return self._render(services.acknowledge_incident(actor=request.user, incident=incident, **data))

    @transition("Propose a workaround (vendor support staff)", ProposeWorkaroundSerializer)
    @action(detail=True, methods=["post"], url_path="propose-workaround")
    def propose_workaround(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(ProposeWorkaroundSerializer)
        return self._render(services.propose_workaround(actor=request.user, incident=incident, **data))

    @transition(
        "Accept the proposed workaround (buyer)",
        None,
        description="Stops the restore clock; the incident is restored.",
        codes=(403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="accept-workaround")
    def accept_workaround(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        return self._render(services.accept_workaround(actor=request.user, incident=incident))

    @transition("Reject the proposed workaround (buyer)", ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="reject-workaround")
    def reject_workaround(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(ReasonSerializer)
        return self._render(services.reject_workaround(actor=request.user, incident=incident, **data))

    @transition("Resolve (vendor support staff)", MessageSerializer, description="Ends a running pause.")
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(MessageSerializer)
        return self._render(services.resolve_incident(actor=request.user, incident=incident, **data))

    @transition("Confirm the resolution and close (buyer)", ConfirmSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(ConfirmSerializer)
        return self._render(services.confirm_resolution(actor=request.user, incident=incident, **data))

    @transition("Reopen a resolved incident (buyer)", ReasonSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(ReasonSerializer)
        return self._render(services.reopen_incident(actor=request.user, incident=incident, **data))

    @transition(
        "Pause the clocks: waiting for the customer (vendor support staff)",
        ReasonSerializer,
        description="Stops the clocks the terms' `pause.stops` names.",
    )
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(ReasonSerializer)
        return self._render(services.pause_incident(actor=request.user, incident=incident, **data))

    @transition("Resume the clocks (either party)", MessageSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(MessageSerializer)
        return self._render(services.resume_incident(actor=request.user, incident=incident, **data))

    # -- severity by agreement ------------------------------------------

    def _change_severity(self, request: Request) -> Response:
        incident = self.get_object()
        data = self._body(ChangeSeveritySerializer)
        outcome = services.change_severity(actor=signed_in(request), incident=incident, **data)
        if outcome.pending:
            change = SeverityChange.objects.select_related("proposed_by", "decided_by").get(pk=outcome.change.pk)
            return Response(SeverityChangeSerializer(change).data, status=status.HTTP_202_ACCEPTED)
        return self._render(outcome.incident)

    @extend_schema(
        summary="Change the severity (either party; the vendor lowering it needs the buyer's agreement)",
        description="Raising the severity, or any change by the buyer's side, applies at once: 200 with the "
        "incident, targets recomputed from the original open time. The vendor's side lowering it files a "
        "proposal: 202 with the pending proposal, accepted or rejected by the buyer's side at "
        "`severity-proposals/{id}/accept/` or `reject/` (terms with `severity_changes: either_party` apply "
        "it at once). A second change while one is pending is 409.",
        parameters=[PK],
        request=ChangeSeveritySerializer,
        responses={
            200: IncidentDetailSerializer,
            202: SeverityChangeSerializer,
            **errors(400, 403, 404, 409),
        },
    )
    @action(detail=True, methods=["post"], url_path="severity")
    def severity(self, request: Request, pk: str) -> Response:
        return self._change_severity(request)

    @extend_schema(
        summary="Change the severity (the older name of `severity/`)",
        description="The same as `severity/`.",
        deprecated=True,
        parameters=[PK],
        request=ChangeSeveritySerializer,
        responses={
            200: IncidentDetailSerializer,
            202: SeverityChangeSerializer,
            **errors(400, 403, 404, 409),
        },
    )
    @action(detail=True, methods=["post"], url_path="change-severity")
    def change_severity(self, request: Request, pk: str) -> Response:
        return self._change_severity(request)

    @extend_schema(
        summary="The incident's severity changes, proposed and applied, newest first",
        parameters=[PK],
        responses={200: SeverityChangeSerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"], url_path="severity-proposals", filter_backends=[])
    def severity_proposals(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        queryset = SeverityChange.objects.filter(incident=incident).select_related("proposed_by", "decided_by")
        return self._page(queryset.order_by("-proposed_at", "-id"), SeverityChangeSerializer)

    def _decide_severity(self, request: Request, proposal_id: str, *, accept: bool) -> Response:
        incident = self.get_object()
        try:
            change = SeverityChange.objects.get(incident=incident, pk=proposal_id)
        except SeverityChange.DoesNotExist:
            raise NotFound(f"{incident.reference} has no severity proposal {proposal_id}.") from None
        change.incident = incident
        data = self._body(SeverityDecisionSerializer if accept else SeverityRejectSerializer)
        outcome = services.decide_severity(actor=signed_in(request), change=change, accept=accept, **data)
        change = SeverityChange.objects.select_related("proposed_by", "decided_by").get(pk=outcome.change.pk)
        return Response(SeverityChangeSerializer(change).data)

    @extend_schema(
        summary="Accept a proposed severity change (buyer)",
        description="The change applies: targets are recomputed from the original open time.",
        parameters=[PK, PROPOSAL_ID],
        request=SeverityDecisionSerializer,
        responses={200: SeverityChangeSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"severity-proposals/(?P<proposal_id>\d+)/accept",
        url_name="severity-proposal-accept",
        filter_backends=[],
    )
    def accept_severity(self, request: Request, pk: str, proposal_id: str) -> Response:
        return self._decide_severity(request, proposal_id, accept=True)

    @extend_schema(
        summary="Reject a proposed severity change (buyer)",
        description="The severity stays; `reason` is required.",
        parameters=[PK, PROPOSAL_ID],
        request=SeverityRejectSerializer,
        responses={200: SeverityChangeSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"severity-proposals/(?P<proposal_id>\d+)/reject",
        url_name="severity-proposal-reject",
        filter_backends=[],
    )
    def reject_severity(self, request: Request, pk: str, proposal_id: str) -> Response:
        return self._decide_severity(request, proposal_id, accept=False)

    @extend_schema(
        summary="Comment on the timeline (the parties and the board)",
        parameters=[PK],
        request=CommentSerializer,
        responses={201: EventSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(CommentSerializer)
        entry = services.comment_incident(actor=request.user, incident=incident, **data)
        return Response(EventSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Attribute the fault to another contract of the same buyer (buyer contract managers)",
        description="`move: true` opens a new incident on that contract from the buyer's facts only (title, "
        "description, severity, environment, component; none of the first vendor's acts), notifies its vendor and "
        "returns it; this incident stays with its vendor and stops counting against its SLA. `move: false` only "
        "links it there. Neither vendor ever reads the other's contract or name.",
        parameters=[PK],
        request=AttributeSerializer,
        responses={200: IncidentDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def attribute(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(AttributeSerializer)
        incident = services.attribute_incident(actor=request.user, incident=incident, **data)
        return self._render(incident)

    @transition(
        "Assign to a person of your own side (the parties)",
        AssignSerializer,
        description="Each side assigns only its own people; `null` unassigns.",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(AssignSerializer)
        return self._render(
            services.assign_incident(actor=signed_in(request), incident=incident, assignee=_person(data["assignee"]))
        )

    @transition(
        "Cancel an incident opened by mistake (buyer)",
        ReasonSerializer,
        description="Every clock stops where it stood; no report, packet or replay counts it.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = self._body(ReasonSerializer)
        return self._render(services.cancel_incident(actor=signed_in(request), incident=incident, **data))

    @extend_schema(
        summary="Acknowledge several incidents (vendor support staff)",
        description="Each incident in its own transaction: `refused` says why one was not acknowledged "
        "(an incident you may not see reads as not found).",
        request=BulkSerializer,
        responses={200: BulkResultSerializer, **errors(400)},
    )
    @action(detail=False, methods=["post"], url_path="bulk-acknowledge", filter_backends=[])
    def bulk_acknowledge(self, request: Request) -> Response:
        data = self._body(BulkSerializer)
        found, missing = self._visible(data["incidents"])
        result = services.bulk_acknowledge(actor=signed_in(request), incidents=found)
        return Response({"done": result.done, "refused": {**missing, **result.refused}})

    @extend_schema(
        summary="Assign several incidents to one person of your own side (the parties)",
        request=BulkAssignSerializer,
        responses={200: BulkResultSerializer, **errors(400)},
    )
    @action(detail=False, methods=["post"], url_path="bulk-assign", filter_backends=[])
    def bulk_assign(self, request: Request) -> Response:
        data = self._body(BulkAssignSerializer)
        found, missing = self._visible(data["incidents"])
        result = services.bulk_assign(actor=signed_in(request), incidents=found, assignee=_person(data["assignee"]))
        return Response({"done": result.done, "refused": {**missing, **result.refused}})

    def _visible(self, ids: list[int]) -> tuple[list[Incident], dict[int, str]]:
        wanted = list(dict.fromkeys(ids))
        found = {i.pk: i for i in Incident.objects.visible_to(self.request.user).filter(pk__in=wanted)}
        return [found[pk] for pk in wanted if pk in found], {
            pk: "No such incident." for pk in wanted if pk not in found
        }

    @extend_schema(
        summary="Export the filtered list as CSV or XLSX",
        description="Every incident the filters select (not one page), as the list shows them; times in UTC. "
        "Text that a spreadsheet would run as a formula is written as text.",
        parameters=[
            OpenApiParameter("export", str, enum=["csv", "xlsx"], required=True, description="File format."),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The list as CSV."),
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The list as XLSX."),
            **errors(400),
        },
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> Any:
        fmt = requested_format(request.query_params.get("export"), required=True)
        queryset = self.filter_queryset(Incident.objects.visible_to(request.user))
        return export_response(fmt=fmt, filename="incidents", header=exports.HEADER, rows=exports.rows(queryset))

    # -- timeline ---------------------------------------------------------

    @extend_schema(
        summary="The incident's timeline, oldest first",
        parameters=[PK],
        responses={200: EventSerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def timeline(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        s = contract_standing(request.user, incident.contract)
        return self._page(
            IncidentEvent.objects.filter(incident=incident).order_by("at", "id"),
            EventSerializer,
            vendor_reader=not (s.is_staff or s.is_buyer),
        )

    # -- attachments ------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="The incident's attachments",
        parameters=[PK],
        responses={200: AttachmentSerializer(many=True), **errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach a file (multipart; the parties)",
        parameters=[PK],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def attachments(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            queryset = IncidentAttachment.objects.filter(incident=incident).select_related("uploaded_by")
            return self._page(queryset.order_by("uploaded_at", "id"), AttachmentSerializer)
        data = self._body(AttachmentUploadSerializer)
        attachment = services.attach_file(actor=request.user, incident=incident, file=data["file"])
        attachment = IncidentAttachment.objects.select_related("uploaded_by").get(pk=attachment.pk)
        return Response(
            AttachmentSerializer(attachment, context=self.get_serializer_context()).data, status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Download an attachment",
        parameters=[PK, ATTACHMENT_ID],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment."
            ),
            **errors(404, media_type="application/json"),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)/download",
        url_name="attachment-download",
        filter_backends=[],
    )
    def download_attachment(self, request: Request, pk: str, attachment_id: str) -> FileResponse:
        incident = self.get_object()
        try:
            attachment = IncidentAttachment.objects.get(incident=incident, pk=attachment_id)
        except IncidentAttachment.DoesNotExist:
            raise NotFound(f"{incident.reference} has no attachment {attachment_id}.") from None
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise NotFound("The attachment's file is missing from storage.") from None
        # Always octet-stream: an uploaded HTML or SVG must never render in the portal's origin.
        return FileResponse(
            handle, as_attachment=True, filename=attachment.name, content_type="application/octet-stream"
        )

    # -- exclusion claims -------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="The incident's exclusion claims, newest first",
        parameters=[PK],
        responses={200: ClaimSerializer(many=True), **errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Claim an exclusion (vendor support staff)",
        description="At most one claim pending at a time; the kind must be one the agreement excludes.",
        parameters=[PK],
        request=ClaimCreateSerializer,
        responses={201: ClaimSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def claims(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            queryset = ExclusionClaim.objects.filter(incident=incident).select_related("claimed_by", "decided_by")
            return self._page(queryset.order_by("-claimed_at", "-id"), ClaimSerializer)
        data = self._body(ClaimCreateSerializer)
        claim = services.claim_exclusion(actor=request.user, incident=incident, **data)
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept or reject a pending exclusion claim (buyer)",
        description="Accepting excludes the incident from breach counts and credits; rejecting needs a reason.",
        parameters=[PK, CLAIM_ID],
        request=DecideClaimSerializer,
        responses={200: ClaimSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"claims/(?P<claim_id>\d+)/decide",
        url_name="claim-decide",
        filter_backends=[],
    )
    def decide_claim(self, request: Request, pk: str, claim_id: str) -> Response:
        incident = self.get_object()
        try:
            claim = ExclusionClaim.objects.get(incident=incident, pk=claim_id)
        except ExclusionClaim.DoesNotExist:
            raise NotFound(f"{incident.reference} has no claim {claim_id}.") from None
        claim.incident = incident
        data = self._body(DecideClaimSerializer)
        claim = services.decide_claim(actor=request.user, claim=claim, **data)
        claim = ExclusionClaim.objects.select_related("claimed_by", "decided_by").get(pk=claim.pk)
        return Response(ClaimSerializer(claim).data)

    # -- import -----------------------------------------------------------

    @extend_schema(
        summary="Import incident history (staff)",
        description="All or nothing: a file with any bad row is rejected whole, `errors` keyed `line N` "
        "(CSV: the file line, header is line 1; JSON: the array position from 1). Imported incidents keep "
        "their recorded times and their clocks are computed from them.",
        request={"multipart/form-data": ImportSerializer},
        responses={201: ImportResultSerializer, **errors(400, 403)},
    )
    @action(detail=False, methods=["post"], url_path="import", filter_backends=[])
    def import_history(self, request: Request) -> Response:
        if not request.user.is_staff:  # before reading the file: strangers learn nothing about it
            raise NotPermitted("Only staff may import incident history.")
        data = self._body(ImportSerializer)
        rows = services.parse_rows(data["file"].read(), data["format"])
        created = services.import_incidents(
            actor=request.user, contract=data["contract"], rows=rows, source=data["source"]
        )
        incidents = list(self.get_queryset().filter(pk__in=[i.pk for i in created]).order_by("opened_at", "id"))
        body = {"created": len(incidents), "incidents": incidents}
        return Response(
            ImportResultSerializer(body, context=self.get_serializer_context()).data, status.HTTP_201_CREATED
        )
