"""Issuing signed PDFs and telling whether a PDF is one of ours.

``issue`` signs a rendered PDF and registers it (``IssuedDocument``); call it
with no lock held, beside rendering. ``check`` answers for any uploaded file:
valid (signed by one of our keys, current or rotated, and unchanged: the
signature covers every byte) or not, and why; the register says which record
a valid file belongs to. Who may learn the record is the caller's question
(``portal.verify``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from audit.models import IssuedDocument
from core import signing


def issue(
    content: bytes, *, kind: str, obj: models.Model, contract_id: int | None, reference: str
) -> tuple[bytes, IssuedDocument]:
    """Sign ``content`` (a rendered PDF) and register the signed bytes; returns both."""
    if kind not in IssuedDocument.Kind.values:
        raise ValueError(f"unknown document kind {kind!r}")
    signed = signing.sign_pdf(content)
    sha256 = hashlib.sha256(signed).hexdigest()
    try:
        with transaction.atomic():
            row = IssuedDocument.objects.create(
                kind=kind,
                content_type=ContentType.objects.get_for_model(obj),
                object_id=obj.pk,
                contract_id=contract_id,
                reference=reference[:300],
                sha256=sha256,
                cert_fingerprint=signing.fingerprint(signing.current_certificate()),
                issued_at=timezone.now(),
            )
    except IntegrityError:  # the same bytes twice: one entry in the register
        row = IssuedDocument.objects.get(sha256=sha256)
    return signed, row


@dataclass(frozen=True)
class DocumentCheck:
    valid: bool
    reason: str
    issued_at: datetime | None = None
    record: IssuedDocument | None = None
    rotated: bool = False


def check(content: bytes) -> DocumentCheck:
    """Is ``content`` a document this portal issued, unchanged? Never raises on bad input."""
    verdict = signing.verify_pdf(content)
    if not verdict.valid:
        return DocumentCheck(False, verdict.reason)
    record = IssuedDocument.objects.filter(sha256=hashlib.sha256(content).hexdigest()).first()
    issued_at = record.issued_at if record is not None else verdict.signed_at
    return DocumentCheck(True, "", issued_at=issued_at, record=record, rotated=verdict.rotated)
