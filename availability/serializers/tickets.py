"""Shapes of the ticketing webhooks' responses and of a source's ticket map."""

from __future__ import annotations

from rest_framework import serializers

from contracts.serializers import RejectUnknownFieldsMixin


class TicketIngestResultSerializer(serializers.Serializer):
    payload_id = serializers.IntegerField(help_text="The stored raw payload (the evidence).")
    duplicate = serializers.BooleanField(help_text="This delivery (bytes, or ticket state) was received before.")
    counted = serializers.BooleanField(
        help_text="False while the other party has not accepted the source: the payload is kept, nothing changes."
    )
    ticket = serializers.CharField(help_text="The ticket as people call it (SUP-12, #35436, INC0010001).")
    items = serializers.IntegerField()
    ignored = serializers.IntegerField(help_text="1 when the delivery changed nothing (duplicate, older, not counted).")
    incident = serializers.IntegerField(allow_null=True, help_text="The Covenant incident the ticket drives.")
    incident_opened = serializers.BooleanField()
    steps = serializers.ListField(
        child=serializers.CharField(), help_text="Incident services applied, in order (open, acknowledge, resolve...)."
    )
    note = serializers.CharField(help_text="Why nothing (or not everything) was applied; empty when all was.")


class TicketMapSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    ticket_map = serializers.JSONField(
        help_text="Sections `priority` (value -> critical/high/medium/low), `status` (value -> "
        "open/acknowledge/workaround/resolve/cancel/none), Jira's `status_category`, `environment`, `component`, "
        "`environments` (component, label, tag or CI -> production/non_production). A section left out keeps the "
        "product's defaults; {} restores them all."
    )
