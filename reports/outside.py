"""Facts a report shows that belong to apps above reports.

A report says how many disputes were open on the contract when its period closed (frozen in
the snapshot) and how many are open now (on its page). Disputes sit above reports (a dispute
reissues reports), so reports cannot ask the disputes app; instead it declares the question
here, and the disputes app answers it by registering its counter when Django loads it
(``disputes.apps.DisputesConfig.ready``). An installation without the disputes app has no
disputes: the count is 0.
"""

from __future__ import annotations

from collections.abc import Callable

OpenDisputeCounter = Callable[[int], int]
"""Given a contract id, how many disputes are open on it now."""

_counters: dict[str, OpenDisputeCounter] = {}


def provide_open_dispute_counter(counter: OpenDisputeCounter) -> None:
    """Registered once by the app that owns disputes; registering again replaces it."""
    _counters["open_disputes"] = counter


def open_disputes(contract_id: int) -> int:
    counter = _counters.get("open_disputes")
    return counter(contract_id) if counter is not None else 0
