"""Availability use cases in one place: outages and their exclusion claims
(``availability.services.outages``), maintenance windows, change notices and
calendar feeds (``availability.services.changes``, ``.change_notices``). Monitoring ingestion is
``availability.services.monitoring``."""

from availability.services.change_notices import (
    acknowledge_change,
    announce_change,
    answer_change,
    decide_postponement,
    entitled_until,
    notice_check,
    question_change,
    request_postponement,
)
from availability.services.changes import (
    accept_late_maintenance,
    calendar_feed,
    cancel_maintenance,
    complete_maintenance,
    feed_for_token,
    feed_token,
    schedule_maintenance,
)
from availability.services.outages import (
    CLAIM_LABELS,
    CLAIMABLE,
    claim_outage_exclusion,
    correct_outage,
    decide_outage_exclusion,
    governing_terms,
    outage_from_incident,
    record_outage,
)

__all__ = [
    "CLAIMABLE",
    "CLAIM_LABELS",
    "acknowledge_change",
    "announce_change",
    "answer_change",
    "decide_postponement",
    "entitled_until",
    "request_postponement",
    "calendar_feed",
    "accept_late_maintenance",
    "cancel_maintenance",
    "claim_outage_exclusion",
    "complete_maintenance",
    "correct_outage",
    "decide_outage_exclusion",
    "feed_for_token",
    "feed_token",
    "governing_terms",
    "notice_check",
    "outage_from_incident",
    "question_change",
    "record_outage",
    "schedule_maintenance",
]
