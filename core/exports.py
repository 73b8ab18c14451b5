"""Lists as CSV or XLSX files: one helper for every list the portal exports.

A caller gives the column headers and an iterator of rows that it has already
filtered by the visibility rule and the person's filters; this module only
writes. CSV streams (a long list never sits in memory); XLSX is written with
openpyxl's write-only workbook (constant memory per row) and sent when done.

Formula injection: a text cell that a spreadsheet would read as a formula
(it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
written as text: in CSV with a leading apostrophe (the OWASP rule), in XLSX
as an explicit string cell (the value stays exactly as typed, and the
spreadsheet never evaluates it). Times are ISO 8601 in UTC; money and
percentages are written as the exact decimal strings the portal shows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, overload

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from core.downloads import content_disposition
from core.errors import InvalidInput

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An export is for a working list, not a database dump: past this many rows
# the person narrows the filter (the file says so in its last row).
MAX_ROWS = 100_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value[:1] in _FORMULA_START


def plain(value: object) -> object:
    """A cell value as a spreadsheet should receive it (before the formula guard)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return str(value)
    return value


def csv_cell(value: object) -> object:
    value = plain(value)
    return "'" + value if is_formula_like(value) and isinstance(value, str) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _limited(rows: Iterable[Sequence[Any]], width: int) -> Iterator[Sequence[Any]]:
    for n, row in enumerate(rows):
        if n >= MAX_ROWS:
            yield [f"Only the first {MAX_ROWS:,} rows are exported: narrow the filter for the rest."] + [""] * (
                width - 1
            )
            return
        yield row


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so spreadsheet programs read UTF-8
    yield writer.writerow(header)
    for row in _limited(rows, len(header)):
        yield writer.writerow([csv_cell(v) for v in row])


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Export") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31] or "Export")
    bold = Font(bold=True)
    head = []
    for title in header:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in _limited(rows, len(header)):
        out = []
        for value in row:
            value = plain(value)
            cell = WriteOnlyCell(ws, value=None)
            cell.value = value
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.value = value
                # Assigning a str that starts with "=" makes openpyxl store a
                # formula; forcing the string type stores it as typed text.
                cell.data_type = "s"
            out.append(cell)
        ws.append(out)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@overload
def requested_format(value: str | None, *, required: Literal[True]) -> str: ...
@overload
def requested_format(value: str | None, *, required: bool = False) -> str | None: ...
def requested_format(value: str | None, *, required: bool = False) -> str | None:
    """The export format asked for (``None``: no export), or a 400 naming the parameter."""
    if value in (None, "") and not required:
        return None
    if value not in FORMATS:
        raise InvalidInput(
            "Please correct the errors below.", errors={"export": [f"Must be one of: {', '.join(FORMATS)}."]}
        )
    return value


def export_response(
    *, fmt: str, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "Export"
) -> HttpResponse | StreamingHttpResponse:
    """The file download for ``fmt`` ("csv" or "xlsx"); ``filename`` without
    extension (it may hold what a person typed: the header is built safely)."""
    if fmt == "csv":
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            csv_stream(header, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(xlsx_bytes(header, rows, sheet=sheet), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition(f"{filename}.{fmt}")
    response["Cache-Control"] = "private, no-store"
    return response
