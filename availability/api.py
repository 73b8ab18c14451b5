"""The availability API: monitoring sources, outages, maintenance windows,
change notices, the availability report and calendar feeds. Thin views over
``incidents.services``; monitoring ingestion is ``availability.webhooks``.

Contract-scoped routes find the contract (or the row) through the one
visibility rule first: another tenant's is 404 whatever the body.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import signed_in
from availability.filters import ChangeNoticeFilter, MaintenanceFilter, OutageFilter
from availability.ingest import tickets, tickets_apply
from availability.models import ChangeNotice, MaintenanceWindow, MonitoringSource, Outage
from availability.report import TermsBook, period_report, report_data, resolve_period
from availability.serializers import (
    AcknowledgeSerializer,
    AnswerSerializer,
    AvailabilityReportSerializer,
    CalendarFeedRequestSerializer,
    CalendarFeedSerializer,
    ChangeCreateSerializer,
    ChangeNoticeSerializer,
    CompleteSerializer,
    DecideSerializer,
    FromIncidentSerializer,
    MaintenanceCreateSerializer,
    MaintenanceWindowSerializer,
    MonitoringSourceCreatedSerializer,
    MonitoringSourceCreateSerializer,
    MonitoringSourceSerializer,
    OutageClaimSerializer,
    OutageCorrectSerializer,
    OutageCreateSerializer,
    OutageSerializer,
    PostponementDecisionSerializer,
    PostponeSerializer,
    QuestionSerializer,
    ReasonOptionalSerializer,
    SourceRejectSerializer,
)
from availability.serializers.tickets import TicketMapSerializer
from availability.services import monitoring, sources
from availability.services import periods as av
from contracts.access import get_visible_contract
from contracts.models import visibility_q
from core.api import ErrorSerializer, ValidatedBodyMixin
from core.periods import PeriodError

_TEXT = {
    400: "Invalid input: `detail` names the problem, `errors` maps each field (or item) to its messages.",
    401: "No, unknown or revoked monitoring token. Nothing was stored.",
    403: "Not permitted: you may see it but your role may not do this.",
    404: "No such object, or you may not see it.",
    409: "The state does not allow this: `state` and `allowed` say what does.",
    413: "The body is over the size limit (COVENANT_MAX_MONITORING_BYTES, default 5 MB). Nothing was stored.",
}


def errs(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=_TEXT[code]) for code in codes}


CONTRACT_PK = OpenApiParameter("contract_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Contract id.")
PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


# -- shared viewset plumbing -------------------------------------------------------------


class _Base(ValidatedBodyMixin, viewsets.GenericViewSet):
    filter_backends = [DjangoFilterBackend]
    lookup_value_regex = r"\d+"
    model: Any = None
    related: tuple[str, ...] = ("contract",)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.model.objects.filter(visibility_q(self.request.user, via="contract__")).select_related(
            *self.related
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_object(self) -> Any:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise NotFound(f"No such {self.model._meta.verbose_name}.") from None

    def _one(self, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        self.kwargs["pk"] = obj.pk
        context = self.get_serializer_context()
        if self.model is MaintenanceWindow:
            context["book"] = TermsBook.load([obj.contract_id])
        return Response(self.get_serializer_class()(self.get_object(), context=context).data, status=code)


def _transition(
    summary: str, request: Any, response: Any, codes: tuple[int, ...] = (400, 403, 404, 409), **kw: Any
) -> Any:
    return extend_schema(
        summary=summary, parameters=[PK], request=request, responses={200: response, **errs(*codes)}, **kw
    )


# -- monitoring sources ---------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="A contract's monitoring sources (tokens never shown again)",
        parameters=[CONTRACT_PK],
        responses={200: MonitoringSourceSerializer(many=True), **errs(404)},
    ),
)
class MonitoringSourceViewSet(mixins.ListModelMixin, _Base):
    model = MonitoringSource
    serializer_class = MonitoringSourceSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return MonitoringSource.objects.none()
        contract = get_visible_contract(self.request.user, self.kwargs["contract_pk"])
        return MonitoringSource.objects.filter(contract=contract).order_by("name", "id")

    @extend_schema(
        summary="Add a monitoring source (staff, buyer contract managers)",
        description="The response carries the source's token this once; only its hash is stored.",
        parameters=[CONTRACT_PK],
        request=MonitoringSourceCreateSerializer,
        responses={201: MonitoringSourceCreatedSerializer, **errs(400, 403, 404)},
    )
    def create(self, request: Request, contract_pk: str) -> Response:
        contract = get_visible_contract(request.user, contract_pk)
        data = self._body(MonitoringSourceCreateSerializer)
        source, token = monitoring.create_source(actor=request.user, contract=contract, **data)
        source.token = token
        return Response(MonitoringSourceCreatedSerializer(source, context=self.get_serializer_context()).data, 201)

    @extend_schema(
        summary="Revoke a source's token (staff, buyer contract managers)",
        parameters=[CONTRACT_PK, PK],
        request=None,
        responses={200: MonitoringSourceSerializer, **errs(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, contract_pk: str, pk: str) -> Response:
        source = self.get_object()
        source = monitoring.revoke_source(actor=request.user, source=source)
        return Response(MonitoringSourceSerializer(source, context=self.get_serializer_context()).data)


class SourceListView(ValidatedBodyMixin, APIView):
    """``/api/contracts/{id}/sources/``: every source of the contract, with its
    consent, last use, health and coverage; POST registers one (either party)."""

    @extend_schema(
        summary="A contract's monitoring sources, their consent, last use and coverage",
        parameters=[CONTRACT_PK],
        responses={200: MonitoringSourceSerializer(many=True), **errs(404)},
        tags=["monitoring"],
    )
    def get(self, request: Request, contract_pk: str) -> Response:
        contract = get_visible_contract(request.user, contract_pk)
        rows, health = sources.contract_sources(contract, now=timezone.now())
        context = {"request": request, "health": health}
        return Response(MonitoringSourceSerializer(rows, many=True, context=context).data)

    @extend_schema(
        summary="Register a monitoring source (either party; counts once the other accepts)",
        description="The response carries the source's token this once; only its hash is stored.",
        parameters=[CONTRACT_PK],
        request=MonitoringSourceCreateSerializer,
        responses={201: MonitoringSourceCreatedSerializer, **errs(400, 403, 404)},
        tags=["monitoring"],
    )
    def post(self, request: Request, contract_pk: str) -> Response:
        contract = get_visible_contract(request.user, contract_pk)
        data = self._body(MonitoringSourceCreateSerializer)
        source, token = sources.register_source(actor=signed_in(request), contract=contract, **data)
        return Response(
            MonitoringSourceCreatedSerializer(source, context={"request": request, "token": token}).data, 201
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request}


class SourceActionView(ValidatedBodyMixin, APIView):
    """``/api/sources/{id}/accept|reject|revoke/`` (``verb`` set per route)."""

    verb = ""

    @extend_schema(
        summary="Accept, reject (with `reason`) or revoke a monitoring source",
        parameters=[PK],
        request=SourceRejectSerializer,
        responses={200: MonitoringSourceSerializer, **errs(400, 403, 404, 409)},
        tags=["monitoring"],
    )
    def post(self, request: Request, pk: str) -> Response:
        action = self.verb
        source = MonitoringSource.objects.visible_to(request.user).select_related("contract").filter(pk=pk).first()
        if source is None or action not in ("accept", "reject", "revoke"):
            raise NotFound("No such monitoring source.")
        actor = signed_in(request)
        if action == "accept":
            source = sources.accept_source(actor=actor, source=source)
        elif action == "reject":
            data = self._body(SourceRejectSerializer)
            source = sources.reject_source(actor=actor, source=source, reason=data["reason"])
        else:
            source = sources.revoke_source(actor=actor, source=source)
        return Response(MonitoringSourceSerializer(source, context={"request": request}).data)

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request}


class TicketMapView(ValidatedBodyMixin, APIView):
    """``/api/sources/{id}/ticket-map/``: a ticketing source's map, with the
    product's defaults filled in (GET), or replaced (PUT; the other party is told)."""

    @extend_schema(
        summary="A ticketing source's ticket map, defaults filled in",
        parameters=[PK],
        responses={200: TicketMapSerializer, **errs(404)},
        tags=["monitoring"],
    )
    def get(self, request: Request, pk: str) -> Response:
        source = self._source(request, pk)
        return Response({"ticket_map": tickets.effective_map(source.kind, source.ticket_map)})

    @extend_schema(
        summary="Replace a ticketing source's ticket map (either party; staff)",
        parameters=[PK],
        request=TicketMapSerializer,
        responses={200: TicketMapSerializer, **errs(400, 403, 404, 409)},
        tags=["monitoring"],
    )
    def put(self, request: Request, pk: str) -> Response:
        source = self._source(request, pk)
        data = self._body(TicketMapSerializer)
        source = tickets_apply.set_ticket_map(actor=signed_in(request), source=source, ticket_map=data["ticket_map"])
        return Response({"ticket_map": tickets.effective_map(source.kind, source.ticket_map)})

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request}

    def _source(self, request: Request, pk: str) -> MonitoringSource:
        source = MonitoringSource.objects.visible_to(request.user).select_related("contract").filter(pk=pk).first()
        if source is None or source.kind not in tickets.TICKET_KINDS:
            raise NotFound("No such ticketing source.")
        return source


# -- outages --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Outages you may see, newest first", responses={200: OutageSerializer(many=True), **errs(400)}
    ),
    retrieve=extend_schema(summary="One outage", parameters=[PK], responses={200: OutageSerializer, **errs(404)}),
)
class OutageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    model = Outage
    serializer_class = OutageSerializer
    filterset_class = OutageFilter
    related = ("contract", "monitoring_source", "created_by")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-start", "-id")

    @extend_schema(
        summary="Enter an outage the monitoring missed (staff)",
        request=OutageCreateSerializer,
        responses={201: OutageSerializer, **errs(400, 403)},
    )
    def create(self, request: Request) -> Response:
        return self._one(av.record_outage(actor=request.user, **self._body(OutageCreateSerializer)), 201)

    @_transition("Correct an outage, with a reason (staff)", OutageCorrectSerializer, OutageSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str) -> Response:
        outage = self.get_object()
        data = self._body(OutageCorrectSerializer)
        reason = data.pop("reason")
        return self._one(av.correct_outage(actor=request.user, outage=outage, reason=reason, **data))

    @_transition("Claim an exclusion: third party or force majeure (vendor)", OutageClaimSerializer, OutageSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        outage = self.get_object()
        return self._one(
            av.claim_outage_exclusion(actor=request.user, outage=outage, **self._body(OutageClaimSerializer))
        )

    @_transition("Accept or reject the claimed exclusion (buyer)", DecideSerializer, OutageSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        outage = self.get_object()
        return self._one(av.decide_outage_exclusion(actor=request.user, outage=outage, **self._body(DecideSerializer)))

    @extend_schema(
        summary="Record a restored critical production incident as an outage (staff, buyer)",
        request=FromIncidentSerializer,
        responses={201: OutageSerializer, **errs(400, 403, 409)},
    )
    @action(detail=False, methods=["post"], url_path="from-incident", filter_backends=[])
    def from_incident(self, request: Request) -> Response:
        return self._one(av.outage_from_incident(actor=request.user, **self._body(FromIncidentSerializer)), 201)


# -- maintenance windows -----------------------------------------------------------------------


@extend_schema_view(
    retrieve=extend_schema(
        summary="One maintenance window", parameters=[PK], responses={200: MaintenanceWindowSerializer, **errs(404)}
    ),
)
class MaintenanceWindowViewSet(mixins.RetrieveModelMixin, _Base):
    model = MaintenanceWindow
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceFilter
    related = ("contract", "created_by", "late_accepted_by")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-start", "-id")

    @extend_schema(
        summary="Maintenance windows you may see, latest first",
        description="`notice` checks the agreement's notice rule; the full verdict (allowance, overrun) "
        "is in the contract's availability report.",
        responses={200: MaintenanceWindowSerializer(many=True), **errs(400)},
    )
    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {**self.get_serializer_context(), "book": TermsBook.load({w.contract_id for w in rows})}
        data = MaintenanceWindowSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        summary="Schedule a maintenance window, or record one announced earlier (vendor)",
        description="With `announced_at` in the past (and `evidence`), the window is recorded after the fact: "
        "the notice check uses the claimed announcement, and the window excuses no downtime until the buyer "
        "accepts it (`accept`).",
        request=MaintenanceCreateSerializer,
        responses={201: MaintenanceWindowSerializer, **errs(400, 403)},
    )
    def create(self, request: Request) -> Response:
        return self._one(av.schedule_maintenance(actor=request.user, **self._body(MaintenanceCreateSerializer)), 201)

    @_transition(
        "Complete: record when the work really ended (vendor)", CompleteSerializer, MaintenanceWindowSerializer
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        window = self.get_object()
        return self._one(av.complete_maintenance(actor=request.user, window=window, **self._body(CompleteSerializer)))

    @_transition("Accept a window recorded after the fact (buyer)", None, MaintenanceWindowSerializer, (403, 404, 409))
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._one(av.accept_late_maintenance(actor=signed_in(request), window=self.get_object()))

    @_transition("Cancel a scheduled window (vendor)", ReasonOptionalSerializer, MaintenanceWindowSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        window = self.get_object()
        return self._one(
            av.cancel_maintenance(actor=request.user, window=window, **self._body(ReasonOptionalSerializer))
        )


# -- change notices ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Change notices you may see (the change log), latest planned first",
        responses={200: ChangeNoticeSerializer(many=True), **errs(400)},
    ),
    retrieve=extend_schema(
        summary="One change notice", parameters=[PK], responses={200: ChangeNoticeSerializer, **errs(404)}
    ),
)
class ChangeNoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    model = ChangeNotice
    serializer_class = ChangeNoticeSerializer
    filterset_class = ChangeNoticeFilter

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().prefetch_related("messages").order_by("-planned_at", "-id")

    @extend_schema(
        summary="Announce a change (vendor)",
        description="`late` is set when the notice given is shorter than the terms' notice rule for the kind.",
        request=ChangeCreateSerializer,
        responses={201: ChangeNoticeSerializer, **errs(400, 403)},
    )
    def create(self, request: Request) -> Response:
        return self._one(av.announce_change(actor=request.user, **self._body(ChangeCreateSerializer)), 201)

    @_transition("Acknowledge the change (buyer)", AcknowledgeSerializer, ChangeNoticeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        notice = self.get_object()
        data = self._body(AcknowledgeSerializer)
        return self._one(av.acknowledge_change(actor=request.user, notice=notice, **data))

    @_transition("Ask the vendor a question about the change (buyer)", QuestionSerializer, ChangeNoticeSerializer)
    @action(detail=True, methods=["post"])
    def question(self, request: Request, pk: str) -> Response:
        notice = self.get_object()
        return self._one(av.question_change(actor=request.user, notice=notice, **self._body(QuestionSerializer)))

    @_transition("Answer the buyer's question (vendor)", AnswerSerializer, ChangeNoticeSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str) -> Response:
        notice = self.get_object()
        return self._one(av.answer_change(actor=signed_in(request), notice=notice, **self._body(AnswerSerializer)))

    @_transition(
        "Request a postponement (buyer)",
        PostponeSerializer,
        ChangeNoticeSerializer,
        description="Within the notice the terms owe (the notice was short), the postponement is granted at once; "
        "a later date waits for the vendor's decision (`postponement`).",
    )
    @action(detail=True, methods=["post"])
    def postpone(self, request: Request, pk: str) -> Response:
        notice = self.get_object()
        return self._one(
            av.request_postponement(actor=signed_in(request), notice=notice, **self._body(PostponeSerializer))
        )

    @_transition(
        "Accept or decline a requested postponement (vendor)", PostponementDecisionSerializer, ChangeNoticeSerializer
    )
    @action(detail=True, methods=["post"])
    def postponement(self, request: Request, pk: str) -> Response:
        notice = self.get_object()
        return self._one(
            av.decide_postponement(
                actor=signed_in(request), notice=notice, **self._body(PostponementDecisionSerializer)
            )
        )


# -- availability report and calendar feed ------------------------------------------------------------


class AvailabilityView(APIView):
    @extend_schema(
        summary="A contract's availability for one period",
        description="Per component and for the service (as the terms' service rule defines it): availability, "
        "downtime, excused and no-data minutes, the pieces of downtime that count, and each maintenance window's "
        "verdict with its reasons. The current period is computed up to now (`so_far`).",
        parameters=[
            CONTRACT_PK,
            OpenApiParameter(
                "period", OpenApiTypes.STR, description="YYYY-MM (quarterly terms: YYYY-Qn). Default: now."
            ),
        ],
        responses={200: AvailabilityReportSerializer, **errs(400, 404)},
    )
    def get(self, request: Request, contract_pk: str) -> Response:
        contract = get_visible_contract(request.user, contract_pk)
        now = timezone.now()
        book = TermsBook.load([contract.pk])
        try:
            period = resolve_period(request.query_params.get("period"), book.terms(contract.pk, now), now)
        except PeriodError as exc:
            raise ValidationError({"period": [str(exc)]}) from None
        report = period_report(contract, period, book=book, now=now)
        if report is None:
            raise ValidationError({"period": [f"{period.title} has not begun, or the contract had no SLA in force."]})
        context = {"request": request, "now": now}
        return Response(AvailabilityReportSerializer(report_data(contract, report), context=context).data)


class CalendarFeedView(APIView):
    @extend_schema(
        summary="Your secret iCal URL for a contract's maintenance and changes",
        description="Created on first use; `rotate: true` retires the old URL. Anyone holding the URL can read the feed.",
        parameters=[CONTRACT_PK],
        request=CalendarFeedRequestSerializer,
        responses={200: CalendarFeedSerializer, **errs(400, 404)},
    )
    def post(self, request: Request, contract_pk: str) -> Response:
        contract = get_visible_contract(request.user, contract_pk)
        body = CalendarFeedRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        feed, token = av.calendar_feed(actor=request.user, contract=contract, rotate=body.validated_data["rotate"])
        url = request.build_absolute_uri(reverse("availability:calendar-feed", args=[contract.pk, token]))
        return Response(CalendarFeedSerializer({"url": url, "created_at": feed.created_at}).data)
