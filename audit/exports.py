"""Audit entries as CSV, streamed so a long trail does not sit in memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from core.downloads import content_disposition

HEADER = [
    "seq",
    "at",
    "actor",
    "organization_id",
    "contract_id",
    "verb",
    "object_type",
    "object_id",
    "object",
    "changes",
    "hash",
    "visibility",
    "hash_version",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> object:
    """Neutralise spreadsheet formulas (CSV injection): a cell a person typed
    that starts with = + - @ is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _rows(queryset: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    for e in queryset.order_by("seq").iterator(chunk_size=2000):
        yield writer.writerow(
            [
                _cell(v)
                for v in [
                    e.seq,
                    e.at.isoformat(),
                    e.actor_label,
                    e.organization_id or "",
                    e.contract_id or "",
                    e.verb,
                    e.object_type,
                    e.object_id,
                    e.object_repr,
                    json.dumps(e.changes, sort_keys=True),
                    e.hash,
                    e.visibility,
                    e.hash_version,
                ]
            ]
        )


def csv_response(queryset: QuerySet, filename: str) -> StreamingHttpResponse:
    """``filename`` may hold what a person typed (a contract reference): the header is built safely."""
    response = StreamingHttpResponse(_rows(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(filename)
    return response
