from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from accounts.models import Membership
from accounts.tests.factories import member


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1: answers each POST with the next scripted status (200 when none)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            code = state.script.pop(0) if state.script else 200
            answer = b"ok" if code < 400 else b"receiver says no " * 60
            self.send_response(code)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def eager(settings):
    """Tasks run in-process when the outbox publishes them, as a worker would."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _admin(username: str, organization, role: str):
    user = member(username, organization, role)
    Membership.objects.filter(user=user).update(is_admin=True)
    return user


@pytest.fixture
def buyer_admin(buyer_org):
    return _admin("buyer-admin", buyer_org, Membership.Role.CONTRACT_MANAGER)


@pytest.fixture
def vendor_admin(vendor_org):
    return _admin("vendor-admin", vendor_org, Membership.Role.ACCOUNT_MANAGER)
