"""Two Celery beats against one database and one broker: exactly one
publishes the periodic tasks; when it dies, the other takes over."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from outbox import beat
from outbox.models import Lease
from tests.conftest import ROOT, _database_url

LEASE = 4  # seconds, for the processes under test (30 in production)


def _start_beat() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "COVENANT_TESTING": "1",
        "COVENANT_BEAT_LEASE_SECONDS": str(LEASE),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=WARNING", "--max-interval=1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _drain_origins() -> Counter[str]:
    """Take every message off the default queue; count them by the publishing process."""
    from config.celery import app

    origins: Counter[str] = Counter()
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery", no_ack=True)
        try:
            while True:
                try:
                    message = queue.get(block=True, timeout=0.5)
                except queue.Empty:
                    break
                if message.headers.get("task") == "outbox.tasks.flush_outbox":
                    origins[message.headers.get("origin", "?").split("@")[0]] += 1
        finally:
            queue.close()
    return origins


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=20)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_beats_publish_once_and_the_standby_takes_over():
    from config.celery import app

    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="flush", task="outbox.tasks.flush_outbox", interval=every_second)
    app.control.purge()
    first, second = _start_beat(), _start_beat()
    try:
        deadline = time.monotonic() + 60
        while not Lease.objects.filter(name=beat.LEASE_NAME).exists():
            assert time.monotonic() < deadline, "no beat took the lease within 60 s"
            assert first.poll() is None and second.poll() is None, "a beat died"
            time.sleep(0.5)
        time.sleep(8)
        origins = _drain_origins()
        # One publisher, which is the lease holder, and it did publish.
        assert len(origins) == 1, origins
        leader_pid = int(next(iter(origins)).removeprefix("gen"))
        holder = Lease.objects.get(name=beat.LEASE_NAME).holder
        assert holder.split(":")[1] == str(leader_pid)
        assert sum(origins.values()) >= 4

        # The leader dies without releasing the lease: the standby takes over after it expires.
        leader, standby = (first, second) if first.pid == leader_pid else (second, first)
        _stop(leader)
        deadline = time.monotonic() + LEASE + 30
        while Lease.objects.get(name=beat.LEASE_NAME).holder.split(":")[1] != str(standby.pid):
            assert time.monotonic() < deadline, "the standby did not take over"
            time.sleep(0.5)
        _drain_origins()
        time.sleep(4)
        after = _drain_origins()
        assert set(after) == {f"gen{standby.pid}"}, after
    finally:
        _stop(first)
        _stop(second)


@pytest.mark.django_db
def test_the_lease_goes_to_one_holder_until_it_expires(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    assert beat.hold(name="x", holder="a", seconds=30)
    assert not beat.hold(name="x", holder="b", seconds=30)
    assert beat.hold(name="x", holder="a", seconds=30)  # renewal
    later = timezone.now() + timedelta(seconds=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert beat.hold(name="x", holder="b", seconds=30)
    assert not beat.hold(name="x", holder="a", seconds=30)
    beat.release(name="x", holder="b")
    assert beat.hold(name="x", holder="a", seconds=30)


@pytest.mark.django_db
def test_sqlite_statistics_are_refreshed():
    from django.db import connection

    from outbox import statistics

    if connection.vendor != "sqlite":
        assert statistics.refresh() is False
        return
    for n in range(5):
        beat.hold(name=f"lease-{n}", holder="test", seconds=30)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    assert statistics.refresh() is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'outbox_lease'")
        assert cursor.fetchone()[0] >= 1
