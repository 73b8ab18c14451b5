"""The report checksum: SHA-256 over the snapshot's canonical JSON.

Canonical means sorted keys, no insignificant whitespace and UTF-8, so the
same snapshot always hashes the same, whether it was just computed or read
back from the database's JSON column (which may reorder keys). Snapshots hold
only strings, integers, booleans, nulls, lists and objects (Decimals and
datetimes are strings), so there is no float formatting to disagree on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "checksum"]


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def checksum(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()
