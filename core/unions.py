"""Several short lists in one query.

A detail page that shows a handful of small related lists (an incident's
pauses, claims and links; a contract's board, contacts and documents; the
legal holds' sources) would pay one query per list, and the page budget is
ten. ``union_rows`` reads them as one ``UNION ALL``:

- every list becomes rows of one shared ``shape`` (column name -> field type);
  a list fills the columns it has, by field path or expression, and a column
  it lacks is a NULL *of the column's type* (PostgreSQL types a union's
  columns branch by branch: two untyped NULLs become text before a later
  branch brings a number, and the query fails);
- each row says which list it belongs to, and its place in that list's own
  order (branches of a compound query may carry no ORDER BY on SQLite, so the
  order is a ``ROW_NUMBER()`` computed in each branch);
- the rows come back grouped per list, in order, as plain dicts. Callers
  rebuild model instances from them where a template wants one.

Use it for short lists of one parent (tens of rows), where the round trips
are the cost; a long or paginated list keeps its own query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from django.db import models
from django.db.models import F, QuerySet, Value, Window
from django.db.models.functions import Cast, RowNumber

# Every column is selected under an alias with this prefix: an annotation may not
# take the name of one of the model's fields ("source", "status"...).
_ALIAS = "u_"
_LIST, _RANK = "list", "rank"


@dataclass(frozen=True)
class Branch:
    """One list: its rows, what fills each shape column it has (a field path,
    or an expression), and its order (default: by primary key)."""

    queryset: QuerySet[Any]
    columns: Mapping[str, Any]
    order: Sequence[Any] = ()


def union_rows(
    shape: Mapping[str, models.Field[Any, Any]], branches: Mapping[str, Branch]
) -> dict[str, list[dict[str, Any]]]:
    """Each branch's rows, in its order, as dicts of ``pk`` and every shape
    column (``None`` where the branch has no such column). One query."""
    queries = []
    for name, branch in branches.items():
        unknown = set(branch.columns) - set(shape)
        if unknown:
            raise ValueError(f"Branch {name!r} fills columns the shape lacks: {sorted(unknown)}")
        selected: dict[str, Any] = {
            _LIST: Value(name, output_field=models.CharField()),
            _RANK: Window(RowNumber(), order_by=list(branch.order) or [F("pk").asc()]),
            "pk": F("pk"),
        }
        for column, field in shape.items():
            source = branch.columns.get(column)
            if source is None:
                selected[column] = Cast(Value(None), output_field=field)
            else:
                selected[column] = F(source) if isinstance(source, str) else source
        queries.append(branch.queryset.order_by().values(**{_ALIAS + k: v for k, v in selected.items()}))
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in branches}
    if not queries:
        return out
    first, *rest = queries
    for row in first.union(*rest, all=True) if rest else first:
        plain = {key.removeprefix(_ALIAS): value for key, value in row.items()}
        out[plain.pop(_LIST)].append(plain)
    for rows in out.values():
        rows.sort(key=itemgetter(_RANK))
        for row in rows:
            del row[_RANK]
    return out
