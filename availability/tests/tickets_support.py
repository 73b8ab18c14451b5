"""Shared steps of the ticketing webhook tests: fixtures from the products'
documented example payloads, sources registered by one party and accepted by
the other, and posting through the real endpoints with the source's token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.test import Client

from availability.models import MonitoringSource
from availability.services import sources

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def send(kind: str, token: str, body: Any) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return Client().post(
        f"/api/monitoring/{kind}/", data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def ticket_source(
    contract: Any, registrar: Any, kind: str, accepter: Any = None, **kw: Any
) -> tuple[MonitoringSource, str]:
    """A ticketing source registered by ``registrar``, accepted by ``accepter`` when given."""
    source, token = sources.register_source(actor=registrar, contract=contract, name=f"{kind} desk", kind=kind, **kw)
    if accepter is not None:
        source = sources.accept_source(actor=accepter, source=source)
    return source, token
