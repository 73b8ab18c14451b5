"""Reading an export back in tests: the CSV as rows of text, the XLSX as rows
of cell values (and its cells, to check a text cell is stored as text)."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response: Any) -> tuple[list[list[Any]], Any]:
    """The sheet's values (the header first) and the sheet itself."""
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


def consume(response: Any) -> None:
    """Read the whole body (a streamed CSV runs its queries while it is read)."""
    assert response.status_code == 200, response
    if response.streaming:
        b"".join(response.streaming_content)
    else:
        assert response.content
