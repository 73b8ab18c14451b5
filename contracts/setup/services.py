"""Removing a contract's contacts and documents (adding them is
``contracts.services``' ``contact_add`` and ``document_upload``).

Who: each side's managers their own side's contacts (staff any); the buyer's
contract managers (and staff) any document, the vendor's account managers the
documents their own organization's people uploaded."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.access import Standing
from accounts.models import Membership
from audit import services as audit
from contracts.access import can_manage, can_manage_side, contract_standing, require
from contracts.models import Contract, ContractContact, ContractDocument
from contracts.services._common import _lock
from core.actor import Actor
from core.holds import assert_not_held
from core.locks import lock_row


def own_sides(s: Standing) -> list[str]:
    """The contact sides a person manages: staff both, a party's managers their own."""
    if s.is_staff:
        return [ContractContact.Side.BUYER, ContractContact.Side.VENDOR]
    if not can_manage_side(s):
        return []
    return [ContractContact.Side.BUYER if s.is_buyer else ContractContact.Side.VENDOR]


def contact_remove(*, actor: Actor, contact: ContractContact) -> None:
    contract = contact.contract
    require(
        contact.side in own_sides(contract_standing(actor, contract)),
        f"Only the {contact.get_side_display().lower()}'s managers may change its contacts.",
    )
    with transaction.atomic():
        _lock(contract)
        current = lock_row(ContractContact.objects.all(), contact.pk)
        audit.record(
            actor=actor,
            verb="contact.removed",
            obj=current,
            contract_id=contract.pk,
            changes={k: [v, None] for k, v in audit.snapshot(current, ["side", "role", "name", "email"]).items()},
        )
        current.delete()


def vendor_uploader_ids(contract: Contract, documents: Iterable[ContractDocument]) -> set[int]:
    """Which of these documents' uploaders belong to the vendor organization (one query)."""
    uploaders = {d.uploaded_by_id for d in documents if d.uploaded_by_id}
    if not uploaders:
        return set()
    return set(
        Membership.objects.filter(organization_id=contract.vendor_id, user_id__in=uploaders).values_list(
            "user_id", flat=True
        )
    )


def may_remove_document(s: Standing, document: ContractDocument, vendor_uploaders: set[int]) -> bool:
    if can_manage(s):
        return True
    return can_manage_side(s) and s.is_vendor and document.uploaded_by_id in vendor_uploaders


def document_remove(*, actor: Actor, document: ContractDocument) -> None:
    """Remove a document; its file leaves storage after commit (the audit entry keeps its checksum)."""
    contract = document.contract
    s = contract_standing(actor, contract)
    require(
        may_remove_document(s, document, vendor_uploader_ids(contract, [document])),
        "Only the buyer's contract managers, or the vendor's managers for their own uploads, may remove documents.",
    )
    with transaction.atomic():
        _lock(contract)
        current = lock_row(ContractDocument.objects.all(), document.pk)
        assert_not_held(current, what=f"The document “{current.title}”")  # 409 naming the legal hold
        name, storage = current.file.name, current.file.storage
        audit.record(
            actor=actor,
            verb="document.removed",
            obj=current,
            contract_id=contract.pk,
            changes={k: [v, None] for k, v in audit.snapshot(current, ["title", "sha256", "size"]).items()},
        )
        current.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))
