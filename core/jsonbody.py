"""The limits every JSON body is held to, whatever endpoint reads it.

Python's parser recurses once per nesting level, so a body of a few thousand
``[`` ends in a RecursionError; PostgreSQL refuses a NUL character in any
text column; SQLite (and PostgreSQL's bigint) holds integers of 64 bits at
most. Each of these would surface as a server error deep inside a service,
so a body that breaks one is refused where it is read, naming the place in
the body (``alerts[0].labels.team``) and the rule.

Pure: no Django import, so the DRF parser and the ingestion views that read
their own bodies share it.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

DEPTH_RULE = f"Nested deeper than {MAX_DEPTH} levels of objects and arrays; the limit is {MAX_DEPTH}."
NUL_RULE = "Must not contain the NUL character (\\u0000)."
INT_RULE = f"Integers must be between {INT_MIN} and {INT_MAX}."
FLOAT_RULE = "Must be a finite number."


class BadJSON(ValueError):
    """A body that parses but breaks a limit; ``field`` is its path (``body`` for the whole)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _strict_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON.")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check(value: Any) -> None:
    """Raise BadJSON for the first place where ``value`` (parsed JSON) breaks a limit.
    Walks iteratively, so it cannot itself run out of stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BadJSON("body", DEPTH_RULE)
            if isinstance(item, dict):
                for key, child in item.items():
                    if "\x00" in key:
                        raise BadJSON(path or "body", f"A key {NUL_RULE[0].lower()}{NUL_RULE[1:]}")
                    stack.append((child, _join(path, key), depth + 1))
            else:
                stack.extend((child, _join(path, i), depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            if "\x00" in item:
                raise BadJSON(path or "body", NUL_RULE)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                raise BadJSON(path or "body", INT_RULE)
        elif isinstance(item, float) and not math.isfinite(item):
            raise BadJSON(path or "body", FLOAT_RULE)


def loads(text: str | bytes) -> Any:
    """``json.loads`` held to the limits: BadJSON for a limit, ValueError
    (json.JSONDecodeError, UnicodeDecodeError) for a body that is not JSON.
    NaN and Infinity are refused, as RFC 8259 has them not."""
    try:
        value = json.loads(text, parse_constant=_strict_constant)
    except RecursionError:
        raise BadJSON("body", DEPTH_RULE) from None
    check(value)
    return value
