"""API plumbing shared by every app: pagination and the one error shape.

Every error body is ``{"detail": str, "code": str, "errors": {field: [str]}}``;
409 bodies add ``state`` and ``allowed`` (the actions the state permits).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import Conflict, DomainError, PayloadTooLarge


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows: an exact COUNT(*) over hundreds of
    thousands of filtered rows costs more than the page itself. Past the cap
    the count reads "1,000+" (as the dashboards' counts do) and the last pages
    are reached by narrowing the filter. The cap bounds the scan: at 2,000,000
    incidents the breached list's count took 22 ms to find 10,001 matches, the
    page itself under 2 ms."""

    COUNT_CAP = 1_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if hasattr(object_list, "query"):
            # values("pk") drops select_related joins and ordering from the count.
            return object_list.values("pk").order_by()[: self.COUNT_CAP + 1].count()
        return len(object_list)

    @property
    def count_capped(self) -> bool:
        return self.count > self.COUNT_CAP


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.count_capped
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"True when more than {CappedPaginator.COUNT_CAP} rows match; count is then {CappedPaginator.COUNT_CAP + 1}.",
        }
        return out


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    state = serializers.CharField(required=False)
    allowed = serializers.ListField(child=serializers.CharField(), required=False)


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for i, item in enumerate(value):
                    for sub, msgs in _flatten(item).items():
                        out[f"{key}[{i}].{sub}"] = msgs
            else:
                out[key] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    return {"non_field_errors": [str(v) for v in (detail if isinstance(detail, list) else [detail])]}


class _UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


def _unsupported_media_type(exc: UnsupportedMediaType, context: dict[str, Any]) -> DomainError:
    """DRF words a body sent without a Content-Type as 'Unsupported media type ""': say
    what was sent and which types the operation reads, under ``errors.body``."""
    request = context.get("request")
    sent = (request.content_type if request is not None else "") or ""
    accepted = [p.media_type for p in getattr(request, "parsers", None) or []]
    said = (
        f"The body's Content-Type {sent.split(';')[0]!r} is not read here" if sent else "The body has no Content-Type"
    )
    message = f"{said}; send one of: {', '.join(accepted)}." if accepted else f"{said}."
    return _UnsupportedMediaType(message, errors={"body": [message]})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        # Django refused to read a body past DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads JSON and
        # form bodies through request.body; the CSRF check of a session reads a form).
        exc = PayloadTooLarge(f"The body is over the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.")
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, UnsupportedMediaType):
        exc = _unsupported_media_type(exc, context)
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code, "errors": exc.errors}
        if isinstance(exc, Conflict):
            body["state"] = exc.state
            body["allowed"] = exc.allowed
        # A few errors carry more for the client (a step-up's reauthenticate_url).
        body.update(getattr(exc, "extra", None) or {})
        return Response(body, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        errors = _flatten(response.data)
        first = next(iter(errors.items()), ("", ["Invalid input."]))
        label = f"{first[0]}: " if first[0] and first[0] != "non_field_errors" else ""
        response.data = {"detail": f"{label}{first[1][0]}", "code": "invalid", "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        # A body that does not parse: the whole body is the field at fault.
        errors = {"body": [str(detail)]} if isinstance(exc, ParseError) else {}
        response.data = {"detail": str(detail), "code": getattr(detail, "code", "error"), "errors": errors}
    if response.status_code == status.HTTP_400_BAD_REQUEST and "code" not in response.data:
        response.data["code"] = "invalid"
    return response


# --------------------------------------------------------------------------
# The error responses in the schema
# --------------------------------------------------------------------------

ERROR_TEXT = {
    400: "Invalid input: `detail` names the problem, `errors` maps each field path to its messages.",
    401: "Not authenticated: no, an unknown or a revoked token (or session).",
    403: "Not permitted: you may see it, but your role (or side) may not do this; `detail` says who may.",
    404: "No such object (or you may not see it), or no such page of the list.",
    409: "The object's state does not allow this: `state` and `allowed` say what does.",
    413: "The body is over the size limit. Nothing was stored.",
    415: "The body's Content-Type is missing or not one the operation reads; `errors.body` lists those it "
    "reads. Nothing was stored.",
}


def error_responses(
    *codes: int, media_type: str | None = None, texts: dict[int, str] | None = None
) -> dict[Any, OpenApiResponse]:
    """Error responses in the one error shape, for ``extend_schema(responses=...)``.
    ``media_type`` keys them as ``(code, media_type)``, for operations whose
    success is not JSON (a file, a CSV) while their errors are; ``texts``
    words the descriptions for one API module."""
    wording = {**ERROR_TEXT, **(texts or {})}
    return {
        (code, media_type) if media_type else code: OpenApiResponse(ErrorSerializer, description=wording[code])
        for code in codes
    }


def enum_field(component: str, choices: list[tuple[str, str]]) -> type[serializers.ChoiceField]:
    """A ChoiceField published as its own named schema component."""
    from drf_spectacular.utils import extend_schema_field

    schema = {
        "type": "string",
        "enum": [value for value, _ in choices],
        "description": "; ".join(f"`{value}` {label}" for value, label in choices if value),
    }

    @extend_schema_field(schema, component_name=component)
    class EnumField(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("choices", choices)
            super().__init__(**kwargs)

    EnumField.__name__ = f"{component}Field"
    return EnumField


class AnyMediaRenderer(JSONRenderer):
    """For download endpoints (PDFs, CSV, iCal): the file can be asked for with any
    Accept header, while errors still render as JSON."""

    media_type = "*/*"
    format = "json"  # never chosen by ?format=; only by the Accept header


class ValidatedBodyMixin:
    """``self._body(Serializer)``: the request body validated by an input serializer; a bad
    body is a 400 naming each field and its rule (the one error shape)."""

    request: Any
    get_serializer_context: Any  # from GenericAPIView, which this mixes into

    def _body(self, serializer_class: type[serializers.Serializer], *, partial: bool = False) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
