"""Canonical JSON and its checksum (moved from reports/tests/test_periods.py)."""

from __future__ import annotations

from core.checksum import canonical_json, checksum


def test_checksum_is_independent_of_key_order():
    a = {"b": [1, {"y": "2", "x": None}], "a": True, "é": "ü"}
    b = {"é": "ü", "a": True, "b": [1, {"x": None, "y": "2"}]}
    assert canonical_json(a) == canonical_json(b) == '{"a":true,"b":[1,{"x":null,"y":"2"}],"é":"ü"}'.encode()
    assert checksum(a) == checksum(b) and len(checksum(a)) == 64
