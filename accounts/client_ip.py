"""The one answer to "which address is this client?", for the sign-in lockout
(django-axes), the API throttles and the password-reset limit.

Behind the TLS proxy the README recommends, REMOTE_ADDR is the proxy's
address for everyone. Each trusted proxy appends the address it received the
request from to X-Forwarded-For, so with ``COVENANT_TRUSTED_PROXIES = n`` the
n-th entry from the right is the client as our outermost proxy saw it; entries
further left are whatever the client sent and may be forged. With no trusted
proxy (the default) the header is ignored altogether.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote: str = request.META.get("REMOTE_ADDR", "")
    hops: int = getattr(settings, "COVENANT_TRUSTED_PROXIES", 0)
    if hops <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if not forwarded:
        return remote
    candidate = forwarded[-min(hops, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # A proxy that writes something other than an address is misconfigured; fall back to the peer.
        return remote
