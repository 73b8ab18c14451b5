"""Hash-chain arithmetic: canonical content and the digest. No database.

Two layouts of the hashed content exist. Version 1 (every entry written
before audit visibility existed) hashes ``HASHED_FIELDS_V1``. Version 2 adds
the entry's ``visibility`` and the version number itself, so who may read an
entry cannot be changed without breaking the chain. Each entry stores its
version (``AuditEntry.hash_version``); adding the columns did not change a
single stored hash.

Version 3 hashes the version 2 fields with HMAC-SHA256 under a key kept
outside the database (``COVENANT_AUDIT_KEY``). A plain digest can be
recomputed by anyone who can write the table: alter an entry, re-hash it and
everything after it, and the chain looks intact. Without the key the
rewritten hashes do not match. Entries from before version 3 verify as
before; a verifier refuses an older version after the first version 3 entry
(a rewrite that falls back to plain SHA-256).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64

HASHED_FIELDS_V1 = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "organization_id",
    "contract_id",
    "verb",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "prev_hash",
)
HASHED_FIELDS_V2 = (*HASHED_FIELDS_V1, "visibility", "hash_version")
HASHED_FIELDS = {1: HASHED_FIELDS_V1, 2: HASHED_FIELDS_V2, 3: HASHED_FIELDS_V2}
CURRENT_VERSION = 3
KEYED_FROM = 3


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes hashed for ``content``; its ``hash_version`` (1 when absent) picks the fields."""
    fields = HASHED_FIELDS.get(content.get("hash_version", 1))
    if fields is None:
        raise ValueError(f"unknown audit hash version {content.get('hash_version')!r}")
    return json.dumps(
        {k: content[k] for k in fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def digest(content: Mapping[str, Any], *, key: bytes | None = None) -> str:
    """The entry's hash: SHA-256 of the canonical content before version 3, its HMAC under ``key`` from it on."""
    data = canonical(content)
    if content.get("hash_version", 1) >= KEYED_FROM:
        if not key:
            raise ValueError("audit hash version 3 needs the audit key")
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def checkpoint_statement(*, seq: int, head_hash: str, created_at: str) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return f"covenant-audit-checkpoint/1\n{seq}\n{head_hash}\n{created_at}".encode()
