"""Fixtures for tests that run real infrastructure: a Celery worker process
against the test database, and a broker that can be made unreachable."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker():
    env = {**os.environ, "DATABASE_URL": _database_url(), "COVENANT_TESTING": "1"}
    from config.celery import app

    # Drop tasks other tests left in the queue (a worker-side --purge would
    # race with the test's own message while the worker starts).
    app.control.purge()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            ",".join(settings.CELERY_QUEUE_NAMES),
        ],
        cwd=ROOT,
        env=env,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def broker_down():
    """Point the Celery app at an address where nothing listens, as when Redis
    is stopped; restore the real broker afterwards. Returns a function that
    brings the broker "back"."""
    from config.celery import app

    real = app.conf.broker_url

    def reset_pools() -> None:
        # Drop every cached connection so the next publish dials the new URL.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    real_env = os.environ.get("CELERY_BROKER_URL")

    def back() -> None:
        if real_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = real_env
        app.conf.broker_url = real
        reset_pools()

    # Celery reads CELERY_BROKER_URL from the environment before its own conf.
    os.environ["CELERY_BROKER_URL"] = app.conf.broker_url = "redis://127.0.0.1:1/0"
    reset_pools()
    yield back
    back()


@pytest.fixture(scope="module")
def pdf_once_per_kind():
    """For suites about who may fetch a document, not what it says: each kind of PDF (by its <title>,
    digits aside) is rendered once and its bytes served afterwards. What PDFs say is tested, with real
    renders, in each app's own tests."""
    import re

    import core.pdf

    real, cache = core.pdf._render, {}

    def render(html: str) -> bytes:
        found = re.search(r"<title>(.*?)</title>", html, re.S)
        kind = re.sub(r"[\d\s]+", " ", found.group(1)).strip() if found else html[:200]
        if kind not in cache:
            cache[kind] = real(html)
        return cache[kind]

    core.pdf._render = render
    yield cache
    core.pdf._render = real


# -- a real Redis on its own port, for the fault suite (tests/test_fault_broker.py) ----------------


class RedisServer:
    """redis-server on a free local port, keeping its data in an append-only
    file as production must (README): stopping and starting it keeps the queue."""

    def __init__(self, workdir: Path) -> None:
        import shutil
        import socket

        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is not on PATH: the fault suite needs it (Debian: apt-get install redis-server)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.exe, self.workdir = exe, workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import time

        import redis

        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"]
            + ["--appendfsync", "always", "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")],
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Like a crash: SIGKILL; what it acknowledged is in the append-only file."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.thaw()
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.close()


@pytest.fixture
def fault_broker(redis_server):
    """This process publishes to the fault suite's Redis, with production's transport options."""
    from config.celery import app

    saved = (os.environ.get("CELERY_BROKER_URL"), app.conf.broker_url, app.conf.broker_transport_options)

    def reset_pools() -> None:
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    os.environ["CELERY_BROKER_URL"] = app.conf.broker_url = redis_server.url
    app.conf.broker_transport_options = settings.COVENANT_REDIS_TRANSPORT_OPTIONS
    reset_pools()
    yield redis_server
    if saved[0] is None:
        os.environ.pop("CELERY_BROKER_URL", None)
    else:
        os.environ["CELERY_BROKER_URL"] = saved[0]
    app.conf.broker_url, app.conf.broker_transport_options = saved[1], saved[2]
    reset_pools()


class Worker:
    """A production-like worker (prefork, 2 processes) in its own process group, logging every task."""

    def __init__(self, broker_url: str, log: Path) -> None:
        self.broker_url, self.log = broker_url, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.redis: RedisServer | None = None

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": _database_url(), "COVENANT_TESTING": "1"}
        env["CELERY_BROKER_URL"] = self.broker_url
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2", "--loglevel=INFO"]
                + ["--without-gossip", "--without-mingle", "-Q", ",".join(settings.CELERY_QUEUE_NAMES)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """kill -9 of the worker and its pool processes, as when the machine loses them."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def fault_worker(fault_broker, tmp_path):
    worker = Worker(fault_broker.url, tmp_path / "worker.log")
    worker.redis = fault_broker
    worker.start()
    yield worker
    worker.close()
