"""Audit entries as files, streamed so a long trail does not sit in memory.

``csv_response``: the raw trail (``?format=csv`` on the pages, the API's
``audit/export/``): machine column names and every field a verifier needs.
``LIST_HEADER`` and ``rows``: the list page's columns for ``?export=csv|xlsx``
(``core.exports`` writes them), with people's names and times in UTC."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from typing import Any

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


LIST_HEADER = (
    "Seq",
    "At (UTC)",
    "Actor",
    "Organization",
    "Contract id",
    "Verb",
    "Visibility",
    "Object type",
    "Object id",
    "Object",
    "Changes",
    "Hash",
)


def rows(queryset: QuerySet) -> Iterator[Sequence[Any]]:
    """One row per entry of an already visibility-filtered queryset, oldest first, read in
    chunks: a constant number of queries (the organization comes by join)."""
    qs = queryset.select_related("organization").prefetch_related(None).order_by("seq")
    for e in qs.iterator(chunk_size=2000):
        yield (
            e.seq,
            e.at,
            e.actor_label,
            e.organization.name if e.organization is not None else "",
            e.contract_id or "",
            e.verb,
            e.get_visibility_display(),
            e.object_type,
            e.object_id,
            e.object_repr,
            json.dumps(e.changes, sort_keys=True, ensure_ascii=False),
            e.hash,
        )
