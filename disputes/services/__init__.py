"""Disputes: a contested fact walking the contract's dispute ladder.

Either party's managers (the buyer's contract managers, the vendor's account
managers) dispute a report line, an incident's breach or exclusion decision, an
outage, or a credit, within the claim window after the end of the period the
subject falls in (``claim_window_days`` in the terms). The dispute starts at
the first stage of the ladder in the terms (``disputes``: ``{stage, days}``),
with a deadline ``days`` later; escalation moves it up the ladder; the last
stage may have no deadline. Each step is recorded (``DisputeStep``) and
audited.

A resolution may change the facts (accept an exclusion, correct an outage's
times) or the ledger (adjust a credit), always through the service of the app
that owns the row. Nobody records a change in their own favour: a change is
recorded by the side it goes against (or staff), and a resolution that changes
nothing by the side that raised the dispute. When the facts of a closed period
change, the period's report is reissued as a new revision through
``reports.services.reports.reissue_report``.

Every use case is keyword-only, runs in one transaction, locks what it
changes and writes an audit entry per change. Errors: ``InvalidInput`` (400,
field errors), ``NotPermitted`` (403, who may), ``Conflict`` (409, the state
and what is allowed now).

One module per use case: ``ladder`` (open, escalate, comment, withdraw),
``resolution`` (resolve) with ``outcomes`` (its planner), ``credits`` (dispute a
credit), ``reminders`` (stage deadlines); ``subjects`` and ``common`` hold what
they share.
"""

from disputes.services.common import allowed_actions, ladder_for, reference
from disputes.services.credits import credit_dispute
from disputes.services.ladder import dispute_comment, dispute_escalate, dispute_open, dispute_withdraw
from disputes.services.outcomes import OUTCOME_FIELDS, parse_outcome
from disputes.services.reminders import REMIND_WITHIN, remind_deadlines
from disputes.services.resolution import dispute_resolve
from disputes.services.subjects import Subject, find_subject

__all__ = [
    "OUTCOME_FIELDS",
    "REMIND_WITHIN",
    "Subject",
    "allowed_actions",
    "credit_dispute",
    "dispute_comment",
    "dispute_escalate",
    "dispute_open",
    "dispute_resolve",
    "dispute_withdraw",
    "find_subject",
    "ladder_for",
    "parse_outcome",
    "reference",
    "remind_deadlines",
]
