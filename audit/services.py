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

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from audit.chain import CURRENT_VERSION, GENESIS, digest
from audit.models import AuditEntry, ChainHead
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
    content["hash"] = digest(content)
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


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify_chain() -> Verification:
    """Walk the chain in order; name the first entry altered, removed or reordered."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
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
        try:
            intact = digest(entry_content(entry)) == entry.hash
        except ValueError:  # an unknown hash version: the row was rewritten
            intact = False
        if not intact:
            return Verification(False, checked, entry.seq, f"entry #{entry.seq} was altered (content hash mismatch)")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != prev_hash):
        return Verification(False, checked, checked + 1, f"entries after #{checked} were removed (head is #{head.seq})")
    return Verification(True, checked)
