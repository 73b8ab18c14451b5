"""THE lock order. Every service that locks rows takes them in this order:

1. the contract(s) the write is about, by ascending pk
   (``contracts.lock_objects.contract`` / ``contracts``);
2. the contract's objects the write changes (an SLA version, an incident,
   a review, a credit, an outage, ...), each kind by ascending pk, with
   ``of=("self",)`` so a ``select_related`` join never locks a contract or
   an organization row behind the order's back;
3. the audit chain's head, last, taken by ``audit.services.record``.

Why: every audited write shares the chain's head. A transaction that holds
the head and then waits for a row (a contract, an incident, or merely the
key-share lock that inserting a row referencing a contract takes) while the
holder of that row waits for the head is a deadlock; PostgreSQL breaks it by
failing one of them. With the contract locked first, writers on one contract
queue at the contract and meet the head in the same order, and after
``audit.record`` a transaction only touches rows its contract lock already
covers. Writes without a contract (accounts, organizations) lock their own
row, then the head.

The contract is locked ``FOR NO KEY UPDATE`` (``no_key=True``): it excludes
other writers of the contract but not a transaction inserting a row that
merely references it (a notification, an outbox message).

On SQLite the whole database is the lock: transactions are IMMEDIATE (the
write lock is taken at BEGIN, never upgraded mid-transaction) and wait up to
the busy timeout (config.settings), so concurrent writers queue instead of
failing with "database is locked". ``select_for_update`` is a no-op there.

Never render a PDF or send mail while holding any of these locks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock_rows(queryset: models.QuerySet[M], *, no_key: bool = False) -> list[M]:
    """Lock the queryset's own rows (never joined ones) in ascending pk order."""
    return list(queryset.select_for_update(of=("self",), no_key=no_key).order_by("pk"))


def lock_row(queryset: models.QuerySet[M], pk: object, *, no_key: bool = False) -> M:
    """Lock one row of the queryset's own table; DoesNotExist if it is gone."""
    return queryset.select_for_update(of=("self",), no_key=no_key).get(pk=pk)


def sorted_pks(pks: Iterable[int]) -> list[int]:
    return sorted(set(pks))
