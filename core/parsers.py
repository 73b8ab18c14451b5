"""The API's request parsers (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

DRF's own JSON parser hands ``json.load`` any depth (a RecursionError, a 500).
These hold JSON to the limits of ``core.jsonbody`` (nesting, NUL characters,
64-bit integers), each a 400 in the one error shape naming the place in the
body, and refuse a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with a 413 naming
the body and the limit (from its Content-Length, before reading it; Django's
own RequestDataTooBig, raised where DRF or the CSRF check reads the body
first, is mapped to the same 413 by ``core.api.exception_handler``)."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from core import jsonbody
from core.errors import PayloadTooLarge


def body_limit() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def too_large(size: int | None, limit: int) -> PayloadTooLarge:
    said = f"The body is {size:,} bytes" if size is not None else "The body is over the limit"
    return PayloadTooLarge(f"{said}; the limit is {limit:,} bytes.")


def check_length(meta: Mapping[str, Any], *, limit: int | None = None) -> None:
    """413 when the declared Content-Length is over the limit (nothing is read)."""
    limit = body_limit() if limit is None else limit
    length = str(meta.get("CONTENT_LENGTH") or "0")
    if length.isdigit() and int(length) > limit:
        raise too_large(int(length), limit)


def _read(stream: Any, parser_context: Mapping[str, Any] | None) -> bytes:
    request = (parser_context or {}).get("request")
    limit = body_limit()
    if request is not None:
        check_length(request.META, limit=limit)
    data: bytes = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large(None, limit)
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = _read(stream, parser_context)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            return jsonbody.loads(text)
        except jsonbody.BadJSON as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if parser_context and "request" in parser_context:
            check_length(parser_context["request"].META)
        return super().parse(stream, media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    """Files may be larger than DATA_UPLOAD_MAX_MEMORY_SIZE (each kind of upload
    has its own limit, checked by its service); the form fields besides them
    may not, which Django checks while it reads them."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig:
            raise too_large(None, body_limit()) from None
