"""Incident use cases. Each runs in one transaction, checks role and state,
writes the timeline event and the audit entry, and recomputes the clocks."""

from incidents.services.attribution import attribute_incident
from incidents.services.base import TRANSITIONS, allowed_actions
from incidents.services.claims import claim_exclusion, decide_claim
from incidents.services.escalation import WatcherResult, run_watcher, watch_incident
from incidents.services.imports import import_incidents, parse_rows
from incidents.services.lifecycle import (
    accept_workaround,
    acknowledge_incident,
    attach_file,
    comment_incident,
    confirm_resolution,
    open_incident,
    pause_incident,
    propose_workaround,
    reject_workaround,
    reopen_incident,
    resolve_incident,
    resume_incident,
)
from incidents.services.severity import SeverityOutcome, change_severity, decide_severity
from incidents.services.working import (
    BulkResult,
    assign_incident,
    bulk_acknowledge,
    bulk_assign,
    cancel_incident,
    saved_filter_delete,
    saved_filter_save,
)

__all__ = [
    "TRANSITIONS",
    "BulkResult",
    "assign_incident",
    "bulk_acknowledge",
    "bulk_assign",
    "cancel_incident",
    "saved_filter_delete",
    "saved_filter_save",
    "WatcherResult",
    "accept_workaround",
    "acknowledge_incident",
    "allowed_actions",
    "attach_file",
    "attribute_incident",
    "change_severity",
    "claim_exclusion",
    "comment_incident",
    "confirm_resolution",
    "decide_claim",
    "decide_severity",
    "SeverityOutcome",
    "import_incidents",
    "open_incident",
    "parse_rows",
    "pause_incident",
    "propose_workaround",
    "reject_workaround",
    "reopen_incident",
    "resolve_incident",
    "resume_incident",
    "run_watcher",
    "watch_incident",
]
