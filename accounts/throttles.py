"""API rate limits (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]).

DRF's throttles read their rates once, at import; these read them per request
so an environment or test override of DEFAULT_THROTTLE_RATES applies, and they
identify anonymous clients by ``client_ip`` (the trusted-proxy rule), not by
DRF's own reading of X-Forwarded-For, which trusts the header by default.
Counts live in the default cache: production points CACHE_URL at Redis so every
web process shares them."""

from __future__ import annotations

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

from accounts.client_ip import client_ip


class _LiveRate:
    scope: str | None

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(self.scope) if self.scope else None

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request)


class AnonThrottle(_LiveRate, throttling.AnonRateThrottle):
    pass


class UserThrottle(_LiveRate, throttling.UserRateThrottle):
    pass
