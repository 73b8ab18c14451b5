"""A contract's documents through the API: list, details, multipart upload and download."""

from __future__ import annotations

import os
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from contracts import services
from contracts.api.base import CONTRACT_PK, ContractScopedMixin, errors
from contracts.models import ContractDocument
from contracts.serializers import DocumentSerializer, DocumentUploadSerializer
from core.api import AnyMediaRenderer
from core.parsers import FormParser, MultiPartParser


@extend_schema(parameters=[CONTRACT_PK])
@extend_schema_view(
    list=extend_schema(
        summary="The contract's documents", responses={200: DocumentSerializer(many=True), **errors(404)}
    ),
    retrieve=extend_schema(summary="One document's details", responses={200: DocumentSerializer, **errors(404)}),
)
class DocumentViewSet(ContractScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Signed copies and annexes (PDF, PNG, JPEG). Files are only served here,
    after the visibility check."""

    queryset = ContractDocument.objects.none()
    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        if self.schema_only():
            return ContractDocument.objects.none()
        return ContractDocument.objects.filter(contract=self.contract).select_related("uploaded_by")

    def get_renderers(self) -> list:
        if getattr(self, "action", None) == "download":
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()

    @extend_schema(
        summary="Upload a document (multipart)",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer, **errors(400, 403, 404)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        doc = services.document_upload(actor=request.user, contract=self.contract, **serializer.validated_data)
        doc = self.get_queryset().get(pk=doc.pk)
        return Response(self.get_serializer(doc).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a document",
        responses={
            **{
                (200, media_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The file, as an attachment, with its own content type."
                )
                for media_type in (*dict.fromkeys(ContractDocument.ALLOWED_TYPES.values()), "application/octet-stream")
            },
            **errors(404, media_type="application/json"),
        },
    )
    def download(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        doc = self.get_object()
        filename = os.path.basename(doc.file.name)
        ext = os.path.splitext(filename)[1].lower()
        content_type = ContractDocument.ALLOWED_TYPES.get(ext, "application/octet-stream")
        try:
            handle = doc.file.open("rb")
        except FileNotFoundError:
            raise NotFound("The document's file is missing from storage.") from None
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
