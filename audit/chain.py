"""Hash-chain arithmetic: canonical content and the digest. No database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64

HASHED_FIELDS = (
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


def canonical(content: Mapping[str, Any]) -> bytes:
    return json.dumps(
        {k: content[k] for k in HASHED_FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def digest(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()
