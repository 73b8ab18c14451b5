"""The reconciliation API: ``/api/contracts/{id}/discrepancies/`` and
``/api/discrepancies/{id}/resolve|accept|dispute/``. Parse, authorize through
the visibility rule, call ``availability.services.reconciliation``, serialize."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.http import signed_in
from availability.api import CONTRACT_PK, PK, errs
from availability.models import Discrepancy, MonitoringSource
from availability.serializers.reconciliation import (
    DiscrepancyDisputeSerializer,
    DiscrepancyProposeSerializer,
    DiscrepancySerializer,
)
from availability.services import reconciliation as rec
from contracts.access import get_visible_contract
from contracts.models import Contract
from core.api import ValidatedBodyMixin

PERIOD = OpenApiParameter("period", OpenApiTypes.STR, description="Only this period's items (2026-10, 2026-Q4).")
STATUS = OpenApiParameter("status", OpenApiTypes.STR, enum=Discrepancy.Status.values, description="Only this status.")


def _sources(contract_id: int) -> dict[int, MonitoringSource]:
    return MonitoringSource.objects.filter(contract_id=contract_id).only("name", "registered_side").in_bulk()


class DiscrepancyListView(APIView):
    @extend_schema(
        summary="A contract's discrepancies between monitoring sources",
        description=rec.RULE,
        parameters=[CONTRACT_PK, PERIOD, STATUS],
        responses={200: DiscrepancySerializer(many=True), **errs(404)},
        tags=["monitoring"],
    )
    def get(self, request: Request, contract_pk: str) -> Response:
        contract = get_visible_contract(request.user, contract_pk)
        rows = (
            Discrepancy.objects.filter(contract=contract)
            .select_related("proposed_by", "decided_by")
            .order_by("-period_start", "start", "component", "pk")
        )
        if request.query_params.get("period"):
            rows = rows.filter(period=request.query_params["period"])
        if request.query_params.get("status"):
            rows = rows.filter(status=request.query_params["status"])
        context = {"request": request, "sources": _sources(contract.pk)}
        return Response(DiscrepancySerializer(rows, many=True, context=context).data)


class DiscrepancyActionView(ValidatedBodyMixin, APIView):
    """``verb`` set per route: resolve (propose), accept, dispute."""

    verb = ""

    @extend_schema(
        summary="Propose a resolution (resolve), accept the other party's (accept) or mark disputed (dispute)",
        description="resolve takes `resolution`, `source` and `reason`; dispute takes `reason`; accept no body. "
        + rec.RULE,
        parameters=[PK],
        request=DiscrepancyProposeSerializer,
        responses={200: DiscrepancySerializer, **errs(400, 403, 404, 409)},
        tags=["monitoring"],
    )
    def post(self, request: Request, pk: str) -> Response:
        item = (
            Discrepancy.objects.filter(contract__in=Contract.objects.visible_to(request.user).values("pk"), pk=pk)
            .select_related("contract")
            .first()
        )
        if item is None or self.verb not in ("resolve", "accept", "dispute"):
            raise NotFound("No such discrepancy.")
        actor = signed_in(request)
        if self.verb == "resolve":
            data = self._body(DiscrepancyProposeSerializer)
            item = rec.propose_resolution(
                actor=actor,
                discrepancy=item,
                resolution=data["resolution"],
                source_id=data.get("source"),
                reason=data["reason"],
            )
        elif self.verb == "accept":
            item = rec.accept_resolution(actor=actor, discrepancy=item)
        else:
            data = self._body(DiscrepancyDisputeSerializer)
            item = rec.dispute_discrepancy(actor=actor, discrepancy=item, reason=data["reason"])
        context = {"request": request, "sources": _sources(item.contract_id)}
        return Response(DiscrepancySerializer(item, context=context).data)

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request}
