"""Writing and verifying the audit trail.

Lock order: ``record`` locks the chain's head, the one row every audited write
shares, so it is always the LAST lock a transaction takes (the order is
written down in ``core.locks``): lock the contract and the objects first,
then record. Taking another row lock after ``record`` lets a writer that
holds that row wait on the head while we wait on it: a deadlock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from audit.chain import CURRENT_VERSION, GENESIS, KEYED_FROM, checkpoint_statement, digest
from audit.models import AuditCheckpoint, AuditEntry, ChainHead
from core import signing
from core.actor import Actor
from core.actor import is_person as person


def _plain(value: Any) -> Any:
    """JSON-safe form of a value, exactly as it will be stored and hashed."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _field_value(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    if field.is_relation and field.many_to_one:
        return getattr(instance, field.attname)
    value = getattr(instance, name)
    if hasattr(value, "name") and isinstance(field, models.FileField):
        return value.name or None
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(_field_value(instance, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = _plain(before.get(key)), _plain(after.get(key))
        if old != new:
            out[key] = [old, new]
    return out


def created(instance: models.Model, fields: Iterable[str]) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in snapshot(instance, fields).items() if v not in (None, "", [], {})}


def record(
    *,
    actor: Actor | None,
    verb: str,
    obj: models.Model | None = None,
    contract_id: int | None = None,
    changes: Mapping[str, Any] | None = None,
    organization_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    object_repr: str | None = None,
    visibility: str = AuditEntry.Visibility.BOTH,
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction, so the entry
    commits or rolls back with the change it describes, after the caller took
    its own row locks (the head is the last lock: see the module docstring).

    ``visibility``: which party reads the entry on the contract's trail
    (``AuditEntry.Visibility``); an entry about one side's private object
    passes that side."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside transaction.atomic()")
    if visibility not in AuditEntry.Visibility.values:
        raise ValueError(f"unknown audit visibility {visibility!r}")
    # Lock the tip: appends are serialized, so the chain never forks.
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # only after a database flush; the migration creates it
        ChainHead.objects.get_or_create(pk=1)
        head = ChainHead.objects.select_for_update().get(pk=1)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = object_repr or str(obj)[:300]
    is_person = person(actor)
    if organization_id is None and is_person:
        organization_id = actor.primary_organization_id()
    content = {
        "seq": head.seq + 1,
        "at": timezone.now().astimezone(UTC).isoformat(),
        "actor_id": actor.pk if is_person else None,
        "actor_label": (actor.get_username() if is_person else str(actor or "system"))[:200],
        "organization_id": organization_id,
        "contract_id": contract_id,
        "verb": verb,
        "object_type": object_type or "",
        "object_id": str(object_id if object_id is not None else ""),
        "object_repr": (object_repr or "")[:300],
        "changes": _plain(dict(changes or {})),
        "prev_hash": head.hash,
        "visibility": str(visibility),
        "hash_version": CURRENT_VERSION,
    }
    content["hash"] = digest(content, key=audit_key())
    entry = AuditEntry.objects.create(**content)
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


def entry_content(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "organization_id": entry.organization_id,
        "contract_id": entry.contract_id,
        "verb": entry.verb,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "changes": entry.changes,
        "prev_hash": entry.prev_hash,
        "visibility": entry.visibility,
        "hash_version": entry.hash_version,
    }


def audit_key() -> bytes:
    """The chain's HMAC key (``COVENANT_AUDIT_KEY``); none configured: nothing is recorded."""
    key = settings.COVENANT_AUDIT_KEY
    if not key:
        raise ImproperlyConfigured(
            "COVENANT_AUDIT_KEY (or COVENANT_AUDIT_KEY_FILE) is not set: no audit entry can be written."
        )
    return str(key).encode()


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Anchor:
    """A checkpoint as a party holds it, outside the database."""

    seq: int
    head_hash: str
    created_at: str
    signature: str

    @property
    def signed(self) -> bool:
        statement = checkpoint_statement(seq=self.seq, head_hash=self.head_hash, created_at=self.created_at)
        return signing.verify_bytes(statement, self.signature) is not None

    @classmethod
    def of(cls, checkpoint: AuditCheckpoint) -> Anchor:
        return cls(
            checkpoint.seq,
            checkpoint.head_hash,
            checkpoint.created_at.astimezone(UTC).isoformat(),
            checkpoint.signature,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "head_hash": self.head_hash,
            "created_at": self.created_at,
            "signature": self.signature,
        }

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """From its JSON form (``verify_audit --export-anchor``); ValueError naming what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the anchor is not JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise ValueError("the anchor must be a JSON object")
        missing = [k for k in ("seq", "head_hash", "created_at", "signature") if k not in data]
        if missing:
            raise ValueError(f"the anchor lacks {', '.join(missing)}")
        if not isinstance(data["seq"], int) or data["seq"] < 1:
            raise ValueError("the anchor's seq must be a positive integer")
        return cls(int(data["seq"]), str(data["head_hash"]), str(data["created_at"]), str(data["signature"]))


def walk(
    *,
    after_seq: int = 0,
    prev_hash: str = GENESIS,
    keyed: bool = False,
    marks: Mapping[int, str] | None = None,
    upto: int | None = None,
) -> Verification:
    """Walk entries after ``after_seq`` (whose hash is ``prev_hash``; ``keyed`` when it was a keyed
    entry) in order, to ``upto`` or to the end and the head; name the first entry altered, removed,
    reordered or downgraded, or the first mark (seq: head hash) the chain does not meet."""
    key, marks = audit_key(), marks or {}
    expected_seq, checked = after_seq + 1, after_seq
    entries = AuditEntry.objects.filter(seq__gt=after_seq)
    if upto is not None:
        entries = entries.filter(seq__lte=upto)
    for entry in entries.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return Verification(
                False, checked, expected_seq, f"entry #{expected_seq} is missing (next is #{entry.seq})"
            )
        if entry.prev_hash != prev_hash:
            return Verification(
                False,
                checked,
                entry.seq,
                f"entry #{entry.seq} does not follow #{entry.seq - 1} (reordered or replaced)",
            )
        if keyed and entry.hash_version < KEYED_FROM:
            return Verification(
                False,
                checked,
                entry.seq,
                f"entry #{entry.seq} claims hash version {entry.hash_version} after keyed entries (rewritten)",
            )
        try:
            intact = digest(entry_content(entry), key=key) == entry.hash
        except ValueError:  # an unknown hash version: the row was rewritten
            intact = False
        if not intact:
            return Verification(False, checked, entry.seq, f"entry #{entry.seq} was altered (content hash mismatch)")
        if entry.seq in marks and marks[entry.seq] != entry.hash:
            return Verification(
                False, checked, entry.seq, f"entry #{entry.seq} does not match the signed checkpoint at #{entry.seq}"
            )
        keyed = keyed or entry.hash_version >= KEYED_FROM
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    beyond = [seq for seq in marks if seq > checked]
    if beyond:
        seq = min(beyond)
        if checked == 0:
            return Verification(False, 0, 1, f"no entries up to the signed checkpoint at #{seq}: the trail was wiped")
        return Verification(
            False,
            checked,
            checked + 1,
            f"the chain ends at #{checked}, before the signed checkpoint at #{seq} (entries removed)",
        )
    if upto is not None:
        return Verification(True, checked)
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != prev_hash):
        return Verification(False, checked, checked + 1, f"entries after #{checked} were removed (head is #{head.seq})")
    return Verification(True, checked)


def verify_chain(*, anchor: Anchor | None = None) -> Verification:
    """Walk the chain in order; name the first entry altered, removed or reordered.

    Every checkpoint stored in the database, and ``anchor`` (one a party
    holds), pins the chain: the entry at its seq must carry its head hash.
    Their signatures are checked first (a forged checkpoint row is itself a
    finding). The anchor is what catches an attacker who rewrote the table,
    the head and the stored checkpoints alike."""
    marks: dict[int, str] = {}
    for checkpoint in AuditCheckpoint.objects.order_by("seq"):
        if not Anchor.of(checkpoint).signed:
            return Verification(
                False, 0, checkpoint.seq, f"the checkpoint at #{checkpoint.seq} is not signed by this portal"
            )
        marks[checkpoint.seq] = checkpoint.head_hash
    if anchor is not None:
        if not anchor.signed:
            return Verification(
                False, 0, None, "the anchor's signature is not valid: it is not a checkpoint of this portal"
            )
        # The party's copy wins over a stored checkpoint for the same seq (a stored one can be replaced).
        marks[anchor.seq] = anchor.head_hash
    return walk(marks=marks)
