"""Signed checkpoints of the audit chain's head (``AuditCheckpoint``).

A checkpoint says "entry #n's hash was h at time t", signed with the portal's
document-signing key, so anyone holding the certificate can check it, and a
party that keeps a copy can later prove the chain was cut, wiped or rewritten
(``verify_audit --anchor``). Before signing, the entries since the previous
checkpoint are verified: a checkpoint never vouches for a chain already broken.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.chain import GENESIS, KEYED_FROM, checkpoint_statement
from audit.models import AuditCheckpoint, AuditEntry, ChainHead
from audit.services import walk
from core import signing

log = logging.getLogger(__name__)


class ChainBroken(RuntimeError):
    """The entries since the last checkpoint do not verify: no checkpoint is signed."""


def _broken(reason: str) -> ChainBroken:
    log.error("audit chain broken, no checkpoint signed: %s", reason)
    return ChainBroken(reason)


def latest_checkpoint() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-seq").first()


def checkpoint_issue(*, now: datetime | None = None) -> AuditCheckpoint | None:
    """Sign the chain's current head; None while the chain is empty, the
    existing checkpoint when the head has not moved since (idempotent: one
    checkpoint per seq). Reads the head without locking it: a committed head
    is as good as any, and no writer waits on the signature."""
    head = ChainHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return None
    seq, head_hash = head.seq, head.hash
    existing = AuditCheckpoint.objects.filter(seq=seq).first()
    if existing is not None:
        return existing
    # Verify what the new checkpoint vouches for: the entries since the last one, which must still stand.
    after_seq, prev_hash, keyed = 0, GENESIS, False
    last = AuditCheckpoint.objects.filter(seq__lt=seq).order_by("-seq").first()
    if last is not None:
        pinned = AuditEntry.objects.filter(seq=last.seq).first()
        if pinned is None or pinned.hash != last.head_hash:
            raise _broken(f"entry #{last.seq} no longer matches the checkpoint at #{last.seq}")
        after_seq, prev_hash, keyed = last.seq, last.head_hash, pinned.hash_version >= KEYED_FROM
    result = walk(after_seq=after_seq, prev_hash=prev_hash, keyed=keyed, marks={seq: head_hash}, upto=seq)
    if not result.ok:
        raise _broken(result.reason)
    created_at = (now or timezone.now()).astimezone(UTC)
    statement = checkpoint_statement(seq=seq, head_hash=head_hash, created_at=created_at.isoformat())
    signature, cert = signing.sign_bytes(statement)
    try:
        with transaction.atomic():
            return AuditCheckpoint.objects.create(
                seq=seq, head_hash=head_hash, created_at=created_at, signature=signature, cert_fingerprint=cert
            )
    except IntegrityError:  # another worker signed the same head first
        return AuditCheckpoint.objects.get(seq=seq)
