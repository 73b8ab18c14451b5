"""Hash-chain arithmetic: canonical content and the digest. No database.

Two layouts of the hashed content exist. Version 1 (every entry written
before audit visibility existed) hashes ``HASHED_FIELDS_V1``. Version 2 adds
the entry's ``visibility`` and the version number itself, so who may read an
entry cannot be changed without breaking the chain. Each entry stores its
version (``AuditEntry.hash_version``); adding the columns did not change a
single stored hash.
"""

from __future__ import annotations

import hashlib
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
HASHED_FIELDS = {1: HASHED_FIELDS_V1, 2: HASHED_FIELDS_V2}
CURRENT_VERSION = 2


def canonical(content: Mapping[str, Any]) -> bytes:
    """The bytes hashed for ``content``; its ``hash_version`` (1 when absent) picks the fields."""
    fields = HASHED_FIELDS.get(content.get("hash_version", 1))
    if fields is None:
        raise ValueError(f"unknown audit hash version {content.get('hash_version')!r}")
    return json.dumps(
        {k: content[k] for k in fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def digest(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()
