"""Row locks on contracts, the first step of the lock order in ``core.locks``.

Every service that writes about a contract calls ``contract`` before it
locks any of the contract's objects and before its first ``audit.record``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contracts.models import Contract
from core.locks import lock_row, lock_rows


def contract(pk: int) -> Contract:
    """Lock the contract row (FOR NO KEY UPDATE) and return it fresh.
    Must run inside ``transaction.atomic``."""
    return lock_row(Contract.objects.all(), pk, no_key=True)


def contracts(pks: Iterable[int]) -> list[Contract]:
    """Lock several contracts in ascending pk order (a portfolio-wide write)."""
    return lock_rows(Contract.objects.filter(pk__in=set(pks)), no_key=True)


def contract_of(obj: Any) -> Contract:
    """Lock the contract a row of the contract's objects belongs to (anything
    with a ``contract`` foreign key), before that row is locked."""
    contract_id = getattr(obj, "contract_id", None)
    if contract_id is None:  # only the pk is known (a task)
        contract_id = type(obj)._default_manager.filter(pk=obj.pk).values_list("contract_id", flat=True).get()
    return contract(contract_id)
