"""What the routine API views share: contract scoping of their objects and file downloads."""

from __future__ import annotations

import os
from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer

from contracts.api.base import ContractScopedMixin, errors
from contracts.models import ROUTINE_FILE_TYPES
from core.api import AnyMediaRenderer

FILE_RESPONSE = {
    **{
        (200, media_type): OpenApiResponse(
            OpenApiTypes.BINARY, description="The file, as an attachment, with its own content type."
        )
        for media_type in (*dict.fromkeys(ROUTINE_FILE_TYPES.values()), "application/octet-stream")
    },
    **errors(404, media_type="application/json"),
}


def _download(field_file: Any, name: str) -> FileResponse:
    ext = os.path.splitext(name)[1].lower()
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound("The file is missing from storage.") from None
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type=ROUTINE_FILE_TYPES.get(ext, "application/octet-stream")
    )


class _Scoped(ContractScopedMixin):
    """Objects of the contract in the URL only; the contract object is shared
    with them (its cached board ids feed every role check)."""

    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_object(self) -> Any:
        obj = super().get_object()  # type: ignore[misc]
        obj.contract = self.contract
        return obj

    def get_renderers(self) -> list:
        if getattr(self, "action", None) in ("evidence_file", "file"):
            return [JSONRenderer(), AnyMediaRenderer()]
        return super().get_renderers()  # type: ignore[misc]
