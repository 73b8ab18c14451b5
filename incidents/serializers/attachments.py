"""Serializers for incident attachments: upload body and listing."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from core.uploads import validate_passive_file
from incidents.models import IncidentAttachment


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        validators=[validate_passive_file],
        help_text="Any file but HTML, SVG, XHTML or JavaScript; the size limit is checked by the service.",
    )


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IncidentAttachment
        fields = ["id", "name", "size", "sha256", "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: IncidentAttachment) -> str:
        path = reverse(
            "incidents-api:incident-attachment-download",
            kwargs={"pk": attachment.incident_id, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
