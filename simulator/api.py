"""The simulator API: run a simulation (nothing stored), run the buyer's
portfolio replay, and save / list / read / delete scenarios, export one as a
PDF and attach one to an annual review's amendment.

Contracts and scenarios are found through the one visibility rule (another
tenant's contract or scenario is 404); the services check roles (403) and
states (409). Results are the JSON the pages show; their shape is published
under components named ``Simulation*``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from contracts.models import Contract
from core.api import AnyMediaRenderer, error_responses
from core.downloads import content_disposition
from reviews.models import Amendment
from simulator import serializers as s
from simulator import services as simulations
from simulator.models import Scenario
from simulator.pdf import pdf_filename, scenario_pdf

SCENARIO_PK = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Scenario id.")


def _contract(user: Any, pk: int) -> Contract:
    contract = Contract.objects.visible_to(user).select_related("buyer", "vendor").filter(pk=pk).first()
    if contract is None:
        raise NotFound("No such contract (or you may not see it).")
    return contract


def _inputs(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in ("window", "candidates", "sensitivity") and v is not None}


class SimulationViewSet(viewsets.ViewSet):
    """Run simulations. Nothing is stored: save one as a scenario to keep it."""

    @extend_schema(
        summary="Replay a contract's history under candidate terms",
        description=(
            "Replays the recorded incidents, pauses, workarounds, outages, maintenance and accepted exclusions of "
            "the contract over the window (default: the last 12 ended periods) under the terms actually in force "
            "(the first term set) and under each candidate: an SLA version (a draft or an earlier one), an "
            "amendment under review, a preset or a whole terms document, with `changes` edited on top. Optionally "
            "sweeps one target (`sensitivity`). Both parties may simulate on the contracts they see. Nothing is "
            "written."
        ),
        request=s.SimulationRunSerializer,
        responses={200: s.SimulationResultSerializer, **error_responses(400, 401, 404)},
    )
    def create(self, request: Request) -> Response:
        body = s.SimulationRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contract = _contract(request.user, body.validated_data["contract"])
        return Response(simulations.run(contract=contract, inputs=_inputs(body.validated_data)))

    @extend_schema(
        summary="Replay one candidate across the buyer's contracts",
        description=(
            "The buyer's portfolio view: the same candidate over all of one vendor's contracts (`vendor`) or over "
            "the contracts listed (several vendors, one yardstick). Without a term-set source in `candidate`, its "
            "`changes` apply to each contract's own terms in force. Credits compare as a share of the window's fees."
        ),
        request=s.SimulationPortfolioRunSerializer,
        responses={200: s.SimulationPortfolioSerializer, **error_responses(400, 401, 403)},
    )
    @action(detail=False, methods=["post"])
    def portfolio(self, request: Request) -> Response:
        body = s.SimulationPortfolioRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(simulations.run_portfolio(user=request.user, inputs=body.validated_data))


@extend_schema_view(
    list=extend_schema(
        summary="Scenarios you may see",
        description="Yours, your side's (on contracts you see), and every scenario attached to an amendment of a "
        "contract you see. Newest first; results are in the detail.",
        responses={200: s.SimulationScenarioSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="One scenario with its inputs and results",
        parameters=[SCENARIO_PK],
        responses={200: s.SimulationScenarioDetailSerializer, **error_responses(401, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a scenario (its author or staff; not once it is evidence)",
        parameters=[SCENARIO_PK],
        responses={204: None, **error_responses(401, 403, 404, 409)},
    ),
)
class ScenarioViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    queryset = Scenario.objects.none()
    serializer_class = s.SimulationScenarioSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Scenario]:
        if getattr(self, "swagger_fake_view", False):
            return Scenario.objects.none()
        qs = Scenario.objects.visible_to(self.request.user).select_related(
            "contract", "vendor", "created_by", "amendment"
        )
        return qs if self.action != "list" else qs.defer("inputs", "results")

    def get_serializer_class(self) -> type:
        return s.SimulationScenarioDetailSerializer if self.action == "retrieve" else s.SimulationScenarioSerializer

    def get_renderers(self) -> list[Any]:
        if getattr(self, "action", None) == "pdf":
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="Run a simulation and save it as a scenario",
        description="`contract` with the simulation inputs, or `portfolio` with the portfolio inputs (the buyer's).",
        request=s.SimulationScenarioCreateSerializer,
        responses={201: s.SimulationScenarioDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def create(self, request: Request) -> Response:
        body = s.SimulationScenarioCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("contract") is not None:
            contract = _contract(request.user, data["contract"])
            inputs = _inputs(data)
            results = simulations.run(contract=contract, inputs=inputs)
        else:
            contract, inputs = None, dict(data["portfolio"])
            results = simulations.run_portfolio(user=request.user, inputs=inputs)
        scenario = simulations.scenario_save(
            actor=request.user, name=data["name"], inputs=inputs, results=results, contract=contract
        )
        scenario = self.get_queryset().get(pk=scenario.pk)
        return Response(s.SimulationScenarioDetailSerializer(scenario).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Scenario) -> None:
        simulations.scenario_delete(actor=self.request.user, scenario=instance)

    @extend_schema(
        summary="The scenario as a PDF",
        parameters=[SCENARIO_PK],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF, as an attachment."),
            **error_responses(401, 404, media_type="application/json"),
        },
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        scenario = self.get_object()
        ref = scenario.contract.reference if scenario.contract else "portfolio"
        response = HttpResponse(scenario_pdf(scenario), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition(pdf_filename(scenario.name, ref))
        return response

    @extend_schema(
        summary="Attach the scenario to an amendment as its evidence",
        description="Adds the scenario's reference to a proposed amendment of the same contract (board members "
        "and the buyer's contract managers, while the review is open; a change after freezing voids signatures "
        "as any amendment change does).",
        parameters=[SCENARIO_PK],
        request=s.SimulationAttachSerializer,
        responses={200: s.SimulationScenarioDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def attach(self, request: Request, pk: str) -> Response:
        scenario = self.get_object()
        body = s.SimulationAttachSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        amendment = (
            Amendment.objects.filter(pk=body.validated_data["amendment"], review__contract_id=scenario.contract_id)
            .select_related("review")
            .first()
        )
        if amendment is None:
            raise NotFound("No such amendment of this scenario's contract.")
        simulations.scenario_attach(actor=request.user, scenario=scenario, amendment=amendment)
        return Response(s.SimulationScenarioDetailSerializer(self.get_queryset().get(pk=scenario.pk)).data)
