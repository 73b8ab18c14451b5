"""Legal holds, as the apps below ``holds`` see them: evidence that a dispute, an open claim, an
open review, an unexpired claim window or a manual legal hold refers to may not be deleted.

What holds what is decided by the ``holds`` app, which sits above every app that keeps evidence.
Those apps cannot import it, so it registers its check here when Django starts
(``holds.apps.HoldsConfig.ready``: an explicit call, not a signal), and a service that deletes
evidence calls ``assert_not_held(obj)`` inside its transaction, after its locks (the contract's
lock serializes it with placing a hold), before it deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import models

from core.errors import Conflict

# obj -> the labels of what holds it ("Dispute D-12 (stage 2: Executive review) on Outage of api ..."),
# empty when nothing does.
HoldCheck = Callable[[models.Model], Sequence[str]]

_CHECKS: list[HoldCheck] = []


def register_hold_check(check: HoldCheck) -> None:
    """Add a check (idempotent: ``ready()`` may run twice in tests)."""
    if check not in _CHECKS:
        _CHECKS.append(check)


def holds_on(obj: models.Model) -> list[str]:
    """What holds ``obj`` now, as labels people read; empty when it may be deleted."""
    return [label for check in _CHECKS for label in check(obj)]


def assert_not_held(obj: models.Model, *, what: str | None = None) -> None:
    """Raise Conflict (409) naming every hold on ``obj``; nothing when it is free to delete."""
    labels = holds_on(obj)
    if labels:
        raise Conflict(
            f"{what or obj} is under legal hold and cannot be deleted: held by {'; '.join(labels)}. "
            "It may be deleted once nothing holds it.",
            state="held",
            allowed=[],
        )
