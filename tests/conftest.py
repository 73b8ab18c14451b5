"""Fixtures for tests that run real infrastructure: a Celery worker process
against the test database, and a broker that can be made unreachable."""

import os
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
