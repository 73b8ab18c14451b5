"""Which links a person may store for others to follow: the one rule, on
Django's own check (``url_has_allowed_host_and_scheme``), so ``//host/path``
and ``/\\host`` (which browsers read as another site) are never taken for a
path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.http import url_has_allowed_host_and_scheme


def is_local_path(value: str) -> bool:
    """A path on this site (``/contracts/3/``), never a link to another host."""
    return value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts=set())


def is_web_link(value: str) -> bool:
    """An absolute http(s) address of any host, or a path on this site."""
    if value.lower().startswith(("https://", "http://")):
        return url_has_allowed_host_and_scheme(value, allowed_hosts={urlsplit(value).netloc})
    return is_local_path(value)
