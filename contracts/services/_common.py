"""Steps the contract use cases share: locking the contract, checking terms and models, the acting person."""

from __future__ import annotations

from typing import Any

from contracts import lock_objects
from contracts.models import Contract
from contracts.terms import TermsError, validate_terms
from core.actor import Actor
from core.errors import InvalidInput


def _lock(contract: Contract) -> Contract:
    """The contract's row lock: the first lock of every contract write (``core.locks``)."""
    return lock_objects.contract(contract.pk)


def _check_terms(terms: Any, *, components: list[str] | None = None) -> None:
    """``components``: the contract's covered components, which service commitments must name."""
    try:
        validate_terms(terms, components=None if components is None else (components or ["service"]))
    except TermsError as exc:
        raise InvalidInput(
            "The SLA terms are not valid.", errors={f"terms.{k}": v for k, v in exc.errors.items()}
        ) from None


def _full_clean(obj: Any) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean()
    except ValidationError as exc:
        raise InvalidInput("Please correct the errors below.", errors=exc.message_dict) from None


def _person(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None
