"""``POST /api/monitoring/requests/``: request (or execution) tallies from a
monitoring source, authenticated by the source's own token like every other
ingestion endpoint (``availability.webhooks``). Parse, call
``availability.services.requests.record_tallies``, serialize."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from availability.api import errs
from availability.serializers.requests import RequestTallyBatchSerializer, RequestTallyResultSerializer
from availability.services import requests as tallies
from availability.services import sources
from availability.webhooks import _IngestView, _source


class RequestTallyIngestView(_IngestView):
    @extend_schema(
        summary="Receive request or execution tallies (failed of total, per component and interval)",
        description='Body `{"tallies": [{"component", "interval_start", "interval_minutes", "total", "failed"}]}`, '
        f"at most {tallies.MAX_ROWS:,} tallies. An interval starts on a multiple of its length "
        "since 00:00 UTC (1, 5, 10, 15, 30 or 60 minutes) and must have ended; a time without a zone, a component "
        "the contract does not cover, or failed above total is 400 naming the tally (`tallies[3].failed`), and "
        "nothing of the batch is stored. A tally sent again for the same component and interval replaces the "
        "earlier one. Probe and Alertmanager sources report tallies; another kind of source is 403. They count "
        "once the other party accepted the source: request-based commitments read them "
        "(`availability.requests`).",
        request={"application/json": RequestTallyBatchSerializer},
        responses={
            201: RequestTallyResultSerializer,
            200: RequestTallyResultSerializer,
            **errs(400, 401, 403, 413),
        },
        tags=["monitoring"],
    )
    def post(self, request: Request) -> Response:
        source = _source(request)
        tallies.check_source(source)
        sources.note_use(source)
        body = self.body(request)
        result = tallies.record_tallies(source=source, rows=tallies.parse_batch(body), payload=body)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(RequestTallyResultSerializer(result).data, status=code)
