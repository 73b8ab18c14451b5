"""Shapes of the request-tally ingestion (``POST /api/monitoring/requests/``), for the
schema: the rows themselves are checked by ``availability.services.requests``,
which names each problem by its path (``tallies[3].failed``)."""

from __future__ import annotations

from rest_framework import serializers

from availability.requests import INTERVAL_MINUTES
from availability.services.requests import MAX_COUNT, MAX_ROWS


class RequestTallySerializer(serializers.Serializer):
    component = serializers.CharField(max_length=100, help_text="One of the contract's components.")
    interval_start = serializers.DateTimeField(
        help_text="The interval's start with a zone, a multiple of interval_minutes since 00:00 UTC "
        "(2026-03-02T09:05:00Z); the interval must have ended."
    )
    interval_minutes = serializers.ChoiceField(choices=list(INTERVAL_MINUTES), help_text="The interval's length.")
    total = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, help_text="Requests (or executions) served.")
    failed = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, help_text="Of those, how many failed.")


class RequestTallyBatchSerializer(serializers.Serializer):
    tallies = serializers.ListField(child=RequestTallySerializer(), min_length=1, max_length=MAX_ROWS)


class RequestTallyResultSerializer(serializers.Serializer):
    payload_id = serializers.IntegerField(allow_null=True, help_text="The body as kept for evidence.")
    duplicate = serializers.BooleanField(help_text="These exact bytes arrived before (applied again all the same).")
    tallies = serializers.IntegerField(help_text="Tallies in the batch.")
    created = serializers.IntegerField(help_text="New component-intervals for this source.")
    replaced = serializers.IntegerField(help_text="Earlier tallies of this source that the batch replaced.")
    components = serializers.ListField(child=serializers.CharField())
    first_interval = serializers.DateTimeField(allow_null=True)
    last_interval = serializers.DateTimeField(allow_null=True)
