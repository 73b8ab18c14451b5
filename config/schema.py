"""The schema generator: drf-spectacular's, plus the error responses every
operation of a kind can give (kept apart from ``core.api``, which DRF
imports while it is itself being imported)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse

from core.api import ERROR_TEXT, ErrorSerializer


class AutoSchema(SpectacularAutoSchema):
    """Documents the error responses every operation of a kind can give, where
    its view did not: 400 and 415 when it takes a body (which may not parse, or
    come with no Content-Type or one it does not read), 401 when it needs
    authentication, 404 when its path names an object (which may not exist, or
    not be yours) or when a paginated list is asked for a page it does not
    have. Always JSON, in the one error shape (also for operations whose
    success is a file or a CSV)."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        if direction != "response":
            return responses
        implied = []
        if self.method in ("POST", "PUT", "PATCH") and self._get_request_body():
            # A body may not parse (400) or come without a Content-Type the view reads (415).
            implied += [400, 415]
        if {} not in self.get_auth():
            implied.append(401)
        if "{" in self.path or (self.method == "GET" and self._get_paginator() is not None and self._is_list_view()):
            implied.append(404)
        for code in implied:
            if str(code) not in responses:
                error = OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[code])
                responses[str(code)] = self._get_response_for_code(error, str(code), ["application/json"], direction)
        return responses
