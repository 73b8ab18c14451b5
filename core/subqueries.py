"""Correlated aggregate subqueries for list pages that must cost one query
whatever the data: each row's count or sum is a scalar subquery on an
``OuterRef``, never a query per row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, IntegerField, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

__all__ = ["correlated_count", "correlated_sum"]


def correlated_count(queryset: QuerySet[Any], group: str) -> Coalesce:
    """A correlated ``COUNT`` subquery (``queryset`` already filtered on an ``OuterRef``);
    ``group`` is the column the filter correlates on. Zero when nothing matches."""
    sub = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def correlated_sum(queryset: QuerySet[Any], group: str, column: str) -> Coalesce:
    """A correlated ``SUM(column)`` subquery of money amounts; zero when nothing matches."""
    sub = queryset.order_by().values(group).annotate(total=Sum(column)).values("total")
    money_field = DecimalField(max_digits=20, decimal_places=3)
    return Coalesce(Subquery(sub, output_field=money_field), Value(Decimal(0)), output_field=money_field)
