"""The SLA terms document: its JSON Schema, its semantic rules and a typed view.

Pure Python (no Django). The same schema validates the API, the edit form and
seeded presets, and is published in the OpenAPI document. Every error names its
field path (``targets[0].restore_minutes``) and the rule it broke.

Split by concern: ``vocabulary`` (the enumerations), ``schema`` (the JSON
Schema), ``rules`` (validation and RACI flags) and ``document`` (the typed
view). Import from ``contracts.terms``; the submodules are an implementation
detail.
"""

from contracts.terms.commitments import Commitment, commitments_of
from contracts.terms.document import Target, Terms, calendar_of
from contracts.terms.rules import TermsError, raci_flags, validate_terms
from contracts.terms.schema import SCHEMA
from contracts.terms.vocabulary import (
    CHANGE_KINDS,
    CLOCKS,
    CONTACT_ROLES,
    ENVIRONMENTS,
    ESCALATION_TRIGGERS,
    MEMBER_ROLES,
    METRICS,
    OUTCOMES,
    PARTIES,
    PARTY_ROLES,
    PLAYBOOK_TRIGGERS,
    RACI_LETTERS,
    ROLES,
    SEVERITIES,
    TARGETS,
)

__all__ = [
    "CHANGE_KINDS",
    "CLOCKS",
    "CONTACT_ROLES",
    "Commitment",
    "ENVIRONMENTS",
    "ESCALATION_TRIGGERS",
    "MEMBER_ROLES",
    "METRICS",
    "OUTCOMES",
    "PARTIES",
    "PARTY_ROLES",
    "PLAYBOOK_TRIGGERS",
    "RACI_LETTERS",
    "ROLES",
    "SCHEMA",
    "SEVERITIES",
    "TARGETS",
    "Target",
    "Terms",
    "TermsError",
    "calendar_of",
    "commitments_of",
    "raci_flags",
    "validate_terms",
]
