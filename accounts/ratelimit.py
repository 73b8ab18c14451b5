"""A fixed-window counter in the default cache, for limits that are not API
throttles (the password-reset mail). Keys are hashed: no address or email in
the cache."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def allow(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key``; False once more than ``limit`` attempts
    fell in the current window (windows start on multiples of the length, so
    an hour's window is a clock hour)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    bucket = int(time.time()) // window_seconds
    name = f"ratelimit:{scope}:{bucket}:{digest}"
    cache.add(name, 0, timeout=window_seconds)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window_seconds)
        count = 1
    return count <= limit
