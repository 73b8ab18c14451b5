"""Use cases for contracts and their SLA versions, re-exported from the use-case modules below.

Each runs in one transaction, checks the actor's right, and writes an audit entry.
``contracts`` (create/edit, contacts), ``termination`` (the termination right: raise, exercise, waive, lapse), ``versions`` (SLA versions:
edit, hold/release, activate, amend, the version in force), ``consent`` (both parties: propose, accept, reject,
withdraw, counter, comment; the staff override), ``board`` (board seats),
``documents`` (uploads). ``from contracts import services; services.contract_create(...)``
and ``from contracts.services import contract_create`` both keep working."""

from audit import services as audit
from contracts.services.board import board_seat_add, board_seat_remove
from contracts.services.consent import (
    ChecksumMismatch,
    sla_version_accept,
    sla_version_activate_override,
    sla_version_comment,
    sla_version_counter,
    sla_version_propose,
    sla_version_reject,
    sla_version_withdraw,
)
from contracts.services.contracts import (
    CONTRACT_FIELDS,
    EDITABLE_FIELDS,
    contact_add,
    contract_create,
    contract_require_accepted,
    contract_update,
    contract_vendor_accept,
    contract_vendor_decline,
)
from contracts.services.documents import document_upload
from contracts.services.termination import (
    contract_termination_right_exercise,
    contract_termination_right_record,
    contract_termination_right_waive,
    contract_termination_rights_lapse,
)
from contracts.services.versions import (
    HELD,
    ReviewLike,
    drafting_side,
    held_conflict,
    may_edit,
    party_side,
    sla_version_activate,
    sla_version_amend,
    sla_version_hold,
    sla_version_redraft,
    sla_version_release,
    sla_version_update,
    version_in_force,
)

__all__ = [
    "CONTRACT_FIELDS",
    "ChecksumMismatch",
    "EDITABLE_FIELDS",
    "HELD",
    "ReviewLike",
    "audit",  # tests patch ``contracts.services.audit.record``
    "board_seat_add",
    "board_seat_remove",
    "contact_add",
    "contract_create",
    "contract_termination_right_exercise",
    "contract_termination_right_record",
    "contract_termination_right_waive",
    "contract_termination_rights_lapse",
    "contract_require_accepted",
    "contract_update",
    "contract_vendor_accept",
    "contract_vendor_decline",
    "document_upload",
    "held_conflict",
    "may_edit",
    "party_side",
    "sla_version_accept",
    "sla_version_activate_override",
    "sla_version_comment",
    "sla_version_counter",
    "sla_version_propose",
    "sla_version_reject",
    "sla_version_withdraw",
    "sla_version_activate",
    "sla_version_amend",
    "sla_version_redraft",
    "drafting_side",
    "sla_version_hold",
    "sla_version_release",
    "sla_version_update",
    "version_in_force",
]
