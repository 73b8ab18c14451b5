"""Contract document use cases: upload a signed copy or annex after checking its type, size and content."""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from audit import services as audit
from contracts.access import can_manage_side, contract_standing, require
from contracts.models import Contract, ContractDocument
from contracts.services._common import _person
from core.actor import Actor
from core.errors import InvalidInput


def document_upload(*, actor: Actor, contract: Contract, title: str, file: UploadedFile) -> ContractDocument:
    from django.conf import settings

    require(can_manage_side(contract_standing(actor, contract)), "Only the parties' managers may upload documents.")
    name = (file.name or "").lower()
    ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in ContractDocument.ALLOWED_TYPES:
        raise InvalidInput(
            "Unsupported file type.",
            errors={"file": [f"Allowed types: {', '.join(sorted(ContractDocument.ALLOWED_TYPES))}."]},
        )
    if file.size > settings.COVENANT_MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            "File too large.", errors={"file": [f"At most {settings.COVENANT_MAX_DOCUMENT_BYTES // (1024 * 1024)} MB."]}
        )
    head = file.read(8)
    file.seek(0)
    magic = {".pdf": b"%PDF", ".png": b"\x89PNG", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}[ext]
    if not head.startswith(magic):
        raise InvalidInput(
            "File content does not match its type.", errors={"file": [f"This is not a valid {ext} file."]}
        )
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        doc = ContractDocument(
            contract=contract,
            title=title or file.name,
            size=file.size,
            sha256=digest.hexdigest(),
            uploaded_by=_person(actor),
        )
        doc.file.save(file.name, file, save=False)
        doc.save()
        audit.record(
            actor=actor,
            verb="document.uploaded",
            obj=doc,
            contract_id=contract.pk,
            changes={"title": [None, doc.title], "sha256": [None, doc.sha256], "size": [None, doc.size]},
        )
    return doc
